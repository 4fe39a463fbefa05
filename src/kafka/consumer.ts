import { ptr, type Pointer } from "../runtime/native.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { KafkaProperties } from "./client-config.ts";
import { CommonEvents, createHandle } from "./client-handle.ts";
import type { Connectivity } from "./connectivity.ts";
import {
  RD_KAFKA_CONSUMER,
  RD_KAFKA_EVENT_FETCH,
  RD_KAFKA_EVENT_OFFSET_COMMIT,
  RD_KAFKA_EVENT_REBALANCE,
  RD_KAFKA_PARTITION_UA,
  RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS,
} from "./ffi.ts";
import { settledBy } from "../deadline.ts";
import { KafkaError } from "./errors.ts";
import { FetchQueue } from "./fetch-queue.ts";
import { GroupOffsets } from "./group-offsets.ts";
import { cstr, errorFromCode, librdkafka, takeError } from "./library.ts";
import { MessageDecoder, type ConsumedMessage } from "./message-decoder.ts";
import { MessageBuffer } from "./message-buffer.ts";
import { OffsetCommits, type UncommittedOffset } from "./offset-commits.ts";
import {
  partitionKey,
  readPartitionList,
  withPartitionList,
  type TopicPartition,
  type TopicPartitionOffset,
  type TopicPartitionResult,
} from "./partition-list.ts";
import { PollLoop } from "./poll-loop.ts";

export type { ConsumedMessage } from "./message-decoder.ts";
export type { UncommittedOffset } from "./offset-commits.ts";

export interface ConsumerOptions {
  groupId: string;
  properties: KafkaProperties;
  logger?: Logger;
  /**
   * Messages taken from librdkafka ahead of the caller. Past this, no more are taken until the caller has
   * used half; librdkafka keeps the rest and stops fetching at its own limit (queued.max.messages.kbytes).
   */
  maxBuffered?: number;
  /**
   * The same in key and value bytes, so that large messages cannot pile up: 64 MiB unless given. Checked
   * between drains of librdkafka's queue, so it can be passed by one drain: at most what librdkafka holds.
   */
  maxBufferedBytes?: number;
}

/**
 * Told of partitions as they are assigned, and before revoked ones go: a revoke first calls `revoked`, then
 * commits what was asked for (including what `revoked` asked for), then lets them go.
 */
export interface RebalanceListener {
  assigned(partitions: TopicPartition[]): void;
  revoked(partitions: TopicPartition[]): void;
}

const EVENTS_PER_TURN = 1024;
const MESSAGES_PER_TURN = 4096;
/**
 * How long a revoke waits for the commit of the revoked partitions before letting them go anyway. With the
 * broker up it takes milliseconds; with the coordinator away it would never end, and the partitions are
 * then lost to this member regardless: their new owner redelivers, which handlers deduplicate.
 */
const REVOKE_COMMIT_TIMEOUT_MS = 5_000;

/** How a close ended: left the group with everything committed, or not within its time. */
export interface CloseResult {
  /** Left the group cleanly (librdkafka's close completed in time). */
  left: boolean;
  /** Offsets asked for whose commit the broker did not confirm: those messages will be delivered again. */
  uncommitted: UncommittedOffset[];
}

/**
 * A consumer group member. Offsets are committed only when the caller says its work is done (`commit`),
 * and those offsets are committed synchronously before any partition is revoked in a rebalance, so a
 * new owner starts exactly after the last finished message.
 */
