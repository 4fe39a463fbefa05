import {
  causeSpanOf,
  formatTraceparent,
  isKnownEventType,
  kafkaHeaders,
  messageKey,
  serializeEvent,
  setSpanOf,
  topicOf,
  TRACEPARENT,
  TRACESTATE,
  type EventEnvelope,
} from "../events/index.ts";
import type { Producer } from "../kafka/producer.ts";
import { HEADERS_ONLY, type Tracer } from "../telemetry/tracer.ts";
import type { Publisher, Published } from "./types.ts";

/**
 * Publishes events to their catalog topic, keyed by entity id, with tracing mirrored in headers. Each event is
 * a span of its own, a child of its cause's: `traceparent` names it, and when spans are exported the span
 * runs from the send to the broker's acknowledgement.
 */
export class KafkaPublisher implements Publisher {
  constructor(
    private readonly producer: Producer,
    private readonly onPublished?: (event: EventEnvelope, seconds: number) => void,
    private readonly tracer: Tracer = HEADERS_ONLY,
  ) {}

  async publish(event: EventEnvelope): Promise<Published> {
    if (!isKnownEventType(event.event_type)) throw new Error(`no topic is defined for event type ${event.event_type}`);
    const started = performance.now();
    const topic = topicOf(event.event_type);
    const key = messageKey(event as Parameters<typeof messageKey>[0]);
    const attributes = this.tracer.exporting ? publishAttributes(event, topic, key) : undefined;
    const span = this.tracer.start(`publish ${event.event_type}`, "producer", causeSpanOf(event), attributes);
    // Before the first await: whoever creates children of this event next (the worker's outcome follows its
    // acceptance at once) finds its span.
    setSpanOf(event, span.context);
    const headers: Record<string, string> = kafkaHeaders(event);
    headers[TRACEPARENT] = formatTraceparent(span.context);
    if (span.context.tracestate) headers[TRACESTATE] = span.context.tracestate;
    let published: Published;
    try {
      published = await this.producer.send({ topic, key, value: serializeEvent(event), headers });
    } catch (error) {
      span.end(error);
      throw error;
    }
    span.end();
    this.onPublished?.(event, (performance.now() - started) / 1000);
    return published;
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

function publishAttributes(event: EventEnvelope, topic: string, key: string) {
  return {
    "messaging.system": "kafka",
    "messaging.operation.type": "send",
    "messaging.destination.name": topic,
    "messaging.kafka.message.key": key,
    "messaging.message.id": event.event_id,
    "event.type": event.event_type,
    correlation_id: event.metadata.correlation_id,
  };
}
