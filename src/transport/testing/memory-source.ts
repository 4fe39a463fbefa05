import { settledBy } from "../../deadline.ts";
import type { TopicPartition, TopicPartitionOffset } from "../../kafka/partition-list.ts";
import type { DeliveryReport, ProducerRecord } from "../../kafka/producer.ts";
import { uncommittedOffsets } from "../../kafka/uncommitted-offsets.ts";
import type { TopicPartitionResult } from "../../kafka/partition-list.ts";
import type { CloseResult, RebalanceListener, RecordSink, TrackedMessageSource, UncommittedOffset } from "../message-source.ts";
import type { RawMessage } from "../types.ts";

/*
 * In-memory stand-ins for a consumer group member and a dead-letter producer, for contract tests of consume
 * loops. Both let a test make the "broker" refuse or never answer, and let it await a state of the fake (a
 * commit asked for, a batch handed out, a record sent) instead of waiting for time to pass.
 */

/** How the fake broker answers a commit or a send. */
export type Answer = "accept" | "refuse" | "never";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(value: string | Uint8Array | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? encoder.encode(value) : value;
}

function keyOf({ topic, partition }: TopicPartition): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Conditions a test awaits; each change of the fake (each `notify`) checks them again. Nothing polls: a
 * condition that never comes true leaves the test to its timeout.
 */
export class Changes {
  private waiting: Array<{ ready: () => boolean; resolve: () => void }> = [];

  until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ ready, resolve }));
  }

  notify(): void {
    this.waiting = this.waiting.filter((waiter) => {
      if (!waiter.ready()) return true;
      waiter.resolve();
      return false;
    });
  }
}

interface PartitionLog extends TopicPartition {
  messages: RawMessage[];
  /** The offset after the last message handed out, once one was. */
  position: number | undefined;
}

interface HeldCommit {
  offsets: TopicPartitionOffset[];
  settled: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

export interface AddOptions {
  partition?: number;
  key?: string | Uint8Array | null;
  headers?: Array<[string, string | Uint8Array | null]>;
  timestamp?: number;
}

/**
 * A consumer group member over partitions held in memory. Messages are handed out in the order they were
 * added, only for subscribed topics, up to the batch limits. Every commit is recorded; whether the "broker"
 * confirms it, refuses it or never answers is up to the test (`commitAnswer`). `close` ends the batches,
 * waits for unanswered commits until its timeout, and lists the offsets asked for and not confirmed, as the
 * Kafka consumer does.
 */
export class MemorySource implements TrackedMessageSource {
  /** Every commit asked for, in order: per partition, the offset after the last message done. */
  readonly commits: TopicPartitionOffset[][] = [];
  /** Every batch handed out, in order. */
  readonly taken: RawMessage[][] = [];
  /** The timeouts `close` was called with. */
  readonly closeCalls: number[] = [];
  /** How commits asked for from now on are answered. */
  commitAnswer: Answer = "accept";
  /** What a refused commit rejects with. */
  commitError: Error = new Error("commit failed: the group coordinator is not available");
  private subscribed = new Set<string>();
  private readonly logs = new Map<string, PartitionLog>();
  /** Added and not handed out yet, in the order added. */
  private ready: RawMessage[] = [];
  private readonly requested = new Map<string, TopicPartitionOffset>();
  private readonly confirmed = new Map<string, number>();
  private readonly confirmedMetadata = new Map<string, string | undefined>();
  private rebalance: RebalanceListener | undefined;
  /** Partitions revoked from this member: their messages are not handed out any more. */
  private readonly revokedKeys = new Set<string>();
  private readonly held: HeldCommit[] = [];
  private closed = false;
  private closing: Promise<CloseResult> | undefined;
  private readonly changes = new Changes();

  /** Makes a partition known (assigned once its topic is subscribed) before any message is added to it. */
  assign(topic: string, partition = 0): void {
    const known = this.logs.has(keyOf({ topic, partition }));
    this.log({ topic, partition });
    if (!known && this.subscribed.has(topic)) this.rebalance?.assigned([{ topic, partition }]);
    this.changes.notify();
  }

  /** Takes a partition away, as a rebalance would: the listener is told, then its messages stop coming. */
  revoke(topic: string, partition = 0): void {
    this.rebalance?.revoked([{ topic, partition }]);
    this.revokedKeys.add(keyOf({ topic, partition }));
    this.ready = this.ready.filter((message) => !this.revokedKeys.has(keyOf(message)));
    this.changes.notify();
  }

  /** What an earlier member committed, as the group's next member finds it. */
  preset(topic: string, partition: number, offset: number, metadata?: string): void {
    const key = keyOf({ topic, partition });
    this.confirmed.set(key, offset);
    this.confirmedMetadata.set(key, metadata);
  }

