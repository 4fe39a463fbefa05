// The event model: envelope, catalog, naming rule, tracing and Kafka mapping. Depends on valibot alone.
export * from "./catalog/index.ts";
export { jsonBytes } from "./catalog/fields.ts";
export { createEvent, type CreateEventOptions } from "./create.ts";
export {
  DEFAULT_MAX_EVENT_BYTES,
  type EventEnvelope,
  EventMetadata,
  METADATA_VALUE_MAX_LENGTH,
  type UnknownEvent,
  UnknownEventSchema,
} from "./envelope.ts";
export { type EventIssue, ValidationError } from "./errors.ts";
export { DomainEventSchema } from "./event-schema.ts";
export { EventId, SafeId, SAFE_ID_MAX_LENGTH, SAFE_ID_PATTERN } from "./identifiers.ts";
export { checkEventTypeName, EVENT_TYPE_PATTERN, IRREGULAR_PAST_TENSE, NAMING_EXCEPTIONS } from "./naming.ts";
export { parseEvent, type ParseOptions, type ParseResult, validateEvent } from "./parse.ts";
export { eventToJson, serializeEvent } from "./serialize.ts";
export { normalizeTimestamp, Timestamp } from "./timestamp.ts";
export {
  childContext,
  formatTraceparent,
  isSampled,
  parseTraceparent,
  parseTracestate,
  type TraceContext,
  TRACEPARENT,
  TRACESTATE,
} from "./trace-context.ts";
export { causeSpanOf, linkCause, setSpanOf, spanOf } from "./trace-links.ts";
export { AGENT_CORRELATION_PREFIX, childMetadata, type ChainStart, CORRELATION_ID_HEADER, createChildEvent, startChain } from "./tracing.ts";
export {
  AGENT_RESULTS,
  AGENT_TASKS,
  AGENT_TYPE_HEADER,
  AUDIT_EVENTS,
  AUDIT_TOPICS,
  EVENT_ROUTES,
  type EventHeaders,
  kafkaHeaders,
  messageKey,
  TASK_EVENTS,
  type Topic,
  topicOf,
  TOPICS,
} from "./topics.ts";
