import type { EventEnvelope } from "./envelope.ts";
import type { TraceContext } from "./trace-context.ts";

/*
 * Which span an event belongs to travels beside the event, not in it. The envelope is the spec's, with exactly
 * three metadata fields that Python readers hold in a dataclass and that serializeEvent writes by name: a
 * fourth would change the wire format for everyone. Kafka headers carry `traceparent` between processes
 * (KafkaPublisher writes it, parseBatch reads it); inside a process these maps, keyed by the event object,
 * carry it from the event being handled to the events created because of it, so that every
 * `createChildEvent(cause, …)` continues its cause's trace without each caller passing a context along.
 * An event rebuilt from storage has no entry, and its publish starts a new trace.
 */

/** The span an event's children descend from: its own once published or received, or the span handling it. */
const spans = new WeakMap<EventEnvelope, TraceContext>();
/** For an event not yet published: the span of what caused it. */
const causes = new WeakMap<EventEnvelope, TraceContext>();

export function spanOf(event: EventEnvelope): TraceContext | undefined {
  return spans.get(event);
}

export function setSpanOf(event: EventEnvelope, context: TraceContext | undefined): void {
  if (context) spans.set(event, context);
}

export function causeSpanOf(event: EventEnvelope): TraceContext | undefined {
  return causes.get(event);
}

/** Records that `child` was caused by `cause`, so its publish becomes a child of the span `cause` is in. */
export function linkCause(child: EventEnvelope, cause: EventEnvelope | TraceContext | undefined): void {
  const context = cause === undefined || "spanId" in cause ? cause : spans.get(cause);
  if (context) causes.set(child, context);
}