  onRebalance(listener: RebalanceListener): void {
    this.rebalance = listener;
  }

  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionResult[]> {
    return partitions.map(({ topic, partition }) => {
      const key = keyOf({ topic, partition });
      return { topic, partition, offset: this.confirmed.get(key) ?? -1001, error: 0, metadata: this.confirmedMetadata.get(key) };
    });
  }

  /** Appends a message to a partition (0 unless given); its offset follows the partition's last. */
  add(topic: string, value: string | Uint8Array | null, options: AddOptions = {}): RawMessage {
    const log = this.log({ topic, partition: options.partition ?? 0 });
    const message: RawMessage = {
      topic,
      partition: log.partition,
      offset: log.messages.length,
      key: bytes(options.key),
      value: bytes(value),
      headers: (options.headers ?? []).map(([name, header]) => [name, bytes(header)]),
      timestamp: options.timestamp ?? Date.now(),
    };
    log.messages.push(message);
    this.ready.push(message);
    this.changes.notify();
    return message;
  }

  /** Resolves once `ready` holds; checked again on every change of this source. */
  until(ready: () => boolean): Promise<void> {
    return this.changes.until(ready);
  }

  /** Resolves once `count` batches in all have been handed out. */
  whenTaken(count: number): Promise<void> {
    return this.until(() => this.taken.length >= count);
  }

  /** Resolves once `count` commits in all have been asked for. */
  whenCommitted(count: number): Promise<void> {
    return this.until(() => this.commits.length >= count);
  }

  /**
   * How far commits asked for reach on a partition (0 when none): a loop that commits each message and one
   * that commits each batch differ in their commit calls, not in this.
   */
  position(topic: string, partition = 0): number {
    let position = 0;
    for (const offsets of this.commits) {
      for (const offset of offsets) if (offset.topic === topic && offset.partition === partition) position = Math.max(position, offset.offset);
    }
    return position;
  }

  /** Resolves once commits asked for reach `offset` on the partition. */
  whenPosition(offset: number, topic: string, partition = 0): Promise<void> {
    return this.until(() => this.position(topic, partition) >= offset);
  }

  /** The last offset the "broker" confirmed for a partition. */
  confirmedOffset(topic: string, partition = 0): number | undefined {
    return this.confirmed.get(keyOf({ topic, partition }));
  }

  /** Answers every commit left unanswered so far: confirmed, or refused with `commitError`. */
  answerHeldCommits(answer: "accept" | "refuse" = "accept"): void {
    for (const commit of this.held.splice(0)) {
      if (answer === "accept") {
        this.confirm(commit.offsets);
        commit.resolve();
      } else {
        commit.reject(this.commitError);
      }
    }
    this.changes.notify();
  }

  subscribe(topics: readonly string[]): void {
    this.subscribed = new Set(topics);
    const assigned = this.assignment();
    if (assigned.length > 0) this.rebalance?.assigned(assigned);
    this.changes.notify();
  }

  async *batches(maxMessages: number, maxBytes: number): AsyncIterable<RawMessage[]> {
    for (;;) {
      await this.until(() => this.closed || this.takeable().length > 0);
      if (this.closed) return;
      const batch = this.take(maxMessages, maxBytes);
      this.taken.push(batch);
      this.changes.notify();
      yield batch;
    }
  }

  commit(done: ReadonlyArray<RawMessage | TopicPartitionOffset>): Promise<void> {
    if (this.closed) return Promise.reject(new Error("consumer is closed"));
    const next = new Map<string, TopicPartitionOffset>();
    for (const item of done) {
      const key = keyOf(item);
      const offset = "value" in item ? item.offset + 1 : item.offset;
      const metadata = "value" in item ? undefined : item.metadata;
      const entry: TopicPartitionOffset = { topic: item.topic, partition: item.partition, offset };
      if (metadata !== undefined) entry.metadata = metadata;
      if ((next.get(key)?.offset ?? -1) <= offset) next.set(key, entry);
    }
    if (next.size === 0) return Promise.resolve();
    const offsets = [...next.values()];
    this.commits.push(offsets);
    for (const offset of offsets) this.requested.set(keyOf(offset), offset);
    let result: Promise<void>;
    if (this.commitAnswer === "accept") {
      this.confirm(offsets);
      result = Promise.resolve();
    } else if (this.commitAnswer === "refuse") {
      result = Promise.reject(this.commitError);
    } else {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      this.held.push({ offsets, settled: promise.then(noop, noop), resolve, reject });
      result = promise;
    }
    this.changes.notify();
    return result;
  }

