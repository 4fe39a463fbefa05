import { afterEach, describe, expect, test } from "bun:test";
import { DiskError } from "../errors.ts";
import { createEvent, serializeEvent } from "../events/index.ts";
import { silentLogger, type Logger } from "../log.ts";
import { eachEvent } from "./compose.ts";
import { DeadLetterHeaders } from "./dead-letter.ts";
import type { MessageSource, RecordSink, UncommittedOffset } from "./message-source.ts";
import { retry } from "./middleware/retry.ts";
import { Changes, headerOf, MemoryRecordSink, MemorySource } from "./testing/memory-source.ts";
import type { BatchHandler, Delivery } from "./types.ts";

/*
 * What every consume loop owes the events it reads, whatever else it does: an offset is committed only
 * once the work for every message before it is durable or its dead letter acknowledged; what cannot be
 * finished now is kept and tried again, never skipped; and a stop finishes what is in hand, or says what
 * it leaves uncommitted. The Subscriber runs this suite, and so does every other loop, through the small
 * factory below.
 */

export const CONTRACT_TOPIC = "task-events";
export const CONTRACT_GROUP = "contract-group";

/** What a loop under test is built over. */
export interface LoopParts {
  source: MessageSource;
  /** Where dead letters go. */
  deadLetters: RecordSink;
  handle: BatchHandler;
  group: string;
  topics: readonly string[];
  /** Waits between attempts at a batch that cannot be finished; the suite decides when each wait ends. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  logger: Logger;
}

/** The part of a consume loop the contract drives. */
export interface ConsumeLoop {
  /** Runs the loop; settles once it has stopped. */
  start(): Promise<void>;
  /** See Subscriber.stop: finish the batch in hand until `handDeadline`, return by `deadline`. */
  stop(handDeadline: number, deadline: number): Promise<{ left: boolean; uncommitted: UncommittedOffset[] }>;
  /** Why batches cannot be finished right now, or undefined. */
  readonly blocked: string | undefined;
}

export type MakeLoop = (parts: LoopParts) => ConsumeLoop;

/** A test that awaits a state which never comes fails after this, not after the run's minute. */
const TEST_TIMEOUT_MS = 10_000;

/**
 * Lets every continuation already due run (promise callbacks, then one turn of the event loop). Used only
 * before asserting that something did NOT happen: a commit that a broken loop would make without waiting
 * on I/O is made by then.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The loop's waits between attempts at a batch: each lasts until the test ends it (or the loop stops). */
export class Pauses {
  /** How long each wait was asked to last, in order. */
  readonly asked: number[] = [];
  private readonly open: Array<() => void> = [];
  private readonly changes = new Changes();

  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> => {
    this.asked.push(ms);
    this.changes.notify();
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.open.push(resolve);
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  };

  /** Resolves once the loop has begun `count` waits in all. */
  whenWaiting(count: number): Promise<void> {
    return this.changes.until(() => this.asked.length >= count);
  }

