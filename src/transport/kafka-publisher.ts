import { kafkaHeaders, messageKey, serializeEvent, topicOf, isKnownEventType, type EventEnvelope } from "../events/index.ts";
import type { Producer } from "../kafka/producer.ts";
import type { Publisher, Published } from "./types.ts";

/** Publishes events to their catalog topic, keyed by entity id, with tracing mirrored in headers. */
export class KafkaPublisher implements Publisher {
  constructor(
    private readonly producer: Producer,
    private readonly onPublished?: (event: EventEnvelope, seconds: number) => void,
  ) {}

  async publish(event: EventEnvelope): Promise<Published> {
    if (!isKnownEventType(event.event_type)) throw new Error(`no topic is defined for event type ${event.event_type}`);
    const started = performance.now();
    const published = await this.producer.send({
      topic: topicOf(event.event_type),
      key: messageKey(event as Parameters<typeof messageKey>[0]),
      value: serializeEvent(event),
      headers: kafkaHeaders(event),
    });
    this.onPublished?.(event, (performance.now() - started) / 1000);
    return published;
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
