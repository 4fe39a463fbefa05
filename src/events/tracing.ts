import { type DomainEvent, type EventDataInput, type EventType } from "./catalog/index.ts";
import { createEvent, type CreateEventOptions } from "./create.ts";
import type { EventEnvelope, EventMetadata } from "./envelope.ts";
import { ValidationError } from "./errors.ts";
import { SAFE_ID_MAX_LENGTH, SAFE_ID_PATTERN } from "./identifiers.ts";
import { linkCause } from "./trace-links.ts";

/*
 * correlation_id: the one user request every event descends from; the same on the whole chain.
 * causation_id: what directly caused this event; for a child event, its parent's event_id.
 *
 * request (X-Correlation-ID: req-123)
 *   └── task.created       correlation_id req-123, causation_id api-create-<task_id>, source task-api
 *         └── notification.sent  correlation_id req-123, causation_id <task.created event_id>, source notifier
 */

export const CORRELATION_ID_HEADER = "X-Correlation-ID";

/** An agent's own events (registration, heartbeats, leaving) form one story per agent: `agent:<agent_id>`. */
export const AGENT_CORRELATION_PREFIX = "agent:";

export type ChainStart =
  | { readonly ok: true; readonly metadata: EventMetadata; readonly generated: boolean }
  | { readonly ok: false; readonly error: ValidationError };

/**
 * The metadata for the first event of a chain, from the request's `X-Correlation-ID` header value (pass
 * `request.headers.get(CORRELATION_ID_HEADER)`). A valid id is kept, a missing or empty one is generated
 * (`generated: true`, so the caller can echo it back). An invalid one is refused rather than cleaned up: it is
 * copied into every descendant event, header and log line, so it must be short and plain.
 * `causationId` names what started the chain, e.g. `api-create-<task_id>`.
 */
export function startChain(
  header: string | null | undefined,
  cause: { readonly causationId: string; readonly source: string },
): ChainStart {
  const metadata = (correlation_id: string) => ({
    correlation_id,
    causation_id: cause.causationId,
    source: cause.source,
  });
  if (header === null || header === undefined || header === "") {
    return { ok: true, metadata: metadata(crypto.randomUUID()), generated: true };
  }
  const problem =
    header.length > SAFE_ID_MAX_LENGTH
      ? `must be at most ${SAFE_ID_MAX_LENGTH} characters, got ${header.length}`
      : SAFE_ID_PATTERN.test(header)
        ? undefined
        : "may only contain A-Z a-z 0-9 . _ : -";
  if (problem !== undefined) {
    return { ok: false, error: new ValidationError([{ path: CORRELATION_ID_HEADER, message: problem }]) };
  }
  return { ok: true, metadata: metadata(header), generated: false };
}

/** Metadata for an event caused by `parent`, produced by `source` (this service). */
export function childMetadata(parent: EventEnvelope, source: string): EventMetadata {
  return { correlation_id: parent.metadata.correlation_id, causation_id: parent.event_id, source };
}

/** `createEvent` with the metadata of a child of `parent`; its publish continues `parent`'s trace. */
export function createChildEvent<T extends EventType>(
  parent: EventEnvelope,
  type: T,
  data: EventDataInput<T>,
  source: string,
  options?: CreateEventOptions,
): DomainEvent<T> {
  const child = createEvent(type, data, childMetadata(parent, source), options);
  linkCause(child, parent);
  return child;
}
