import { read, type Pointer } from "bun:ffi";
import { silentLogger, type Logger } from "../log.ts";
import type { KafkaProperties } from "./client-config.ts";
import { CommonEvents, createHandle } from "./client-handle.ts";
import {
  MESSAGE,
  RD_KAFKA_CONSUMER,
  RD_KAFKA_EVENT_FETCH,
  RD_KAFKA_EVENT_OFFSET_COMMIT,
  RD_KAFKA_EVENT_REBALANCE,
  RD_KAFKA_PARTITION_UA,
  RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS,
  RD_KAFKA_RESP_ERR__NO_OFFSET,
} from "./ffi.ts";
import { KafkaError } from "./errors.ts";
import { errorFromCode, librdkafka, takeError } from "./library.ts";
import { MessageDecoder, type ConsumedMessage } from "./message-decoder.ts";
import { MessageBuffer } from "./message-buffer.ts";
import {
  partitionKey,
  readPartitionList,
  withPartitionList,
  type TopicPartition,
  type TopicPartitionOffset,
} from "./partition-list.ts";
import { PollLoop } from "./poll-loop.ts";

export type { ConsumedMessage } from "./message-decoder.ts";

export interface ConsumerOptions {
  groupId: string;
  properties: KafkaProperties;
  logger?: Logger;
  /** Messages fetched ahead of the caller; past this the partitions are paused (polling goes on). */
  maxBuffered?: number;
}

interface PendingCommit {
  resolve(): void;
  reject(error: KafkaError): void;
}

const EVENTS_PER_TURN = 1024;

/**
 * A consumer group member. Offsets are committed only when the caller says its work is done (`commit`),
 * and those offsets are committed synchronously before any partition is revoked in a rebalance, so a
 * new owner starts exactly after the last finished message.
 */
export class Consumer implements AsyncIterable<ConsumedMessage> {
  private rk: Pointer | null;
  private readonly consumerQueue: Pointer;
  private readonly commitQueue: Pointer;
  private readonly common: CommonEvents;
  private readonly loop: PollLoop;
  private readonly logger: Logger;
  private readonly decoder = new MessageDecoder();
  private readonly buffer = new MessageBuffer();
  private readonly maxBuffered: number;
  private readonly assigned = new Map<string, TopicPartition>();
  private readonly userPaused = new Set<string>();
  /** The latest offset the caller asked to commit per partition, for the commit before a revoke. */
  private readonly requested = new Map<string, TopicPartitionOffset>();
  private readonly commits = new Map<number, PendingCommit>();
  private nextCommitId = 1;
  private backpressured = false;
  private waiter: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private closeDone: (() => void) | undefined;

  constructor(options: ConsumerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    const properties = {
      "enable.auto.commit": "false",
      "auto.offset.reset": "earliest",
      ...options.properties,
      "group.id": options.groupId,
    };
    const lib = librdkafka();
    this.rk = createHandle(
      RD_KAFKA_CONSUMER,
      properties,
      RD_KAFKA_EVENT_FETCH | RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT,
    );
    lib.rd_kafka_poll_set_consumer(this.rk);
    this.consumerQueue = lib.rd_kafka_queue_get_consumer(this.rk)!;
    this.commitQueue = lib.rd_kafka_queue_new(this.rk)!;
    this.common = new CommonEvents(this.rk, this.logger);
    this.loop = new PollLoop(
      () => this.serve(),
      () => this.waiter !== undefined || this.commits.size > 0 || this.closing !== undefined,
      { busyMs: 1, maxBusyMs: 10, idleMs: 100 },
    );
  }

  subscribe(topics: readonly string[]): void {
    const rk = this.handle();
    const code = withPartitionList(
      topics.map((topic) => ({ topic, partition: RD_KAFKA_PARTITION_UA })),
      (list) => librdkafka().rd_kafka_subscribe(rk, list),
    );
    if (code !== 0) throw errorFromCode(code, `subscribe to ${topics.join(", ")}`);
    this.loop.wake();
  }

  /** The partitions this member owns now. */
  assignment(): TopicPartition[] {
    return [...this.assigned.values()];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    for (;;) {
      const batch = await this.nextBatch(1);
      if (!batch) return;
      yield batch[0]!;
    }
  }