  /** Ends the waits under way: the loop tries the batch again. */
  end(): void {
    for (const resolve of this.open.splice(0)) resolve();
  }
}

/** Something a fake handler waits on until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: () => resolve() };
}

export function taskCreatedJson(taskId = "task-1"): string {
  const event = createEvent(
    "task.created",
    { task_id: taskId, title: "Review quarterly report", owner_id: "user-456", priority: 2 },
    { correlation_id: `req-${taskId}`, causation_id: `api-${taskId}`, source: "task-api" },
  );
  return new TextDecoder().decode(serializeEvent(event));
}

/** A well-formed envelope of a type outside the catalog: what a newer producer would write. */
export function unknownTypeJson(): string {
  const envelope = JSON.parse(taskCreatedJson("task-unknown")) as Record<string, unknown>;
  return JSON.stringify({ ...envelope, event_type: "invoice.paid", data: { invoice_id: "inv-1", amount_cents: 1200 } });
}

/** Valid JSON that is not an event envelope (no event_id, occurred_at, metadata). */
export const NOT_AN_ENVELOPE = JSON.stringify({ event_type: "task.created", data: { task_id: "task-9" } });
export const NOT_JSON = "{ this is not json";

/**
 * A batch handler that records the batches it was given, calls `each` on them, and reports no failures;
 * `whenCalled(n)` resolves once it has been called n times.
 */
export function recording(each: (deliveries: Delivery[]) => Promise<void> = async () => {}) {
  const batches: Delivery[][] = [];
  const calls = new Changes();
  const handle: BatchHandler = async (deliveries) => {
    batches.push(deliveries);
    calls.notify();
    await each(deliveries);
    return [];
  };
  return { handle, batches, whenCalled: (count: number) => calls.until(() => batches.length >= count) };
}

interface Harness {
  source: MemorySource;
  sink: MemoryRecordSink;
  pauses: Pauses;
  loop: ConsumeLoop;
  /** The loop's run: settles once it has stopped. */
  ended: Promise<unknown>;
  /** What the loop's run failed with, if it did. */
  failure: unknown;
  stop(handInMs: number, withinMs: number): ReturnType<ConsumeLoop["stop"]>;
}

/** Registers the consume-loop contract against the loops `makeLoop` builds. */
export function consumeLoopContract(name: string, makeLoop: MakeLoop): void {
  describe(`${name} keeps the consume-loop contract`, () => {
    let started: Harness[] = [];

    afterEach(async () => {
      // Stop what a test left running; a handler left hanging is abandoned at once.
      const harnesses = started;
      started = [];
      for (const harness of harnesses) await harness.stop(0, 1_000);
      await settle();
      // A loop must never end by throwing: the process would lose its consumer without a word.
      for (const harness of harnesses) if (harness.failure !== undefined) throw harness.failure;
    });

    /** A loop over a fresh source and sink, started; the source already holds `values`. */
    function run(handle: BatchHandler, values: Array<string | null> = []): Harness {
      const source = new MemorySource();
      const sink = new MemoryRecordSink();
      const pauses = new Pauses();
      source.assign(CONTRACT_TOPIC, 0);
      for (const value of values) source.add(CONTRACT_TOPIC, value, { key: "task-1" });
      const loop = makeLoop({
        source,
        deadLetters: sink,
        handle,
        group: CONTRACT_GROUP,
        topics: [CONTRACT_TOPIC],
        sleep: pauses.sleep,
        logger: silentLogger,
      });
      const ended = loop.start();
      let stopping: ReturnType<ConsumeLoop["stop"]> | undefined;
      const harness: Harness = {
        source,
        sink,
        pauses,
        loop,
        ended,
        failure: undefined,
        stop: (handInMs, withinMs) => (stopping ??= loop.stop(Date.now() + handInMs, Date.now() + withinMs)),
      };
      ended.catch((error: unknown) => (harness.failure = error ?? new Error("the loop failed")));
      started.push(harness);
      return harness;
    }

    const offsetsOf = (deliveries: Delivery[]) => deliveries.map((d) => d.message.offset);
    const position = (source: MemorySource) => source.position(CONTRACT_TOPIC, 0);
    // Where commits reach, per call; a loop may add metadata (ParallelLoop lists what it finished above).
    const commitsOf = (source: MemorySource) =>
      source.commits.map((offsets) => offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));

    test(
      "commits a batch only after its handler has resolved",
      async () => {
        const work = gate();
        const handler = recording(() => work.promise);
        const { source } = run(handler.handle, [taskCreatedJson("task-1"), taskCreatedJson("task-2")]);
        await handler.whenCalled(1);
        await settle();
        expect(source.commits).toEqual([]);

        work.open();
        await source.whenPosition(2, CONTRACT_TOPIC);
        expect(position(source)).toBe(2);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "hands batches to the handler one at a time, in the order fetched, and commits them in that order",
      async () => {
        const first = gate();
        const handler = recording((deliveries) => (deliveries[0]!.message.offset === 0 ? first.promise : Promise.resolve()));
        const { source } = run(handler.handle, [taskCreatedJson("task-1")]);
        await handler.whenCalled(1);
        source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
        await settle();
        // The second batch may be fetched meanwhile, but it is not handled while the first is in hand.
        expect(handler.batches).toHaveLength(1);

        first.open();
        await source.whenPosition(2, CONTRACT_TOPIC);
        expect(handler.batches.map(offsetsOf)).toEqual([[0], [1]]);
        expect(source.commits.map((offsets) => offsets.map((o) => o.offset))).toEqual([[1], [2]]);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "dead-letters a message that is not JSON as unparseable, and commits past it only once the dead letter is acknowledged",
      async () => {
        const handler = recording();
        const { source, sink } = run(handler.handle);
        sink.answer = "never";
        source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"), { key: "task-1" });
        const bad = source.add(CONTRACT_TOPIC, NOT_JSON, { key: "task-2", headers: [["traceparent", "00-abc-def-01"]] });
        await sink.whenSent(1);
        await settle();
        // Not past the bad message (a loop committing each message may have committed the good one before it).
        expect(position(source)).toBeLessThanOrEqual(bad.offset);

        sink.answerHeld();
        await source.whenPosition(2, CONTRACT_TOPIC);
        expect(position(source)).toBe(2);
        // The good message of the batch was handled; the bad one never reached the handler.
        expect(handler.batches.flatMap(offsetsOf)).toEqual([0]);
        const [letter] = sink.records;
        expect(sink.records).toHaveLength(1);
        expect(letter!.topic).toBe(`${CONTRACT_TOPIC}.dlq`);
        expect(letter!.value).toEqual(bad.value);
        expect(letter!.key).toEqual(bad.key);
        expect(headerOf(letter!, DeadLetterHeaders.reason)).toBe("unparseable");
        expect(headerOf(letter!, DeadLetterHeaders.error)).toContain("not valid JSON");
        expect(headerOf(letter!, DeadLetterHeaders.topic)).toBe(CONTRACT_TOPIC);
        expect(headerOf(letter!, DeadLetterHeaders.partition)).toBe("0");
        expect(headerOf(letter!, DeadLetterHeaders.offset)).toBe(String(bad.offset));
        expect(headerOf(letter!, DeadLetterHeaders.group)).toBe(CONTRACT_GROUP);
        // The original headers travel with it.
        expect(headerOf(letter!, "traceparent")).toBe("00-abc-def-01");
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "dead-letters valid JSON that is not an event envelope as invalid, and commits past it only once the dead letter is acknowledged",
      async () => {
        const handler = recording();
        const { source, sink } = run(handler.handle);
        sink.answer = "never";
        const bad = source.add(CONTRACT_TOPIC, NOT_AN_ENVELOPE);
        await sink.whenSent(1);
        await settle();
        expect(source.commits).toEqual([]);

        sink.answerHeld();
        await source.whenCommitted(1);
        expect(commitsOf(source)).toEqual([[{ topic: CONTRACT_TOPIC, partition: 0, offset: 1 }]]);
        const [letter] = sink.records;
        expect(letter!.topic).toBe(`${CONTRACT_TOPIC}.dlq`);
        expect(headerOf(letter!, DeadLetterHeaders.reason)).toBe("invalid");
        expect(headerOf(letter!, DeadLetterHeaders.error)).toContain("event_id");
        expect(headerOf(letter!, DeadLetterHeaders.topic)).toBe(CONTRACT_TOPIC);
        expect(headerOf(letter!, DeadLetterHeaders.partition)).toBe("0");
        expect(headerOf(letter!, DeadLetterHeaders.offset)).toBe(String(bad.offset));
        expect(headerOf(letter!, DeadLetterHeaders.group)).toBe(CONTRACT_GROUP);
        expect(handler.batches.flat()).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "dead-letters the failures the batch handler returns as handler-failed, and commits only once they are acknowledged",
      async () => {
        const handle: BatchHandler = async (deliveries) =>
          deliveries.filter((d) => d.message.offset === 1).map((delivery) => ({ delivery, error: new Error("webhook answered 422") }));
        const { source, sink } = run(handle);
        sink.answer = "never";
        source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
        const failing = source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
        source.add(CONTRACT_TOPIC, taskCreatedJson("task-3"));
        await sink.whenSent(1);
        await settle();
        expect(position(source)).toBeLessThanOrEqual(failing.offset);

        sink.answerHeld();
        await source.whenPosition(3, CONTRACT_TOPIC);
        expect(position(source)).toBe(3);
        expect(sink.records).toHaveLength(1);
        const [letter] = sink.records;
        expect(letter!.value).toEqual(failing.value);
        expect(headerOf(letter!, DeadLetterHeaders.reason)).toBe("handler-failed");
        expect(headerOf(letter!, DeadLetterHeaders.error)).toContain("webhook answered 422");
        expect(headerOf(letter!, DeadLetterHeaders.offset)).toBe(String(failing.offset));
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "with the retry middleware, a failing handler is retried, then dead-lettered as handler-failed and committed",
      async () => {
        let calls = 0;
        const handle = eachEvent(
          new Set(["task.created"]),
          async () => {
            calls++;
            throw new Error("smtp down");
          },
          [retry({ maxRetries: 2, initialDelayMs: 1, sleep: async () => {} })],
        );
        const { source, sink } = run(handle, [taskCreatedJson("task-1")]);
        await source.whenPosition(1, CONTRACT_TOPIC);
        expect(calls).toBe(3);
        expect(sink.records).toHaveLength(1);
        expect(headerOf(sink.records[0]!, DeadLetterHeaders.reason)).toBe("handler-failed");
        expect(headerOf(sink.records[0]!, DeadLetterHeaders.error)).toContain("smtp down");
        expect(commitsOf(source)).toEqual([[{ topic: CONTRACT_TOPIC, partition: 0, offset: 1 }]]);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "commits events of a type outside the catalog without handing them to a handler of other types or dead-lettering them",
      async () => {
        const seen: string[] = [];
        const handle = eachEvent(new Set(["task.created"]), async (delivery) => void seen.push(delivery.event.event_type));
        const { source, sink } = run(handle, [unknownTypeJson(), taskCreatedJson("task-1"), unknownTypeJson()]);
        await source.whenPosition(3, CONTRACT_TOPIC);
        await settle();
        expect(seen).toEqual(["task.created"]);
        expect(position(source)).toBe(3);
        expect(sink.attempts).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "keeps a batch uncommitted while the handler finds the disk unavailable, hands the same batch again until it succeeds, then commits it once",
      async () => {
        const path = "/data/email-processed.sqlite";
        const handler = recording(async () => {
          if (handler.batches.length <= 2) throw new DiskError(path, "SQLITE_FULL");
        });
        const { source, sink, pauses, loop } = run(handler.handle, [taskCreatedJson("task-1"), taskCreatedJson("task-2")]);

        await pauses.whenWaiting(1);
        expect(loop.blocked).toContain(path);
        expect(source.commits).toEqual([]);
        pauses.end();
        await pauses.whenWaiting(2);
        expect(loop.blocked).toContain(path);
        expect(source.commits).toEqual([]);
        pauses.end();

        await source.whenPosition(2, CONTRACT_TOPIC);
        await settle();
        // The first message was handed again twice, then everything was handled and committed once.
        expect(handler.batches.map(offsetsOf).slice(0, 3).map((offsets) => offsets[0])).toEqual([0, 0, 0]);
        expect(new Set(handler.batches.slice(2).flatMap(offsetsOf))).toEqual(new Set([0, 1]));
        expect(source.commits.flat().map((o) => o.offset)).not.toContain(0);
        expect(position(source)).toBe(2);
        expect(sink.attempts).toEqual([]);
        expect(loop.blocked).toBeUndefined();
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "does not dead-letter a disk failure the batch handler returns among its failures: the batch is tried again",
      async () => {
        let calls = 0;
        const handle: BatchHandler = async (deliveries) => {
          calls++;
          if (calls > 1) return [];
          return deliveries.map((delivery) => ({ delivery, error: new DiskError("/data/slack-processed.sqlite", "ENOSPC") }));
        };
        const { source, sink, pauses, loop } = run(handle, [taskCreatedJson("task-1")]);
        await pauses.whenWaiting(1);
        expect(loop.blocked).toContain("/data/slack-processed.sqlite");
        expect(source.commits).toEqual([]);

        pauses.end();
        await source.whenCommitted(1);
        expect(calls).toBe(2);
        expect(sink.attempts).toEqual([]);
        expect(commitsOf(source)).toEqual([[{ topic: CONTRACT_TOPIC, partition: 0, offset: 1 }]]);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "keeps a batch uncommitted while its dead letters cannot be written, and commits it once the sink takes them",
      async () => {
        const handler = recording();
        const { source, sink, pauses, loop } = run(handler.handle);
        sink.answer = "refuse";
        source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
        const bad = source.add(CONTRACT_TOPIC, NOT_JSON);

        // Never past the message whose dead letter is not written.
        await pauses.whenWaiting(1);
        expect(position(source)).toBeLessThanOrEqual(bad.offset);
        expect(loop.blocked).toBeDefined();
        pauses.end();
        await pauses.whenWaiting(2);
        expect(position(source)).toBeLessThanOrEqual(bad.offset);

        sink.answer = "accept";
        pauses.end();
        await source.whenPosition(2, CONTRACT_TOPIC);
        await settle();
        expect(position(source)).toBe(2);
        expect(sink.attempts).toHaveLength(3);
        expect(sink.records).toHaveLength(1);
        expect(headerOf(sink.records[0]!, DeadLetterHeaders.reason)).toBe("unparseable");
        expect(loop.blocked).toBeUndefined();
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "a stop lets the batch in hand finish before its deadline, commits it and leaves the group",
      async () => {
        const work = gate();
        let abortedWhileWorking: boolean | undefined;
        const handler = recording(async ([first]) => {
          await work.promise;
          abortedWhileWorking = first!.signal.aborted;
        });
        const { source, ended, stop } = run(handler.handle, [taskCreatedJson("task-1"), taskCreatedJson("task-2")]);
        await handler.whenCalled(1);

        const stopped = stop(5_000, 8_000);
        await settle();
        work.open();
        const result = await stopped;

        expect(result.left).toBe(true);
        expect(result.uncommitted).toEqual([]);
        // Everything the handler was given is finished and committed (a loop handing out one message at a
        // time had only started the first when the stop began; the second was not in hand).
        const handed = Math.max(...handler.batches.flat().map((d) => d.message.offset)) + 1;
        expect(position(source)).toBe(handed);
        expect(source.confirmedOffset(CONTRACT_TOPIC, 0)).toBe(handed);
        // Its deadline not reached, the handler was left to finish, not told to give up.
        expect(abortedWhileWorking).toBe(false);
        await ended;
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "a stop whose handler never finishes returns by its deadline, aborts the handler's signal and lists the batch as uncommitted",
      async () => {
        const handler = recording(() => new Promise<void>(() => {}));
        const { source, stop } = run(handler.handle, [taskCreatedJson("task-1"), taskCreatedJson("task-2")]);
        await handler.whenCalled(1);

        const deadline = Date.now() + 300;
        const result = await stop(100, 300);

        // Timers fire a little late on a busy machine; a loop that waited for the handler would never return.
        expect(Date.now()).toBeLessThan(deadline + 1_000);
        expect(handler.batches[0]![0]!.signal.aborted).toBe(true);
        expect(position(source)).toBe(0);
        // Listed at least up to the last message the handler was given (a loop may list its whole batch).
        const handed = Math.max(...handler.batches.flat().map((d) => d.message.offset)) + 1;
        const listed = result.uncommitted.find((u) => u.topic === CONTRACT_TOPIC && u.partition === 0);
        expect(listed?.requested).toBeGreaterThanOrEqual(handed);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "a handler that fails because the stop cut it short is not dead-lettered, and its batch stays uncommitted",
      async () => {
        // As when the process's producer is closed under a handler waiting for its publish.
        const called = gate();
        const handle: BatchHandler = async (deliveries) => {
          called.open();
          await new Promise<void>((resolve) => deliveries[0]!.signal.addEventListener("abort", () => resolve()));
          return deliveries.map((delivery) => ({ delivery, error: new Error("producer closed") }));
        };
        const { source, sink, stop } = run(handle, [taskCreatedJson("task-1")]);
        await called.promise;
        const result = await stop(50, 300);
        await settle();
        expect(sink.attempts).toEqual([]);
        expect(position(source)).toBe(0);
        expect(result.uncommitted).toContainEqual(expect.objectContaining({ topic: CONTRACT_TOPIC, partition: 0, requested: 1 }));
      },
      TEST_TIMEOUT_MS,
    );

    test(
      "a stop neither hands over nor commits a batch that was fetched but not started",
      async () => {
        const work = gate();
        const handler = recording((deliveries) => (deliveries[0]!.message.offset === 0 ? work.promise : Promise.resolve()));
        const { source, ended, stop } = run(handler.handle, [taskCreatedJson("task-1")]);
        await handler.whenCalled(1);
        // The loop fetches (and parses) the next batch while the handler works on the one before.
        source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
        await source.whenTaken(2);

        const stopped = stop(5_000, 8_000);
        await settle();
        work.open();
        const result = await stopped;
        await ended;

        expect(handler.batches.map(offsetsOf)).toEqual([[0]]);
        expect(commitsOf(source)).toEqual([[{ topic: CONTRACT_TOPIC, partition: 0, offset: 1 }]]);
        expect(result.uncommitted).toEqual([]);
        expect(result.left).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
