import type { CloseResult, RebalanceListener, UncommittedOffset } from "../kafka/consumer.ts";
import type { TopicPartition, TopicPartitionOffset, TopicPartitionResult } from "../kafka/partition-list.ts";
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
  /** Commits the position after each given message, or the given next offsets (with their metadata). */
  commit(done: ReadonlyArray<RawMessage | TopicPartitionOffset>): Promise<void>;
  assignment(): TopicPartition[];
  lag(): Array<TopicPartition & { lag: number }>;
  close(timeoutMs: number): Promise<CloseResult>;
  /** Sets who is told of assignments and revokes (one listener); set it before subscribing. */
  onRebalance(listener: RebalanceListener): void;
}

/** What a loop that finishes messages out of order needs besides: commits with metadata read back. */
export interface TrackedMessageSource extends MessageSource {
  /** The committed offset and metadata of each partition (offset -1001 when none). */
  committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionResult[]>;
}

export type { RebalanceListener };

/** Where dead letters go: resolves once the broker has the record. */
export interface RecordSink {
  send(record: ProducerRecord): Promise<DeliveryReport>;
}
