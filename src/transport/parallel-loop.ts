import { settledBy } from "../deadline.ts";
import { UnavailableError } from "../errors.ts";
import { partitionKey, type TopicPartition } from "../kafka/partition-list.ts";
import type { Logger } from "../log.ts";
import { abortableSleep } from "./abortable-sleep.ts";
import { deadLetter, type DeadLetterReason } from "./dead-letter.ts";
import { withAbandoned } from "./abandoned.ts";
import type { RecordSink, TrackedMessageSource } from "./message-source.ts";
import { OffsetTracker } from "./offset-tracker.ts";
import { parseBatch } from "./parse-batch.ts";
import { Stall } from "./stall.ts";
import type { StopResult, SubscriberMetrics } from "./subscriber.ts";
import type { Delivery, RawMessage } from "./types.ts";

/** A message's work is tried again after 0.5 s, doubling up to this, while something it needs is away. */
const MAX_RETRY_MS = 5_000;
/**
 * Commits are asked for at most this often. Sooner costs the broker an OffsetCommit per few finished tasks
 * (at thousands of tasks a second, more of its CPU than the tasks' events); later widens the window in which
 * a finished task whose partition moves to another member runs again.
 */
export const COMMIT_INTERVAL_MS = 50;
/** Keys and values taken from the consumer at once. */
const MAX_TAKE_BYTES = 16 * 1024 * 1024;

