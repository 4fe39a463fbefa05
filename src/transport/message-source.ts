import type { CloseResult, UncommittedOffset } from "../kafka/consumer.ts";
import type { TopicPartition } from "../kafka/partition-list.ts";
import type { DeliveryReport, ProducerRecord } from "../kafka/producer.ts";
import type { RawMessage } from "./types.ts";

export type { CloseResult, UncommittedOffset };

/**
 * What a consume loop needs of a consumer group member. The Kafka Consumer is one; the loops' contract
 * tests run against an in-memory one.
 */
export interface MessageSource {
  subscribe(topics: readonly string[]): void;
  /** Batches of what is ready, up to `maxMessages` and `maxBytes` of keys and values; ends on close. */
  batches(maxMessages: number, maxBytes: number): AsyncIterable<RawMessage[]>;
  /** Commits the position after each given message. */
  commit(done: readonly RawMessage[]): Promise<void>;
  assignment(): TopicPartition[];
  lag(): Array<TopicPartition & { lag: number }>;
  close(timeoutMs: number): Promise<CloseResult>;
}

/** Where dead letters go: resolves once the broker has the record. */
export interface RecordSink {
  send(record: ProducerRecord): Promise<DeliveryReport>;
}
