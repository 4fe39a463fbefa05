import * as v from "valibot";
import { type DomainEvent, type EventType, EVENT_TYPES, eventDataSchemas, isKnownEventType } from "./catalog/index.ts";
import { type EventMetadata, isPlainObject, METADATA_VALUE_MAX_LENGTH, type UnknownEvent } from "./envelope.ts";
import { UUID_PATTERN } from "./identifiers.ts";
import { isEventTypeSyntax } from "./naming.ts";
import { compileGuard, type Guard } from "./schema-guard.ts";
import { normalizeTimestamp } from "./timestamp.ts";

export type FastResult = { known: true; event: DomainEvent } | { known: false; event: UnknownEvent };

/*
 * Valid events, checked without building valibot datasets: running the schemas cost more than the JSON.parse
 * before them (see bench/events-parse.ts). The envelope is checked by hand and `data` by a predicate compiled
 * once from its schema. Any doubt returns `undefined` and the caller takes the schema path, which finds and
 * lists every problem; so this path must accept exactly what the schemas accept, with the same output
 * (fast-path.test.ts holds it to that).
 */

// Compiled once at load; a schema the compiler does not understand keeps using valibot.
const dataGuards = Object.fromEntries(
  EVENT_TYPES.map((type) => [type, compileGuard(eventDataSchemas[type])]),
) as Record<EventType, Guard | undefined>;
export function tryFastPath(raw: unknown): FastResult | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { event_id, event_type, occurred_at, data, metadata } = raw;
  if (typeof event_id !== "string" || !UUID_PATTERN.test(event_id)) return undefined;
  if (typeof event_type !== "string") return undefined;
  if (typeof occurred_at !== "string") return undefined;
  const timestamp = normalizeTimestamp(occurred_at);
  if (timestamp === undefined || !isPlainObject(data)) return undefined;
  const meta = metadataOf(metadata);
  if (meta === undefined) return undefined;

  if (isKnownEventType(event_type)) {
    const valid = validData(event_type, data);
    if (valid === undefined) return undefined;
    const event = { event_id, event_type, occurred_at: timestamp, data: valid, metadata: meta };
    return { known: true, event: event as DomainEvent };
  }
  if (!isEventTypeSyntax(event_type)) return undefined;
  return { known: false, event: { event_id, event_type, occurred_at: timestamp, data, metadata: meta } };
}

function validData(type: EventType, data: Record<string, unknown>): Record<string, unknown> | undefined {
  const guard = dataGuards[type];
  if (guard !== undefined) return guard(data) ? data : undefined;
  const parsed = v.safeParse(eventDataSchemas[type], data);
  return parsed.success ? parsed.output : undefined;
}

function metadataOf(metadata: unknown): EventMetadata | undefined {
  if (!isPlainObject(metadata)) return undefined;
  const { correlation_id, causation_id, source } = metadata;
  if (!isMetadataValue(correlation_id) || !isMetadataValue(causation_id) || !isMetadataValue(source)) {
    return undefined;
  }
  return { correlation_id, causation_id, source };
}

function isMetadataValue(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= METADATA_VALUE_MAX_LENGTH;
}
