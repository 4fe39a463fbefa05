import * as v from "valibot";
import { EventId } from "./identifiers.ts";
import { EVENT_TYPE_MAX_LENGTH, isEventTypeSyntax } from "./naming.ts";
import { Timestamp } from "./timestamp.ts";

/** Bytes accepted by `parseEvent` unless the caller says otherwise: Kafka's default `message.max.bytes`. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

// Metadata is free-form on purpose: a correlation id may come from another system's request header. Bounding
// it keeps a bad producer from inflating every descendant event and header.
export const METADATA_VALUE_MAX_LENGTH = 256;

const MetadataValue = v.pipe(
  v.string("must be a string"),
  v.nonEmpty("must not be empty"),
  v.maxLength(METADATA_VALUE_MAX_LENGTH, `must be at most ${METADATA_VALUE_MAX_LENGTH} characters`),
);

/** Tracing and provenance, as in the spec's `EventMetadata` dataclass. */
export const EventMetadata = v.object(
  { correlation_id: MetadataValue, causation_id: MetadataValue, source: MetadataValue },
  "must be an object",
);
export type EventMetadata = v.InferOutput<typeof EventMetadata>;

export const EventTypeName = v.pipe(
  v.string("must be a string"),
  v.maxLength(EVENT_TYPE_MAX_LENGTH, `must be at most ${EVENT_TYPE_MAX_LENGTH} characters`),
  v.check(isEventTypeSyntax, "must be lower-case dot-separated segments such as task.created"),
);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `data` of a type we do not know: any JSON object, passed through untouched. */
export const UnvalidatedData = v.custom<Record<string, unknown>>(isPlainObject, "must be an object");

/** The envelope every event shares, keyed as on the wire, in the spec's order. */
export interface EventEnvelope<T extends string = string, D extends object = Record<string, unknown>> {
  readonly event_id: string;
  readonly event_type: T;
  readonly occurred_at: string;
  readonly data: D;
  readonly metadata: EventMetadata;
}

/** The envelope of a type that is not in our catalog; its `data` has not been validated. */
export type UnknownEvent = EventEnvelope<string, Record<string, unknown>>;

/** The envelope alone, for types outside the catalog. Unknown top-level keys are dropped. */
export function envelopeSchema<T extends v.GenericSchema<unknown, string>, D extends v.GenericSchema>(
  eventType: T,
  data: D,
) {
  return v.object(
    { event_id: EventId, event_type: eventType, occurred_at: Timestamp, data, metadata: EventMetadata },
    "must be an object",
  );
}

export const UnknownEventSchema = envelopeSchema(EventTypeName, UnvalidatedData);