  /** Partitions of the subscribed topics; none once closed. */
  assignment(): TopicPartition[] {
    if (this.closed) return [];
    return [...this.logs.values()]
      .filter((log) => this.subscribed.has(log.topic) && !this.revokedKeys.has(keyOf(log)))
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Messages after the position, for the partitions read from, like the Kafka consumer. */
  lag(): Array<TopicPartition & { lag: number }> {
    if (this.closed) return [];
    return [...this.logs.values()]
      .filter((log) => this.subscribed.has(log.topic) && log.position !== undefined)
      .map(({ topic, partition, messages, position }) => ({ topic, partition, lag: messages.length - position! }));
  }

  close(timeoutMs: number): Promise<CloseResult> {
    this.closeCalls.push(timeoutMs);
    if (!this.closing) {
      this.closed = true;
      this.closing = this.shutDown(timeoutMs);
    }
    return this.closing;
  }

  /** Offsets asked for that the "broker" has not confirmed. */
  uncommitted(): UncommittedOffset[] {
    return uncommittedOffsets(this.requested, this.confirmed);
  }

  private async shutDown(timeoutMs: number): Promise<CloseResult> {
    const deadline = Date.now() + timeoutMs;
    // The batches end now.
    this.changes.notify();
    const left = await settledBy(Promise.all(this.held.map((commit) => commit.settled)), deadline);
    return { left, uncommitted: this.uncommitted() };
  }

  private confirm(offsets: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset, metadata } of offsets) {
      const key = keyOf({ topic, partition });
      if ((this.confirmed.get(key) ?? -1) <= offset) {
        this.confirmed.set(key, offset);
        this.confirmedMetadata.set(key, metadata);
      }
    }
  }

  private log(partition: TopicPartition): PartitionLog {
    const key = keyOf(partition);
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = { ...partition, messages: [], position: undefined }));
    return log;
  }

  private takeable(): RawMessage[] {
    return this.ready.filter((message) => this.subscribed.has(message.topic) && !this.revokedKeys.has(keyOf(message)));
  }

  /** Up to `maxMessages`, and `maxBytes` of keys and values; a larger message comes alone. */
  private take(maxMessages: number, maxBytes: number): RawMessage[] {
    const batch: RawMessage[] = [];
    let size = 0;
    for (const message of this.takeable()) {
      const length = (message.key?.byteLength ?? 0) + (message.value?.byteLength ?? 0);
      if (batch.length >= maxMessages || (batch.length > 0 && size + length > maxBytes)) break;
      batch.push(message);
      size += length;
    }
    const handed = new Set(batch);
    this.ready = this.ready.filter((message) => !handed.has(message));
    for (const message of batch) this.log(message).position = message.offset + 1;
    return batch;
  }
}

/**
 * A dead-letter producer in memory. Records every send; whether the "broker" acknowledges it, refuses it
 * or never answers is up to the test (`answer`), and unanswered sends can be answered later.
 */
export class MemoryRecordSink implements RecordSink {
  /** Records the "broker" acknowledged, in the order acknowledged. */
  readonly records: ProducerRecord[] = [];
  /** Every send asked for, answered or not. */
  readonly attempts: ProducerRecord[] = [];
  /** How sends asked for from now on are answered. */
  answer: Answer = "accept";
  /** What a refused send rejects with. */
  error: Error = new Error("dead letter not written: all brokers are down");
  private readonly held: Array<{ record: ProducerRecord; resolve(report: DeliveryReport): void; reject(error: Error): void }> = [];
  private readonly changes = new Changes();

  /** Resolves once `ready` holds; checked again on every send and answer. */
  until(ready: () => boolean): Promise<void> {
    return this.changes.until(ready);
  }

  /** Resolves once `count` sends in all have been asked for. */
  whenSent(count: number): Promise<void> {
    return this.until(() => this.attempts.length >= count);
  }

  /** Answers every send left unanswered so far. */
  answerHeld(answer: "accept" | "refuse" = "accept"): void {
    for (const send of this.held.splice(0)) {
      if (answer === "accept") send.resolve(this.acknowledge(send.record));
      else send.reject(this.error);
    }
    this.changes.notify();
  }

  send(record: ProducerRecord): Promise<DeliveryReport> {
    this.attempts.push(record);
    let result: Promise<DeliveryReport>;
    if (this.answer === "accept") {
      result = Promise.resolve(this.acknowledge(record));
    } else if (this.answer === "refuse") {
      result = Promise.reject(this.error);
    } else {
      const { promise, resolve, reject } = Promise.withResolvers<DeliveryReport>();
      this.held.push({ record, resolve, reject });
      result = promise;
    }
    this.changes.notify();
    return result;
  }

  private acknowledge(record: ProducerRecord): DeliveryReport {
    this.records.push(record);
    const offset = this.records.filter((r) => r.topic === record.topic).length - 1;
    return { topic: record.topic, partition: record.partition ?? 0, offset };
  }
}

/** A header of a produced record as text, or undefined when absent. */
export function headerOf(record: ProducerRecord, name: string): string | undefined {
  const headers = record.headers ?? [];
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  const found = (entries as Array<readonly [string, string | Uint8Array | null]>).find(([key]) => key === name);
  if (!found || found[1] === null) return undefined;
  return typeof found[1] === "string" ? found[1] : decoder.decode(found[1]);
}

function noop(): void {}
