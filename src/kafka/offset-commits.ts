import type { Pointer } from "bun:ffi";
import type { Logger } from "../log.ts";
import { RD_KAFKA_RESP_ERR__NO_OFFSET } from "./ffi.ts";
import type { KafkaError } from "./errors.ts";
import { errorFromCode, librdkafka } from "./library.ts";
import type { ConsumedMessage } from "./message-decoder.ts";
import { partitionKey, readPartitionList, withPartitionList, type TopicPartition, type TopicPartitionOffset } from "./partition-list.ts";

interface PendingCommit {
  resolve(): void;
  reject(error: KafkaError): void;
}

/**
 * A consumer's commits: asynchronous ones the caller asked for, answered on a private queue, and the
 * synchronous one before a revoke, which writes the latest offset asked for each revoked partition.
 */
export class OffsetCommits {
  readonly queue: Pointer;
  /** The latest offset the caller asked to commit per partition, for the commit before a revoke. */
  private readonly requested = new Map<string, TopicPartitionOffset>();
  private readonly pending = new Map<number, PendingCommit>();
  private nextId = 1;

  constructor(
    rk: Pointer,
    private readonly owns: (key: string) => boolean,
    private readonly logger: Logger,
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
      if (!seen || seen.offset < offset) next.set(key, { topic: item.topic, partition: item.partition, offset });
    }
    if (next.size === 0) return Promise.resolve();
    const rk = handle();
    for (const [key, offset] of next) this.requested.set(key, offset);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const code = withPartitionList([...next.values()], (list) =>
        librdkafka().rd_kafka_commit_queue(rk, list, this.queue, null, id as unknown as Pointer),
      );
      if (code !== 0) return reject(errorFromCode(code, "commit"));
      this.pending.set(id, { resolve, reject });
    });
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

  // Synchronous on purpose: the partitions must not move before their offsets are on the broker.
  beforeRevoke(rk: Pointer, partitions: readonly TopicPartition[]): void {
    const offsets = partitions.flatMap((p) => this.requested.get(partitionKey(p)) ?? []);
    for (const partition of partitions) this.requested.delete(partitionKey(partition));
    if (offsets.length === 0) return;
    const code = withPartitionList(offsets, (list) => librdkafka().rd_kafka_commit(rk, list, 0));
    if (code !== 0 && code !== RD_KAFKA_RESP_ERR__NO_OFFSET) {
      this.logger.warn({ err: errorFromCode(code) }, "commit before revoke failed; the new owner will see those messages again");
    }
  }

  /** Resolves once every commit in flight now has its result, whatever it is. */
  settled(): Promise<void> {
    const waits = [...this.pending].map(
      ([id, pending]) =>
        new Promise<void>((done) => {
          this.pending.set(id, {
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

  private settle(event: Pointer): void {
    const lib = librdkafka();
    const id = lib.rd_kafka_event_opaque(event) as unknown as number;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    let code = lib.rd_kafka_event_error(event);
    if (code === 0) code = readPartitionList(lib.rd_kafka_event_topic_partition_list(event)).find((p) => p.error)?.error ?? 0;
    if (code === 0 || code === RD_KAFKA_RESP_ERR__NO_OFFSET) pending.resolve();
    else pending.reject(errorFromCode(code, "commit"));
  }
}
