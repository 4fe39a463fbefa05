import { afterEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { DiskError } from "../errors.ts";
import { silentLogger, type Logger } from "../log.ts";
import { eachEvent } from "./compose.ts";
import { DeadLetterHeaders, type DeadLetterReason } from "./dead-letter.ts";
import { Subscriber, type SubscriberMetrics, type SubscriberOptions } from "./subscriber.ts";
import {
  consumeLoopContract,
  CONTRACT_GROUP,
  CONTRACT_TOPIC,
  gate,
  NOT_JSON,
  Pauses,
  recording,
  settle,
  taskCreatedJson,
} from "./subscriber.contract.ts";
import { Changes, headerOf, MemoryRecordSink, MemorySource } from "./testing/memory-source.ts";
import type { BatchHandler } from "./types.ts";

for (const commitEach of [false, true]) {
  consumeLoopContract(`Subscriber${commitEach ? " committing each message" : ""}`, (parts) =>
    new Subscriber({
      consumer: parts.source,
      producer: parts.deadLetters,
      handle: parts.handle,
      group: parts.group,
      topics: parts.topics,
      logger: parts.logger,
      sleep: parts.sleep,
      commitEach,
    }),
  );
}

/** A real pino logger whose lines are kept as parsed JSON. */
function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown> & { level: number; msg: string }> } {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const logger = pino({ level: "debug", base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const WARN = 40;
const INFO = 30;

describe("Subscriber", () => {
  let running: Subscriber[] = [];

  afterEach(async () => {
    for (const subscriber of running) await subscriber.stop(Date.now(), Date.now() + 1_000);
    running = [];
  });

  /** A Subscriber over an in-memory source with one partition of the contract topic, not started. */
  function subscriber(handle: BatchHandler, options: Partial<SubscriberOptions> = {}) {
    const source = new MemorySource();
    const sink = new MemoryRecordSink();
    const pauses = new Pauses();
    source.assign(CONTRACT_TOPIC, 0);
    const built = new Subscriber({
      consumer: source,
      producer: sink,
      handle,
      group: CONTRACT_GROUP,
      topics: [CONTRACT_TOPIC],
      logger: silentLogger,
      sleep: pauses.sleep,
      ...options,
    });
    running.push(built);
    return { subscriber: built, source, sink, pauses };
  }

  test("committing each message: the next message waits until the broker confirmed the commit of the one before", async () => {
    const handler = recording();
    const { subscriber: s, source } = subscriber(handler.handle, { commitEach: true });
    source.commitAnswer = "never";
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
    void s.start();
    await source.whenCommitted(1);
    await settle();
    expect(handler.batches.map((b) => b.map((d) => d.message.offset))).toEqual([[0]]);

    source.commitAnswer = "accept";
    source.answerHeldCommits();
    await source.whenPosition(2, CONTRACT_TOPIC);
    expect(handler.batches.map((b) => b.map((d) => d.message.offset))).toEqual([[0], [1]]);
    expect(source.commits.map((offsets) => offsets.map((o) => o.offset))).toEqual([[1], [2]]);
  });

  test("committing each message: a batch tried again goes on from the message that failed, not from its start", async () => {
    let failures = 1;
    const handler = recording(async ([delivery]) => {
      if (delivery!.message.offset === 1 && failures-- > 0) throw new DiskError("/data/slack-processed.sqlite", "ENOSPC");
    });
    const { subscriber: s, source, pauses } = subscriber(handler.handle, { commitEach: true });
    for (const id of ["task-1", "task-2", "task-3"]) source.add(CONTRACT_TOPIC, taskCreatedJson(id));
    void s.start();
    await pauses.whenWaiting(1);
    expect(source.position(CONTRACT_TOPIC)).toBe(1);
    pauses.end();
    await source.whenPosition(3, CONTRACT_TOPIC);
    expect(handler.batches.map((b) => b.map((d) => d.message.offset))).toEqual([[0], [1], [1], [2]]);
  });

  test("is ready once it runs and owns a partition", () => {
    const { subscriber: owning } = subscriber(recording().handle);
    expect(owning.ready).toBe(false);
    void owning.start();
    expect(owning.ready).toBe(true);

    const unassigned = new Subscriber({
      consumer: new MemorySource(),
      producer: new MemoryRecordSink(),
      handle: recording().handle,
      group: CONTRACT_GROUP,
      topics: [CONTRACT_TOPIC],
      logger: silentLogger,
    });
    running.push(unassigned);
    void unassigned.start();
    expect(unassigned.ready).toBe(false);
  });

  test("fetches the next batch while the handler works on the one before, and reports the lag behind it", async () => {
    const work = gate();
    const handler = recording(() => work.promise);
    const { subscriber: s, source } = subscriber(handler.handle, { maxBatch: 1 });
    for (const id of ["task-1", "task-2", "task-3"]) source.add(CONTRACT_TOPIC, taskCreatedJson(id));
    void s.start();
    await source.whenTaken(2);
    expect(handler.batches).toHaveLength(1);
    expect(s.lag()).toEqual([{ topic: CONTRACT_TOPIC, partition: 0, lag: 1 }]);
    work.open();
    await source.whenCommitted(3);
    expect(s.lag()).toEqual([{ topic: CONTRACT_TOPIC, partition: 0, lag: 0 }]);
  });

  test("a batch taken before its partition was revoked is left to the partition's next owner: not handled, not committed here", async () => {
    const work = gate();
    const handler = recording(() => work.promise);
    // Messages in hand, as the metrics see them: 2 once task-2's batch is taken while task-1's is handled.
    let inHand = 0;
    const changes = new Changes();
    const metrics: SubscriberMetrics = {
      handled: () => {},
      deadLettered: () => {},
      inHand: (count) => {
        inHand = count;
        changes.notify();
      },
    };
    const { subscriber: s, source } = subscriber(handler.handle, { maxBatch: 1, metrics });
    source.assign(CONTRACT_TOPIC, 1);
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"), { partition: 0 });
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"), { partition: 0 });
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-3"), { partition: 1 });
    void s.start();
    await changes.until(() => inHand === 2);
    // Then partition 0 moves away.
    source.revoke(CONTRACT_TOPIC, 0);
    work.open();
    await handler.whenCalled(2);
    const handled = handler.batches.flat().map((delivery) => (delivery.event.data as { task_id: string }).task_id);
    expect(handled).toEqual(["task-1", "task-3"]);
    await source.whenCommitted(2);
    expect(source.commits.flat().map(({ partition, offset }) => `${partition}@${offset}`)).not.toContain("0@2");
  });

  test("takes at most maxBatch messages and maxBatchBytes of keys and values per batch", async () => {
    const handler = recording();
    const { subscriber: byCount, source } = subscriber(handler.handle, { maxBatch: 2 });
    for (let i = 0; i < 5; i++) source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    void byCount.start();
    await source.whenCommitted(3);
    expect(handler.batches.map((batch) => batch.length)).toEqual([2, 2, 1]);

    const bySize = recording();
    const oneEvent = new TextEncoder().encode(taskCreatedJson("task-0")).byteLength;
    const sized = subscriber(bySize.handle, { maxBatchBytes: Math.floor(oneEvent * 2.5) });
    for (let i = 0; i < 5; i++) sized.source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    void sized.subscriber.start();
    await sized.source.whenCommitted(3);
    expect(bySize.batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
  });

  test("waits 0.5 s before trying an unfinished batch again, doubling each time up to 5 s", async () => {
    const { subscriber: s, source, pauses } = subscriber(async () => {
      throw new DiskError("/data/audit.log", "ENOSPC");
    });
    source.add(CONTRACT_TOPIC, taskCreatedJson());
    void s.start();
    for (let waits = 1; waits < 8; waits++) {
      await pauses.whenWaiting(waits);
      pauses.end();
    }
    await pauses.whenWaiting(8);
    expect(pauses.asked).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000]);
    expect(source.commits).toEqual([]);
  });

  test("logs a stalled batch once when it stalls and once when it finishes, however often it is tried", async () => {
    const { logger, lines } = capturedLogger();
    let attempts = 0;
    const { subscriber: s, source, pauses } = subscriber(
      async () => {
        if (++attempts <= 4) throw new DiskError("/data/email-processed.sqlite", "SQLITE_FULL");
        return [];
      },
      { logger },
    );
    source.add(CONTRACT_TOPIC, taskCreatedJson());
    void s.start();
    for (let waits = 1; waits <= 4; waits++) {
      await pauses.whenWaiting(waits);
      pauses.end();
    }
    await source.whenCommitted(1);
    await settle();
    const outage = lines.filter((line) => line.outage === "disk");
    expect(outage.map((line) => line.level)).toEqual([WARN, INFO]);
    expect(outage[0]!.msg).toContain("/data/email-processed.sqlite");
    expect(outage[1]!.msg).toMatch(/^disk writable again after \d+ s$/);
  });

  test("says a batch is blocked by dead letters that cannot be written, with the producer's error", async () => {
    const { subscriber: s, source, sink, pauses } = subscriber(recording().handle);
    sink.answer = "refuse";
    source.add(CONTRACT_TOPIC, NOT_JSON);
    void s.start();
    await pauses.whenWaiting(1);
    expect(s.blocked).toContain("batch cannot be finished");
    expect(s.blocked).toContain(sink.error.message);
  });

  test("a stop ends the wait between attempts at a stalled batch and lists that batch as uncommitted", async () => {
    const { subscriber: s, source, pauses } = subscriber(async () => {
      throw new DiskError("/data/audit.log", "ENOSPC");
    });
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
    void s.start();
    await pauses.whenWaiting(1);

    const began = Date.now();
    const result = await s.stop(Date.now() + 50, Date.now() + 5_000);
    // Well before the overall deadline: the wait ended with the stop instead of running its course.
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(result.uncommitted).toEqual([{ topic: CONTRACT_TOPIC, partition: 0, requested: 2, committed: undefined }]);
    expect(source.commits).toEqual([]);
  });

  test("a refused commit is logged and the loop goes on: the next batch's commit covers its offsets", async () => {
    const { logger, lines } = capturedLogger();
    const handler = recording();
    const { subscriber: s, source } = subscriber(handler.handle, { logger });
    source.commitAnswer = "refuse";
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
    void s.start();
    await source.whenCommitted(1);
    await settle();
    expect(lines.some((line) => line.level === WARN && line.msg.includes("offset commit failed"))).toBe(true);

    source.commitAnswer = "accept";
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
    await source.whenCommitted(2);
    expect(handler.batches).toHaveLength(2);
    const result = await s.stop(Date.now() + 1_000, Date.now() + 2_000);
    expect(result).toEqual({ group: CONTRACT_GROUP, left: true, uncommitted: [] });
    expect(source.confirmedOffset(CONTRACT_TOPIC, 0)).toBe(2);
  });

  test("a commit still unanswered at the deadline is listed as uncommitted, and the group is not left cleanly", async () => {
    const { subscriber: s, source } = subscriber(recording().handle);
    source.commitAnswer = "never";
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
    void s.start();
    await source.whenCommitted(1);

    const result = await s.stop(Date.now() + 1_000, Date.now() + 100);
    expect(result).toEqual({
      group: CONTRACT_GROUP,
      left: false,
      uncommitted: [{ topic: CONTRACT_TOPIC, partition: 0, requested: 1, committed: undefined }],
    });
  });

  test("dead-letters a message over maxEventBytes, and one without a value, as unparseable", async () => {
    const handler = recording();
    const { subscriber: s, source, sink } = subscriber(handler.handle, { maxEventBytes: 64 });
    source.add(CONTRACT_TOPIC, taskCreatedJson());
    source.add(CONTRACT_TOPIC, null);
    void s.start();
    await source.whenCommitted(1);
    expect(sink.records.map((record) => headerOf(record, DeadLetterHeaders.reason))).toEqual(["unparseable", "unparseable"]);
    expect(handler.batches.flat()).toEqual([]);
  });

  test("counts each handled event and each dead letter in its metrics", async () => {
    const handled: Array<[string, string]> = [];
    const deadLettered: Array<[string, DeadLetterReason]> = [];
    const metrics: SubscriberMetrics = {
      handled: (eventType, outcome) => void handled.push([eventType, outcome]),
      deadLettered: (topic, reason) => void deadLettered.push([topic, reason]),
    };
    const handle = eachEvent(new Set(["task.created"]), async (delivery) => {
      if (delivery.message.offset === 1) throw new Error("webhook answered 422");
    });
    const { subscriber: s, source } = subscriber(handle, { metrics });
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-1"));
    source.add(CONTRACT_TOPIC, taskCreatedJson("task-2"));
    source.add(CONTRACT_TOPIC, NOT_JSON);
    void s.start();
    await source.whenCommitted(1);
    expect(handled).toEqual([
      ["task.created", "ok"],
      ["task.created", "dead-lettered"],
    ]);
    expect(deadLettered.toSorted()).toEqual([
      [CONTRACT_TOPIC, "handler-failed"],
      [CONTRACT_TOPIC, "unparseable"],
    ]);
  });
});
