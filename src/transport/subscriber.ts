import { settledBy } from "../deadline.ts";
import { UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { abortableSleep } from "./abortable-sleep.ts";
import { withAbandoned } from "./abandoned.ts";
import { deadLetter, type DeadLetterReason } from "./dead-letter.ts";
import { partitionKey, type TopicPartition, type TopicPartitionOffset, type TopicPartitionResult } from "../kafka/partition-list.ts";
import type { MessageSource, RecordSink, TrackedMessageSource, UncommittedOffset } from "./message-source.ts";
import { decodeBatch, type Decode } from "./decoded-batch.ts";
import { parseBatch, type ParsedBatch, type ParsedItem } from "./parse-batch.ts";
import { Stall } from "./stall.ts";
import type { BatchHandler, Delivery, HandlerFailure, RawMessage } from "./types.ts";

export interface SubscriberMetrics {
  handled(eventType: string, outcome: "ok" | "skipped" | "dead-lettered", seconds: number): void;
  deadLettered(topic: string, reason: DeadLetterReason): void;
  /** How many messages the loop is handling now (0 between batches). */
  inHand?(messages: number): void;
}

/** Two batches are in hand at once (one handled, the next parsed): 32 MiB of values at most. */
const DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** A batch that cannot be finished is tried again after 0.5 s, doubling up to this. */
const MAX_BATCH_RETRY_MS = 5_000;

export interface SubscriberOptions {
  consumer: MessageSource;
  group: string;
  topics: readonly string[];
  handle: BatchHandler;
  /** Writes dead letters; its acknowledgement gates the commit past a bad message. */
  producer: RecordSink;
  logger: Logger;
  metrics?: SubscriberMetrics;
  maxBatch?: number;
  /** Key and value bytes per batch (a larger message comes alone), so batches of large events stay bounded. */
  maxBatchBytes?: number;
  maxEventBytes?: number;
  /**
   * Commit after each message instead of after each batch, awaiting the broker's confirmation before the
   * next one: for handlers with effects outside Kafka (an email), so that a partition moving to another
   * process after a crash repeats at most the one effect in flight, not the rest of a batch.
   */
  commitEach?: boolean;
  /** Messages the handler does not want (told from headers) are committed with their batch, unparsed. */
  accepts?: (message: RawMessage) => boolean;
  /** Messages the handler reads itself, as something other than an event (see decoded-batch.ts). */
  decode?: Decode;
  /** For handlers whose state is rebuilt from their input (see ReplayHooks); needs a TrackedMessageSource. */
  replay?: ReplayHooks;
  /** For tests: what waits between attempts at a batch. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * For a handler whose state is rebuilt by reading its input again: it is told, before any message of a
 * partition reaches it, what was committed for the partition (offset and metadata), and it says what to commit
 * after each batch, which may be an offset well before the batch (the first event it still needs).
 */
export interface ReplayHooks {
  assigned(partitions: TopicPartitionResult[]): void;
  revoked(partitions: TopicPartition[]): void;
  commitPoints(batch: readonly RawMessage[]): TopicPartitionOffset[];
}

/** How a consume loop stopped. */
export interface StopResult {
  group: string;
  /** Left its group cleanly. */
  left: boolean;
  /** Partitions whose work is done or was in hand but whose offsets are not committed: delivered again later. */
  uncommitted: UncommittedOffset[];
}

/**
 * The consume loop: parse every message of a batch, hand the good ones to the handler, dead-letter the
 * bad ones and those that failed for good, and only then commit the batch. So an offset is committed only
 * after the work for every message before it is durable, or its dead letter is acknowledged.
 */
export class Subscriber {
  private stopping = false;
  private running: Promise<void> | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** The batch being handled, if any: reported as uncommitted when a stop cannot wait for it. */
  private inHand: RawMessage[] | undefined;
  private readonly abort = new AbortController();
  private readonly stall: Stall;

  /** Partitions whose committed offsets are being read for `replay`: their batches wait for it. */
  private readonly starting = new Map<string, Promise<void>>();

  /**
   * Revokes so far, and per partition the count when it was last revoked. The next batch is taken while the one
   * before is handled, so a revoke can fall between the two: that batch's messages of the revoked partitions
   * are then the new owner's (or, assigned back, read again from the committed offset) and are not handled here.
   * A batch notes the count when taken; with no revoke since, nothing more is looked at.
   */
  private revokes = 0;
  private readonly lastRevoked = new Map<string, number>();

  constructor(private readonly options: SubscriberOptions) {
    this.stall = new Stall(options.logger);
    this.listenForRebalances(options.replay);
  }

  private listenForRebalances(replay: ReplayHooks | undefined): void {
    const consumer = this.options.consumer as TrackedMessageSource;
    consumer.onRebalance({
      assigned: (partitions) => {
        if (partitions.length === 0 || !replay) return;
        const read = consumer.committed(partitions).then(
          (results) => replay.assigned(results),
          (error) => {
            this.options.logger.warn({ err: error, partitions }, "could not read the committed offsets; replaying from the committed position only");
            replay.assigned(partitions.map((p) => ({ ...p, offset: -1001, error: 0, metadata: undefined })));
          },
        );
        for (const partition of partitions) this.starting.set(partitionKey(partition), read);
        void read.then(() => {
          for (const partition of partitions) if (this.starting.get(partitionKey(partition)) === read) this.starting.delete(partitionKey(partition));
        });
      },
      revoked: (partitions) => {
        this.revokes++;
        for (const partition of partitions) {
          this.lastRevoked.set(partitionKey(partition), this.revokes);
          this.starting.delete(partitionKey(partition));
        }
        replay?.revoked(partitions);
      },
    });
  }

  /** Joined the group and owns at least one partition. */
  get ready(): boolean {
    return this.running !== undefined && this.options.consumer.assignment().length > 0;
  }

  /** Why batches cannot be finished right now (a full disk, the broker away), or undefined. */
  get blocked(): string | undefined {
    return this.stall.problem;
  }

  /** Consumer lag per owned partition, for the metrics. */
  lag(): Array<{ topic: string; partition: number; lag: number }> {
    return this.options.consumer.lag();
  }

  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Stops taking messages and lets the batch in hand finish and commit until `handDeadline` (ms since
   * epoch); then aborts what is left, and leaves the group by `deadline`. What could not be committed is
   * listed: it will be delivered again, and handlers deduplicate it.
   */
  async stop(handDeadline: number, deadline: number): Promise<StopResult> {
    this.stopping = true;
    const finished = await settledBy(this.inFlight, handDeadline);
    const abandoned = finished ? undefined : this.inHand;
    this.abort.abort();
    const closed = await this.options.consumer.close(Math.max(0, deadline - Date.now()));
    if (this.running) await settledBy(this.running, deadline);
    return { group: this.options.group, left: closed.left, uncommitted: withAbandoned(closed.uncommitted, abandoned ?? []) };
  }

  /*
   * Two batches overlap: the next one is fetched and parsed (CPU) while the handler of the one before waits
   * on its I/O (an fsync, an SMTP reply). Handlers still run one batch at a time, in order, and each batch's
   * commit is requested before the next is handled. The audit role, for one, waits about 30 ms on write and
   * fsync per batch of 5,000 events, about as long as parsing the next batch takes.
   */
  private async loop(): Promise<void> {
    const { consumer, topics, logger } = this.options;
    consumer.subscribe(topics);
    logger.info({ group: this.options.group, topics }, "subscribed");
    let previous: Promise<void> = Promise.resolve();
    // Messages taken from the consumer and not finished, for the metrics: 0 with no lag means drained.
    let taken = 0;
    const count = (delta: number) => this.options.metrics?.inHand?.((taken += delta));
    for await (const batch of consumer.batches(this.options.maxBatch ?? 500, this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES)) {
      const revokesBefore = this.revokes;
      count(batch.length);
      if (this.starting.size > 0) await Promise.all(new Set(batch.map((m) => this.starting.get(partitionKey(m)))));
      const wanted = this.options.accepts ? batch.filter(this.options.accepts) : batch;
      const parseOptions = { logger, signal: this.abort.signal, maxEventBytes: this.options.maxEventBytes };
      const decode = this.options.decode;
      const parsed = decode ? decodeBatch(wanted, decode, parseOptions) : parseBatch(wanted, parseOptions);
      await previous;
      // Not handled, so not committed: the group's next owner gets it.
      if (this.stopping) break;
      const held = this.stillHeld(batch, parsed, revokesBefore);
      previous = (held.batch.length > 0 ? this.processUntilDone(held.batch, held.parsed) : Promise.resolve()).finally(() => count(-batch.length));
      this.inFlight = previous;
    }
    await previous;
  }

  /** The batch without the messages of partitions revoked since it was taken (when `revokesBefore` revokes had been). */
  private stillHeld(batch: RawMessage[], parsed: ParsedBatch, revokesBefore: number): { batch: RawMessage[]; parsed: ParsedBatch } {
    if (this.revokes === revokesBefore) return { batch, parsed };
    const held = (message: RawMessage) => (this.lastRevoked.get(partitionKey(message)) ?? 0) <= revokesBefore;
    if (batch.every(held)) return { batch, parsed };
    this.options.logger.info({ dropped: batch.filter((message) => !held(message)).length }, "messages of partitions revoked since their batch was taken are left to their owner");
    return {
      batch: batch.filter(held),
      parsed: {
        items: parsed.items.filter((item) => held(item.message)),
        deliveries: parsed.deliveries.filter((delivery) => held(delivery.message)),
        invalid: parsed.invalid.filter((invalid) => held(invalid.message)),
      },
    };
  }

  /**
   * A batch that cannot be finished (a full disk, dead letters the broker cannot take) is processed again
   * after a pause, never committed past: handlers are idempotent, so the second pass repeats no side effect.
   * A stop ends the attempts; the batch is then delivered again later.
   */
  private async processUntilDone(batch: RawMessage[], parsed: ParsedBatch): Promise<void> {
    const signal = this.abort.signal;
    const sleep = this.options.sleep ?? abortableSleep;
    this.inHand = batch;
    // In commitEach mode, how far the batch got: a retry goes on from the message that failed.
    const cursor = { next: 0 };
    try {
      for (let attempt = 0; !signal.aborted; attempt++) {
        try {
          if (this.options.commitEach) await this.processEach(parsed, cursor);
          else await this.process(batch, parsed);
          this.stall.cleared();
          return;
        } catch (error) {
          if (signal.aborted) return;
          this.stall.failed(error);
          await sleep(Math.min(MAX_BATCH_RETRY_MS, 500 * 2 ** attempt), signal);
        }
      }
    } finally {
      this.inHand = undefined;
    }
  }

  private async process(batch: RawMessage[], { deliveries, invalid }: ParsedBatch): Promise<void> {
    const { consumer, logger } = this.options;
    const started = performance.now();
    const dead = invalid.map(({ message, reason, error }) => this.deadLetter(message, reason, error));
    let failures;
    try {
      failures = await this.options.handle(deliveries);
    } finally {
      // Not left unobserved if the handler threw: the attempt is repeated and writes them again.
      await Promise.allSettled(dead);
    }
    this.throwIfStopped();
    dead.push(...this.deadLetterFailures(failures));
    await Promise.all(dead);
    this.count(deliveries, failures, (performance.now() - started) / 1000 / Math.max(1, batch.length));
    // Not waited for: the next batch does not depend on it, librdkafka sends commits in order, and closing
    // the consumer waits for them. The work is done and idempotent; a failed commit only means redelivery.
    const points = this.options.replay ? this.options.replay.commitPoints(batch) : batch;
    consumer.commit(points).catch((error) => logger.warn({ err: error }, "offset commit failed; the batch may be redelivered"));
  }

  /** One message at a time: handled (or dead-lettered), then committed, confirmed before the next. */
  private async processEach({ items }: ParsedBatch, cursor: { next: number }): Promise<void> {
    for (; cursor.next < items.length; cursor.next++) {
      const item: ParsedItem = items[cursor.next]!;
      const started = performance.now();
      if ("invalid" in item) {
        await this.deadLetter(item.message, item.invalid.reason, item.invalid.error);
      } else {
        const failures = await this.options.handle([item.delivery]);
        this.throwIfStopped();
        await Promise.all(this.deadLetterFailures(failures));
        this.count([item.delivery], failures, (performance.now() - started) / 1000);
      }
      await this.options.consumer.commit([item.message]);
    }
  }

  /**
   * A handler that returns after the stop gave up on it failed because of the stop (its waits were cut, its
   * producer closed): those failures are not the event's fault and must not be dead-lettered.
   */
  private throwIfStopped(): void {
    if (this.abort.signal.aborted) throw new Error("stopped before the batch was finished");
  }

  /** Dead letters for the handler's lasting failures; an UnavailableError fails the attempt instead. */
  private deadLetterFailures(failures: readonly HandlerFailure[]): Array<Promise<void>> {
    for (const { error } of failures) if (error instanceof UnavailableError) throw error;
    return failures.map(({ delivery, error }) => {
      delivery.logger.error({ err: error, event_type: delivery.event.event_type }, "handler failed for good; dead-lettering");
      return this.deadLetter(delivery.message, "handler-failed", error);
    });
  }

  private count(deliveries: readonly Delivery[], failures: readonly HandlerFailure[], seconds: number): void {
    const failed = new Set(failures.map((f) => f.delivery));
    for (const delivery of deliveries) {
      const outcome = failed.has(delivery) ? "dead-lettered" : delivery.known ? "ok" : "skipped";
      this.options.metrics?.handled(delivery.event.event_type, outcome, seconds);
    }
  }

  private async deadLetter(message: RawMessage, reason: DeadLetterReason, error: unknown): Promise<void> {
    const { producer, group, logger, metrics } = this.options;
    logger.warn(
      { topic: message.topic, partition: message.partition, offset: message.offset, reason, err: error },
      "dead-lettering message",
    );
    await deadLetter(producer, message, group, reason, error);
    metrics?.deadLettered(message.topic, reason);
  }
}

