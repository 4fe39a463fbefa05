import type { EventEnvelope } from "./envelope.ts";
import { ValidationError } from "./errors.ts";
import { normalizeTimestamp } from "./timestamp.ts";

const encoder = new TextEncoder();

/**
 * The event as UTF-8 JSON, keys in the spec's order. Python consumers read it with `json.loads` and dict
 * access. Throws `ValidationError` only for a hand-built event whose `occurred_at` is not a timestamp;
 * events from `createEvent` and `parseEvent` always serialize.
 */
export function serializeEvent(event: EventEnvelope): Uint8Array {
  return encoder.encode(eventToJson(event));
}

export function eventToJson(event: EventEnvelope): string {
  const occurredAt = normalizeTimestamp(event.occurred_at);
  if (occurredAt === undefined) {
    throw new ValidationError([{ path: "occurred_at", message: "must be an RFC 3339 timestamp" }]);
  }
  // Built field by field so the order is the spec's whatever order the caller's object has.
  return JSON.stringify({
    event_id: event.event_id,
    event_type: event.event_type,
    occurred_at: occurredAt,
    data: event.data,
    metadata: {
      correlation_id: event.metadata.correlation_id,
      causation_id: event.metadata.causation_id,
      source: event.metadata.source,
    },
  });
}