  /** Whatever is ready, up to `maxMessages` at a time: the way to consume at full speed. */
  async *batches(maxMessages = 500): AsyncIterable<ConsumedMessage[]> {
    for (;;) {
      const batch = await this.nextBatch(maxMessages);
      if (!batch) return;
      yield batch;
    }
  }

  /**
   * Commits the position after each given message (or the given next offsets). Partitions this member no
   * longer owns are left alone: their new owner will see those messages again, which is safe for an
   * idempotent handler, whereas committing for them could move another member's position.
   */
  commit(done: ReadonlyArray<ConsumedMessage | TopicPartitionOffset>): Promise<void> {
    const next = new Map<string, TopicPartitionOffset>();
    for (const item of done) {
      const offset = "value" in item ? item.offset + 1 : item.offset;
      const key = partitionKey(item);
      if (!this.assigned.has(key)) continue;
      const seen = next.get(key);
      if (!seen || seen.offset < offset) next.set(key, { topic: item.topic, partition: item.partition, offset });
    }
    if (next.size === 0) return Promise.resolve();
    for (const [key, offset] of next) this.requested.set(key, offset);
    const rk = this.handle();
    const id = this.nextCommitId++;
    return new Promise((resolve, reject) => {
      const code = withPartitionList([...next.values()], (list) =>
        librdkafka().rd_kafka_commit_queue(rk, list, this.commitQueue, null, id as unknown as Pointer),
      );
      if (code !== 0) return reject(errorFromCode(code, "commit"));
      this.commits.set(id, { resolve, reject });
      this.loop.wake();
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.userPaused.add(partitionKey(partition));
    this.setPaused(partitions, true);
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.userPaused.delete(partitionKey(partition));
    if (!this.backpressured) this.setPaused(partitions, false);
  }

  /** Ends iteration, commits what was requested, leaves the group and frees the native handle. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const rk = this.rk;
    if (!rk) return;
    this.wakeWaiter();
    await Promise.allSettled([...this.commits.keys()].map((id) => this.settled(id)));
    const closed = new Promise<void>((resolve) => (this.closeDone = resolve));
    // Rebalance (revoke) events of the close arrive on the consumer queue and are served by the loop.
    const error = takeError(librdkafka().rd_kafka_consumer_close_queue(rk, this.consumerQueue), "close");
    if (error) this.logger.warn({ err: error }, "consumer close reported an error");
    this.loop.wake();
    await closed;
    this.loop.stop();
    const lib = librdkafka();
    lib.rd_kafka_queue_destroy(this.commitQueue);
    lib.rd_kafka_queue_destroy(this.consumerQueue);
    this.rk = null;
    lib.rd_kafka_destroy(rk);
  }

  private settled(id: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = this.commits.get(id);
      if (!pending) return resolve();
      this.commits.set(id, {
        resolve: () => (pending.resolve(), resolve()),
        reject: (error) => (pending.reject(error), resolve()),
      });
    });
  }

  private async nextBatch(max: number): Promise<ConsumedMessage[] | null> {
    for (;;) {
      if (this.closing) return null;
      if (this.buffer.length > 0) {
        const batch = this.buffer.take(max);
        this.relieveBackpressure();
        return batch;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        this.loop.wake();
      });
    }
  }

  private serve(): number {
    const rk = this.rk;
    if (!rk) return 0;
    const lib = librdkafka();
    let handled = 0;
    for (; handled < EVENTS_PER_TURN; handled++) {
      const event = lib.rd_kafka_queue_poll(this.consumerQueue, 0);
      if (!event) break;
      const type = lib.rd_kafka_event_type(event);
      if (type === RD_KAFKA_EVENT_FETCH) this.accept(lib.rd_kafka_event_message_next(event));
      else if (type === RD_KAFKA_EVENT_REBALANCE) this.rebalance(rk, event);
      else this.common.handle(event, type);
      lib.rd_kafka_event_destroy(event);
    }
    for (let event = lib.rd_kafka_queue_poll(this.commitQueue, 0); event; ) {
      this.committed(event);
      lib.rd_kafka_event_destroy(event);
      handled++;
      event = lib.rd_kafka_queue_poll(this.commitQueue, 0);
    }
    if (this.buffer.length > this.maxBuffered && !this.backpressured) {
      this.backpressured = true;
      this.setPaused(this.assignment(), true);
    }
    if (this.buffer.length > 0) this.wakeWaiter();
    if (this.closing && this.closeDone && lib.rd_kafka_consumer_closed(rk)) this.closeDone();
    return handled;
  }

  private accept(message: Pointer | null): void {
    if (!message || this.closing) return;
    const err = read.i32(message, MESSAGE.err);
    if (err !== 0) {
      // Per-partition consumer errors (a missing topic, an authorization failure) are reported, not fatal.
      const error = errorFromCode(err, "consume");
      this.logger.warn({ code: error.codeName }, error.message);
      return;
    }
    this.buffer.push(this.decoder.decode(message));
  }

  private rebalance(rk: Pointer, event: Pointer): void {
    const lib = librdkafka();
    const list = lib.rd_kafka_event_topic_partition_list(event);
    const partitions = readPartitionList(list).map(({ topic, partition }) => ({ topic, partition }));
    const cooperative = lib.rd_kafka_rebalance_protocol(rk).toString() === "COOPERATIVE";
    if (lib.rd_kafka_event_error(event) === RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (const partition of partitions) this.assigned.set(partitionKey(partition), partition);
      const error = cooperative
        ? takeError(lib.rd_kafka_incremental_assign(rk, list), "assign")
        : nonZero(lib.rd_kafka_assign(rk, list), "assign");
      if (error) this.logger.error({ err: error }, "could not take the assigned partitions");
      if (this.backpressured) this.setPaused(partitions, true);
      this.logger.info({ partitions }, "partitions assigned");
      return;
    }
    this.commitBeforeRevoke(rk, partitions);
    for (const partition of partitions) {
      const key = partitionKey(partition);
      this.assigned.delete(key);
      this.userPaused.delete(key);
      this.requested.delete(key);
    }
    this.buffer.drop((message) => !this.assigned.has(partitionKey(message)));
    const error = cooperative
      ? takeError(lib.rd_kafka_incremental_unassign(rk, list), "unassign")
      : nonZero(lib.rd_kafka_assign(rk, null), "unassign");
    if (error) this.logger.error({ err: error }, "could not release the revoked partitions");
    this.logger.info({ partitions }, "partitions revoked");
  }

  // Synchronous on purpose: the partitions must not move before their offsets are on the broker.
  private commitBeforeRevoke(rk: Pointer, partitions: readonly TopicPartition[]): void {
    const offsets = partitions.flatMap((p) => this.requested.get(partitionKey(p)) ?? []);
    if (offsets.length === 0) return;
    const code = withPartitionList(offsets, (list) => librdkafka().rd_kafka_commit(rk, list, 0));
    if (code !== 0 && code !== RD_KAFKA_RESP_ERR__NO_OFFSET) {
      this.logger.warn({ err: errorFromCode(code) }, "commit before revoke failed; the new owner will see those messages again");
    }
  }

  private committed(event: Pointer): void {
    const lib = librdkafka();
    const id = lib.rd_kafka_event_opaque(event) as unknown as number;
    const pending = this.commits.get(id);
    if (!pending) return;
    this.commits.delete(id);
    let code = lib.rd_kafka_event_error(event);
    if (code === 0) code = readPartitionList(lib.rd_kafka_event_topic_partition_list(event)).find((p) => p.error)?.error ?? 0;
    if (code === 0 || code === RD_KAFKA_RESP_ERR__NO_OFFSET) pending.resolve();
    else pending.reject(errorFromCode(code, "commit"));
  }

  private setPaused(partitions: readonly TopicPartition[], paused: boolean): void {
    const rk = this.rk;
    const owned = partitions.filter((p) => this.assigned.has(partitionKey(p)));
    if (!rk || owned.length === 0) return;
    const lib = librdkafka();
    withPartitionList(owned, (list) =>
      paused ? lib.rd_kafka_pause_partitions(rk, list) : lib.rd_kafka_resume_partitions(rk, list),
    );
  }

  private relieveBackpressure(): void {
    if (!this.backpressured || this.buffer.length > this.maxBuffered / 2) return;
    this.backpressured = false;
    this.setPaused(
      this.assignment().filter((p) => !this.userPaused.has(partitionKey(p))),
      false,
    );
  }

  private wakeWaiter(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private handle(): Pointer {
    if (!this.rk || this.closing) throw new KafkaError(-172, "consumer is closed");
    return this.rk;
  }
}

function nonZero(code: number, context: string): KafkaError | null {
  return code === 0 ? null : errorFromCode(code, context);
}