export class Consumer implements AsyncIterable<ConsumedMessage> {
  private rk: Pointer | null;
  private readonly consumerQueue: Pointer;
  private readonly commits: OffsetCommits;
  private readonly groupOffsets: GroupOffsets;
  private readonly fetch: FetchQueue;
  private rebalanceListener: RebalanceListener | undefined;
  private readonly common: CommonEvents;
  private readonly loop: PollLoop;
  private readonly logger: Logger;
  private readonly decoder = new MessageDecoder();
  private readonly buffer = new MessageBuffer();
  private readonly maxBuffered: number;
  private readonly maxBufferedBytes: number;
  private readonly assigned = new Map<string, TopicPartition>();
  /** Per partition, the offset after the last message handed to the caller: where the lag is counted from. */
  private readonly positions = new Map<string, number>();
  private readonly watermarks = new BigInt64Array(2);
  /** The buffer was full when the last turn ended, so messages are left on the fetch queue. */
  private full = false;
  private waiter: (() => void) | undefined;
  private closing: Promise<CloseResult> | undefined;
  private closeDone: (() => void) | undefined;
  /** Revokes waiting for their commit; their partitions are still ours until it is answered. */
  private revoking = 0;

  constructor(options: ConsumerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    const properties = {
      "enable.auto.commit": "false",
      "auto.offset.reset": "earliest",
      // librdkafka prefetches until queued.max.messages.kbytes, then postpones the next fetch by this much
      // (1 s by default). A JS consumer drains more slowly than librdkafka fetches, so it hits that limit
      // every ~60k messages of 1 KiB and would sit idle for most of the second.
      "fetch.queue.backoff.ms": "20",
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
    this.commits = new OffsetCommits(this.rk, (key) => this.assigned.has(key));
    this.groupOffsets = new GroupOffsets(this.rk, options.groupId);
    this.fetch = new FetchQueue(this.rk);
    this.common = new CommonEvents(this.rk, this.logger);
    this.loop = new PollLoop(
      () => this.serve(),
      () =>
        this.closing
          ? "polling"
          : this.waiter !== undefined || this.commits.inFlight > 0 || this.groupOffsets.inFlight > 0
            ? "awaiting"
            : "idle",
      { busyMs: 1, maxBusyMs: 10, idleMs: 100 },
    );
    for (const queue of [this.consumerQueue, this.commits.queue, this.groupOffsets.queue, this.fetch.queue]) this.loop.watch(queue);
  }

  /** Whether this client reaches the cluster, as its statistics and connection errors say. */
  get connectivity(): Connectivity {
    return this.common.connectivity;
  }

  /** librdkafka's fatal error, once it reported one: the consumer cannot go on (e.g. a group protocol the broker refuses). */
  get fatalError(): KafkaError | undefined {
    return this.common.fatal;
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

  /**
   * Whatever is ready, up to `maxMessages` and `maxBytes` of keys and values at a time (a larger message
   * comes alone): the way to consume at full speed.
   */
  async *batches(maxMessages = 500, maxBytes = Number.POSITIVE_INFINITY): AsyncIterable<ConsumedMessage[]> {
    for (;;) {
      const batch = await this.nextBatch(maxMessages, maxBytes);
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
    // Allowed while closing: the close's revoke is exactly when the last finished work must be committed.
    const committed = this.commits.request(() => this.openHandle(), done);
    this.loop.wake();
    return committed;
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.setPaused(partitions, true);
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.setPaused(partitions, false);
  }

  /**
   * Messages between this member's position and each owned partition's end, from the high watermark
   * librdkafka keeps from its fetch responses (no request is made). Partitions not read from yet are left out.
   */
  lag(): Array<TopicPartition & { lag: number }> {
    const rk = this.rk;
    if (!rk || this.closing) return [];
    const lib = librdkafka();
    const result: Array<TopicPartition & { lag: number }> = [];
    for (const [key, partition] of this.assigned) {
      const position = this.positions.get(key);
      if (position === undefined) continue;
      const code = lib.rd_kafka_get_watermark_offsets(
        rk,
        ptr(cstr(partition.topic)),
        partition.partition,
        ptr(this.watermarks),
        ptr(this.watermarks, 8),
      );
      const high = Number(this.watermarks[1]);
      if (code === 0 && high >= 0) result.push({ ...partition, lag: Math.max(0, high - position) });
    }
    return result;
  }

  /** Sets who is told of assignments and revokes; set it before subscribing. */
  onRebalance(listener: RebalanceListener): void {
    this.rebalanceListener = listener;
  }

  /** The group's committed offsets of the given partitions, with the metadata committed with them. */
  committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionResult[]> {
    this.handle();
    const read = this.groupOffsets.read(partitions);
    this.loop.wake();
    return read;
  }

  /** Offsets asked for whose commit the broker has not confirmed yet. */
  uncommitted(): UncommittedOffset[] {
    return this.commits.uncommitted();
  }

  /**
   * Ends iteration, commits what was requested, leaves the group and frees the native handle, within
   * `timeoutMs`. With the broker away that cannot finish: the handle is then destroyed without the group
   * protocol's goodbye, and the result lists what stayed uncommitted.
   */
  close(timeoutMs = 30_000): Promise<CloseResult> {
    this.closing ??= this.shutDown(timeoutMs);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<CloseResult> {
    const rk = this.rk;
    if (!rk) return { left: true, uncommitted: [] };
    const deadline = Date.now() + timeoutMs;
    this.wakeWaiter();
    await settledBy(this.commits.settled(), deadline);
    const closed = new Promise<void>((resolve) => (this.closeDone = resolve));
    // Rebalance (revoke) events of the close arrive on the consumer queue and are served by the loop.
    const error = takeError(librdkafka().rd_kafka_consumer_close_queue(rk, this.consumerQueue), "close");
    if (error) this.logger.warn({ err: error }, "consumer close reported an error");
    this.loop.wake();
    const left = await settledBy(closed, deadline);
    const uncommitted = this.commits.uncommitted();
    this.loop.stop();
    const lib = librdkafka();
    this.fetch.destroy();
    this.commits.destroy();
    this.groupOffsets.destroy();
    lib.rd_kafka_queue_destroy(this.consumerQueue);
    this.rk = null;
    if (left) {
      lib.rd_kafka_destroy(rk);
    } else {
      // A close that did not finish leaves librdkafka's threads waiting on the group: destroying the handle
      // joins them and can block this thread for good, past any deadline (seen with a rebalance left half
      // done). The handle is left to the process's exit, which follows a stop.
      this.logger.warn("consumer did not leave its group in time; its handle is left to the process's exit");
    }
    return { left, uncommitted };
  }

  private async nextBatch(max: number, maxBytes = Number.POSITIVE_INFINITY): Promise<ConsumedMessage[] | null> {
    for (;;) {
      if (this.closing) return null;
      if (this.buffer.length > 0) {
        const batch = this.buffer.take(max, maxBytes);
        for (const message of batch) this.positions.set(partitionKey(message), message.offset + 1);
        // The fetch queue signals only when it turns non-empty, so a loop that left messages there for
        // want of room must be woken when the room is back.
        if (this.full && this.buffer.length <= this.maxBuffered / 2 && this.buffer.bytes <= this.maxBufferedBytes / 2) {
          this.full = false;
          this.loop.wake();
        }
        return batch;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        this.loop.wake();
      });
    }
  }

  // The consumer queue first: messages that reached it before their partition was forwarded precede, in
  // partition order, those on the fetch queue.
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
    handled += this.commits.serve();
    handled += this.groupOffsets.serve();
    for (let budget = MESSAGES_PER_TURN; budget > 0 && !this.bufferFull(); ) {
      const count = this.fetch.drain(budget, this.accept);
      handled += count;
      if (count === 0) break;
      budget -= count;
    }
    // Backpressure without pausing: a pause would discard everything librdkafka has prefetched for the
    // partitions (a version barrier) and fetch it again after the resume.
    this.full = this.bufferFull();
    if (this.buffer.length > 0) this.wakeWaiter();
    if (this.closing && this.closeDone && this.revoking === 0 && lib.rd_kafka_consumer_closed(rk)) this.closeDone();
    return handled;
  }

  private readonly accept = (message: Pointer | null): void => {
    if (!message || this.closing) return;
    const decoded = this.decoder.decode(message);
    if (typeof decoded !== "number") {
      this.buffer.push(decoded);
      return;
    }
    // Per-partition consumer errors (a missing topic, an authorization failure) are reported, not fatal.
    const error = errorFromCode(decoded, "consume");
    this.logger.warn({ code: error.codeName }, error.message);
  };

  private rebalance(rk: Pointer, event: Pointer): void {
    const lib = librdkafka();
    const list = lib.rd_kafka_event_topic_partition_list(event);
    const partitions = readPartitionList(list).map(({ topic, partition }) => ({ topic, partition }));
    const cooperative = lib.rd_kafka_rebalance_protocol(rk).toString() === "COOPERATIVE";
    if (lib.rd_kafka_event_error(event) === RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (const partition of partitions) this.assigned.set(partitionKey(partition), partition);
      this.fetch.take(partitions);
      const error = cooperative
        ? takeError(lib.rd_kafka_incremental_assign(rk, list), "assign")
        : nonZero(lib.rd_kafka_assign(rk, list), "assign");
      if (error) this.logger.error({ err: error }, "could not take the assigned partitions");
      this.logger.info({ partitions }, "partitions assigned");
      this.tell("assigned", partitions);
      return;
    }
    this.tell("revoked", partitions);
    // Messages not handed out yet are the next owner's; those in the caller's hands may still be committed
    // until the unassign below, which waits for the commit of everything asked for so far.
    const revoked = new Set(partitions.map(partitionKey));
    this.buffer.drop((message) => revoked.has(partitionKey(message)));
    const lost = lib.rd_kafka_assignment_lost(rk) !== 0;
    this.revoking++;
    const committed = lost ? Promise.resolve() : this.commits.flushFor(rk, partitions);
    void settledBy(committed, Date.now() + REVOKE_COMMIT_TIMEOUT_MS).then((inTime) => {
      this.revoking--;
      if (!inTime) this.logger.warn({ partitions }, "commit before revoke not answered in time; the new owner will see those messages again");
      this.release(partitions, cooperative);
    });
  }

  /** Completes a revoke: librdkafka holds the rebalance until this unassign. */
  private release(partitions: TopicPartition[], cooperative: boolean): void {
    const rk = this.rk;
    for (const partition of partitions) {
      this.assigned.delete(partitionKey(partition));
      this.positions.delete(partitionKey(partition));
    }
    this.commits.forget(partitions);
    if (!rk) return;
    const lib = librdkafka();
    const error = cooperative
      ? withPartitionList(partitions, (list) => takeError(lib.rd_kafka_incremental_unassign(rk, list), "unassign"))
      : nonZero(lib.rd_kafka_assign(rk, null), "unassign");
    if (error) this.logger.error({ err: error }, "could not release the revoked partitions");
    this.fetch.release(partitions);
    this.logger.info({ partitions }, "partitions revoked");
    this.loop.wake();
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

  private bufferFull(): boolean {
    return this.buffer.length > this.maxBuffered || this.buffer.bytes > this.maxBufferedBytes;
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

  private openHandle(): Pointer {
    if (!this.rk) throw new KafkaError(-172, "consumer is closed");
    return this.rk;
  }

  /** A listener's failure is logged: it must never leave a rebalance half done, which librdkafka would wait on. */
  private tell(what: "assigned" | "revoked", partitions: TopicPartition[]): void {
    try {
      this.rebalanceListener?.[what](partitions);
    } catch (error) {
      this.logger.error({ err: error, partitions }, `rebalance listener failed on ${what} partitions`);
    }
  }
}

function nonZero(code: number, context: string): KafkaError | null {
  return code === 0 ? null : errorFromCode(code, context);
}