export interface ParallelLoopOptions {
  consumer: TrackedMessageSource;
  group: string;
  topics: readonly string[];
  /** Messages handled at once, whatever the partition count. */
  concurrency: number;
  /** Messages this loop does not want (another agent type's, told by a header) are finished unhandled. */
  accepts?: (message: RawMessage) => boolean;
  /**
   * Handles one message. Resolving finishes it. Throwing an UnavailableError (a full disk, the broker away)
   * tries it again later; any other error dead-letters it. Its delivery's signal aborts when its partition
   * is revoked or the stop's grace is over: it is then left for redelivery.
   */
  handle: (delivery: Delivery) => Promise<void>;
  /** Writes dead letters. */
  producer: RecordSink;
  logger: Logger;
  metrics?: SubscriberMetrics;
  maxEventBytes?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Running {
  message: RawMessage;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * A consume loop for long tasks at high concurrency: up to `concurrency` messages in hand at once, from any
 * partitions, finishing in any order. Per partition it commits up to the lowest unfinished offset, with the
 * finished ones above it in the commit's metadata, so whoever gets the partition next skips them
 * (OffsetTracker). Taking messages stops while every slot is busy, and the consumer then stops fetching at
 * its buffer's limit, so memory stays bounded. A revoke commits what is finished and abandons the rest to the
 * next owner.
 */
export class ParallelLoop {
  private readonly tracker = new OffsetTracker();
  private readonly running = new Map<string, Map<number, Running>>();
  /** Partitions whose committed metadata is being read: their messages wait for it. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly lastCommitted = new Map<string, string>();
  private readonly stopAll = new AbortController();
  private readonly stall: Stall;
  private inHand = 0;
  private slotFreed: (() => void) | undefined;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private committing = false;
  private commitAgain = false;
  private commitTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ParallelLoopOptions) {
    this.stall = new Stall(options.logger);
    options.consumer.onRebalance({ assigned: (partitions) => this.assigned(partitions), revoked: (partitions) => this.revoked(partitions) });
  }

  get ready(): boolean {
    return this.loopDone !== undefined && this.options.consumer.assignment().length > 0;
  }

  get blocked(): string | undefined {
    return this.stall.problem;
  }

  /** Messages being handled now. */
  get inFlight(): number {
    return this.inHand;
  }

  lag(): Array<{ topic: string; partition: number; lag: number }> {
    return this.options.consumer.lag();
  }

  start(): Promise<void> {
    this.loopDone ??= this.loop();
    return this.loopDone;
  }

  /**
   * Takes no more messages, lets those in hand finish until `handDeadline`, aborts the rest, commits what is
   * finished and leaves the group by `deadline`.
   */
  async stop(handDeadline: number, deadline: number): Promise<StopResult> {
    this.stopping = true;
    this.slotFreed?.();
    const all = () => [...this.running.values()].flatMap((tasks) => [...tasks.values()]);
    const finished = await settledBy(Promise.all(all().map((task) => task.done)), handDeadline);
    const abandoned = finished ? [] : all().map((task) => task.message);
    this.stopAll.abort();
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    this.commit(true);
    const closed = await this.options.consumer.close(Math.max(0, deadline - Date.now()));
    if (this.loopDone) await settledBy(this.loopDone, deadline);
    return { group: this.options.group, left: closed.left, uncommitted: withAbandoned(closed.uncommitted, abandoned) };
  }

  private async loop(): Promise<void> {
    const { consumer, topics, logger, concurrency } = this.options;
    consumer.subscribe(topics);
    logger.info({ group: this.options.group, topics, concurrency }, "subscribed");
    for await (const batch of consumer.batches(concurrency, MAX_TAKE_BYTES)) {
      for (const message of batch) {
        if (this.stopping) return;
        await this.take(message);
      }
    }
  }

  private async take(message: RawMessage): Promise<void> {
    const key = partitionKey(message);
    await this.starting.get(key);
    // Revoked while it waited: the partition's next owner has it.
    if (!this.tracker.has(key)) return;
    const wanted = this.options.accepts?.(message) ?? true;
    if (this.tracker.take(key, message.offset) === "skip" || !wanted) {
      this.tracker.finish(key, message.offset);
      this.commit();
      return;
    }
    while (this.inHand >= this.options.concurrency && !this.stopping) {
      await new Promise<void>((resolve) => (this.slotFreed = resolve));
    }
    // Left unfinished in the tracker: the commit stays below it and it is delivered again.
    if (this.stopping) return;
    this.run(key, message);
  }

  private run(key: string, message: RawMessage): void {
    const abort = new AbortController();
    const stop = () => abort.abort();
    this.stopAll.signal.addEventListener("abort", stop, { once: true });
    this.inHand++;
    this.options.metrics?.inHand?.(this.inHand);
    const done = this.work(message, abort.signal).then(
      () => this.tracker.finish(key, message.offset),
      // Aborted (revoked, or stopped): left unfinished for the next owner.
      () => {},
    );
    const task: Running = { message, abort, done };
    let tasks = this.running.get(key);
    if (!tasks) this.running.set(key, (tasks = new Map()));
    tasks.set(message.offset, task);
    void done.finally(() => {
      this.stopAll.signal.removeEventListener("abort", stop);
      tasks.delete(message.offset);
      this.inHand--;
      this.options.metrics?.inHand?.(this.inHand);
      const freed = this.slotFreed;
      this.slotFreed = undefined;
      freed?.();
      this.commit();
    });
  }

  /** One message's work, tried until it is handled or dead-lettered, or aborted. */
  private async work(message: RawMessage, signal: AbortSignal): Promise<void> {
    const { logger, maxEventBytes, handle, metrics } = this.options;
    const sleep = this.options.sleep ?? abortableSleep;
    const { items } = parseBatch([message], { logger, signal, maxEventBytes });
    const item = items[0]!;
    let failure: { reason: DeadLetterReason; error: unknown } | undefined = "invalid" in item ? item.invalid : undefined;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw signal.reason;
      try {
        if (failure) {
          await this.deadLetter(message, failure.reason, failure.error);
        } else if ("delivery" in item) {
          const started = performance.now();
          try {
            await handle(item.delivery);
            metrics?.handled(item.delivery.event.event_type, item.delivery.known ? "ok" : "skipped", (performance.now() - started) / 1000);
          } catch (error) {
            if (signal.aborted || error instanceof UnavailableError) throw error;
            item.delivery.logger.error({ err: error, event_type: item.delivery.event.event_type }, "handler failed for good; dead-lettering");
            failure = { reason: "handler-failed", error };
            metrics?.handled(item.delivery.event.event_type, "dead-lettered", (performance.now() - started) / 1000);
            continue;
          }
        }
        this.stall.cleared();
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        this.stall.failed(error);
        await sleep(Math.min(MAX_RETRY_MS, 500 * 2 ** attempt), signal);
      }
    }
  }

  private async deadLetter(message: RawMessage, reason: DeadLetterReason, error: unknown): Promise<void> {
    const { producer, group, logger, metrics } = this.options;
    logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason, err: error }, "dead-lettering message");
    await deadLetter(producer, message, group, reason, error);
    metrics?.deadLettered(message.topic, reason);
  }

  /**
   * Commits every partition whose commit point moved. One request at a time: a finish during it asks for
   * one more afterwards, so at high rates commits batch themselves by the broker's round trip.
   */
  private commit(now = false): void {
    if (this.committing || (this.commitTimer && !now)) {
      this.commitAgain = true;
      return;
    }
    const points = this.pointsToCommit();
    if (points.length === 0) return;
    this.committing = true;
    const started = Date.now();
    void this.options.consumer
      .commit(points)
      .catch((error) => this.options.logger.warn({ err: error }, "offset commit failed; finished messages may be redelivered"))
      .finally(() => {
        this.committing = false;
        if (!this.commitAgain) return;
        this.commitAgain = false;
        const wait = COMMIT_INTERVAL_MS - (Date.now() - started);
        if (wait <= 0 || this.stopping) return this.commit(true);
        this.commitTimer = setTimeout(() => {
          this.commitTimer = undefined;
          this.commit(true);
        }, wait);
      });
  }

  private pointsToCommit() {
    const points = [];
    for (const [key, committed] of this.trackedPartitions()) {
      const point = this.tracker.commitPoint(key);
      if (!point) continue;
      const text = `${point.offset}:${point.metadata}`;
      if (this.lastCommitted.get(key) === text) continue;
      this.lastCommitted.set(key, text);
      points.push({ ...committed, ...point });
    }
    return points;
  }

  private trackedPartitions(): Array<[string, TopicPartition]> {
    return this.options.consumer
      .assignment()
      .map((partition) => [partitionKey(partition), partition] as [string, TopicPartition])
      .filter(([key]) => this.tracker.has(key));
  }

  /** Reads what the last owner committed before any of the partitions' messages are handled. */
  private assigned(partitions: TopicPartition[]): void {
    const read = this.options.consumer.committed(partitions).then(
      (results) => {
        for (const partition of partitions) {
          const result = results.find((r) => r.topic === partition.topic && r.partition === partition.partition);
          this.tracker.start(partitionKey(partition), result?.metadata, result?.offset);
        }
      },
      (error) => {
        // Without the metadata, messages the last owner finished past its commit point run again.
        this.options.logger.warn({ err: error, partitions }, "could not read the committed metadata; finished messages may run again");
        for (const partition of partitions) this.tracker.start(partitionKey(partition), undefined, undefined);
      },
    );
    for (const partition of partitions) this.starting.set(partitionKey(partition), read);
  }

  /** Commits what is finished of the revoked partitions and abandons the rest to their next owner. */
  private revoked(partitions: TopicPartition[]): void {
    const points = [];
    for (const partition of partitions) {
      const key = partitionKey(partition);
      const point = this.tracker.commitPoint(key);
      if (point) points.push({ ...partition, ...point });
      for (const task of this.running.get(key)?.values() ?? []) task.abort.abort();
      this.tracker.forget(key);
      this.starting.delete(key);
      this.lastCommitted.delete(key);
    }
    // Asked for now, so the consumer's commit before the revoke completes includes it.
    if (points.length > 0) void this.options.consumer.commit(points).catch(() => {});
  }
}
