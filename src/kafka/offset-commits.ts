import type { Pointer } from "../runtime/native.ts";
import { RD_KAFKA_RESP_ERR__NO_OFFSET } from "./ffi.ts";
import type { KafkaError } from "./errors.ts";
import { errorFromCode, librdkafka } from "./library.ts";
import type { ConsumedMessage } from "./message-decoder.ts";
import { partitionKey, readPartitionList, withPartitionList, type TopicPartition, type TopicPartitionOffset } from "./partition-list.ts";
import { uncommittedOffsets, type UncommittedOffset } from "./uncommitted-offsets.ts";

export type { UncommittedOffset } from "./uncommitted-offsets.ts";

interface PendingCommit {
  offsets: TopicPartitionOffset[];
  resolve(): void;
  reject(error: KafkaError): void;
}


/**
 * A consumer's commits, all asynchronous and answered on a private queue. None ever blocks the JS thread:
 * with the coordinator away a synchronous commit waits without end, and nothing else (not even a shutdown
 * deadline) runs meanwhile. What was asked for and what the broker confirmed are both kept, so a consumer
 * stopping with the broker away can say exactly which offsets it leaves uncommitted.
 */
export class OffsetCommits {
  readonly queue: Pointer;
  /** The latest offset asked for, per partition. */
  private readonly requested = new Map<string, TopicPartitionOffset>();
  /** The latest offset the broker confirmed, per partition. */
  private readonly confirmed = new Map<string, number>();
  private readonly pending = new Map<number, PendingCommit>();
  private nextId = 1;

  constructor(
    rk: Pointer,
    private readonly owns: (key: string) => boolean,
  ) {
    this.queue = librdkafka().rd_kafka_queue_new(rk)!;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Commits the position after each given message (or the given next offsets) of partitions still owned;
   * `handle` is asked for the client only when there is something to commit.
   */
  request(handle: () => Pointer, done: ReadonlyArray<ConsumedMessage | TopicPartitionOffset>): Promise<void> {
    const next = new Map<string, TopicPartitionOffset>();
    for (const item of done) {
      const offset = "value" in item ? item.offset + 1 : item.offset;
      const key = partitionKey(item);
      if (!this.owns(key)) continue;
      const seen = next.get(key);
      const metadata = "value" in item ? undefined : item.metadata;
      // At the same offset the later request wins: its metadata is the newer account of the work above it.
      if (!seen || seen.offset <= offset) next.set(key, { topic: item.topic, partition: item.partition, offset, metadata });
    }
    if (next.size === 0) return Promise.resolve();
    for (const [key, offset] of next) this.requested.set(key, offset);
    return this.send(handle(), [...next.values()]);
  }

  /**
   * Commits again the latest offsets asked for the given partitions, for a revoke: librdkafka sends commits
   * in order, so once this one is answered every earlier one is too. Resolves (never rejects) when answered.
   */
  flushFor(rk: Pointer, partitions: readonly TopicPartition[]): Promise<void> {
    const offsets = partitions.flatMap((p) => this.requested.get(partitionKey(p)) ?? []);
    if (offsets.length === 0) return Promise.resolve();
    return this.send(rk, offsets).catch(() => {});
  }

  /** Forgets revoked partitions: their offsets are the next owner's business. */
  forget(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) {
      this.requested.delete(partitionKey(partition));
      this.confirmed.delete(partitionKey(partition));
    }
  }

  /** Requested offsets the broker has not confirmed. */
  uncommitted(): UncommittedOffset[] {
    return uncommittedOffsets(this.requested, this.confirmed);
  }

  /** Settles the commits whose results arrived; returns how many. */
  serve(): number {
    const lib = librdkafka();
    let handled = 0;
    for (let event = lib.rd_kafka_queue_poll(this.queue, 0); event; event = lib.rd_kafka_queue_poll(this.queue, 0)) {
      this.settle(event);
      lib.rd_kafka_event_destroy(event);
      handled++;
    }
    return handled;
  }

  /** Resolves once every commit in flight now has its result, whatever it is. */
  settled(): Promise<void> {
    const waits = [...this.pending].map(
      ([id, pending]) =>
        new Promise<void>((done) => {
          this.pending.set(id, {
            offsets: pending.offsets,
            resolve: () => (pending.resolve(), done()),
            reject: (error) => (pending.reject(error), done()),
          });
        }),
    );
    return Promise.all(waits).then(() => undefined);
  }

  destroy(): void {
    librdkafka().rd_kafka_queue_destroy(this.queue);
  }

  private send(rk: Pointer, offsets: TopicPartitionOffset[]): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const code = withPartitionList(offsets, (list) =>
        librdkafka().rd_kafka_commit_queue(rk, list, this.queue, null, id as unknown as Pointer),
      );
      if (code !== 0) return reject(errorFromCode(code, "commit"));
      this.pending.set(id, { offsets, resolve, reject });
    });
  }

  private settle(event: Pointer): void {
    const lib = librdkafka();
    const id = lib.rd_kafka_event_opaque(event) as unknown as number;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    let code = lib.rd_kafka_event_error(event);
    if (code === 0) code = readPartitionList(lib.rd_kafka_event_topic_partition_list(event)).find((p) => p.error)?.error ?? 0;
    if (code !== 0 && code !== RD_KAFKA_RESP_ERR__NO_OFFSET) return pending.reject(errorFromCode(code, "commit"));
    for (const { topic, partition, offset } of pending.offsets) {
      const key = partitionKey({ topic, partition });
      if ((this.confirmed.get(key) ?? -1) < offset) this.confirmed.set(key, offset);
    }
    pending.resolve();
  }
}
