import { parseEvent } from "../events/index.ts";
import type { Consumer } from "../kafka/consumer.ts";
import type { Producer } from "../kafka/producer.ts";
import type { Logger } from "../log.ts";
import { deadLetter, type DeadLetterReason } from "./dead-letter.ts";
import type { BatchHandler, Delivery, RawMessage } from "./types.ts";

export interface SubscriberMetrics {
  handled(eventType: string, outcome: "ok" | "skipped" | "dead-lettered", seconds: number): void;
  deadLettered(topic: string, reason: DeadLetterReason): void;
}

/** Two batches are in hand at once (one handled, the next parsed): 32 MiB of values at most. */
const DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024;

interface ParsedBatch {
  deliveries: Delivery[];
  invalid: Array<{ message: RawMessage; reason: DeadLetterReason; error: unknown }>;
}

export interface SubscriberOptions {
  consumer: Consumer;
  group: string;
  topics: readonly string[];
  handle: BatchHandler;
  /** Writes dead letters; its acknowledgement gates the commit past a bad message. */
  producer: Producer;
  logger: Logger;
  metrics?: SubscriberMetrics;
  maxBatch?: number;
  /** Key and value bytes per batch (a larger message comes alone), so batches of large events stay bounded. */
  maxBatchBytes?: number;
  maxEventBytes?: number;
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

  constructor(private readonly options: SubscriberOptions) {}

  /** Joined the group and owns at least one partition. */
  get ready(): boolean {
    return this.running !== undefined && this.options.consumer.assignment().length > 0;
  }

  /** Consumer lag per owned partition, for the metrics. */
  lag(): Array<{ topic: string; partition: number; lag: number }> {
    return this.options.consumer.lag();
  }

  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops taking messages, lets the batch in hand finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.inFlight;
    await this.options.consumer.close();
    await this.running;
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
    for await (const batch of consumer.batches(this.options.maxBatch ?? 500, this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES)) {
      const parsed = this.parse(batch);
      await previous;
      // Not handled, so not committed: the group's next owner gets it.
      if (this.stopping) break;
      previous = this.processUntilDone(batch, parsed);
      this.inFlight = previous;
    }
    await previous;
  }

  private parse(batch: RawMessage[]): ParsedBatch {
    const { logger, maxEventBytes } = this.options;
    const deliveries: Delivery[] = [];
    const invalid: ParsedBatch["invalid"] = [];
    for (const message of batch) {
      const parsed = parseEvent(message.value ?? new Uint8Array(0), { maxBytes: maxEventBytes });
      if (!parsed.ok) {
        const reason = message.value === null || parsed.error.issues[0]?.path === "" ? "unparseable" : "invalid";
        invalid.push({ message, reason, error: parsed.error });
        continue;
      }
      const { event } = parsed;
      // Made when first used: pino serializes a child's fields up front, and most events log nothing.
      let child: Logger | undefined;
      deliveries.push({
        known: parsed.known,
        event,
        message,
        get logger() {
          return (child ??= logger.child({ correlation_id: event.metadata.correlation_id, event_id: event.event_id }));
        },
      } as Delivery);
    }
    return { deliveries, invalid };
  }

  /**
   * A batch whose dead letters could not be written (the broker is down) is processed again after a pause,
   * never committed past: handlers are idempotent, so the second pass repeats no side effect.
   */
  private async processUntilDone(batch: RawMessage[], parsed: ParsedBatch): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.process(batch, parsed);
      } catch (error) {
        const delay = Math.min(30_000, 500 * 2 ** attempt);
        this.options.logger.error({ err: error, delayMs: delay }, "batch could not be finished; retrying it");
        await Bun.sleep(delay);
      }
    }
  }

  private async process(batch: RawMessage[], { deliveries, invalid }: ParsedBatch): Promise<void> {
    const { consumer, logger, metrics } = this.options;
    const started = performance.now();
    const dead = invalid.map(({ message, reason, error }) => this.deadLetter(message, reason, error));
    const failures = await this.options.handle(deliveries);
    for (const { delivery, error } of failures) {
      delivery.logger.error({ err: error, event_type: delivery.event.event_type }, "handler failed for good; dead-lettering");
      dead.push(this.deadLetter(delivery.message, "handler-failed", error));
    }
    await Promise.all(dead);
    const seconds = (performance.now() - started) / 1000 / Math.max(1, batch.length);
    const failed = new Set(failures.map((f) => f.delivery));
    for (const delivery of deliveries) {
      metrics?.handled(delivery.event.event_type, failed.has(delivery) ? "dead-lettered" : "ok", seconds);
    }
    // Not waited for: the next batch does not depend on it, librdkafka sends commits in order, and closing
    // the consumer waits for them. The work is done and idempotent; a failed commit only means redelivery.
    consumer.commit(batch).catch((error) => logger.warn({ err: error }, "offset commit failed; the batch may be redelivered"));
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
