import { afterEach, describe, expect, test } from "bun:test";
import { silentLogger } from "../log.ts";
import { ParallelLoop, type ParallelLoopOptions } from "./parallel-loop.ts";
import { consumeLoopContract, CONTRACT_GROUP, CONTRACT_TOPIC, gate, settle, taskCreatedJson } from "./subscriber.contract.ts";
import { Changes, MemoryRecordSink, MemorySource } from "./testing/memory-source.ts";
import type { Delivery } from "./types.ts";

// With one message at a time, the parallel loop keeps every promise a sequential loop keeps.
consumeLoopContract("ParallelLoop with concurrency 1", (parts) =>
  new ParallelLoop({
    consumer: parts.source as MemorySource,
    producer: parts.deadLetters,
    group: parts.group,
    topics: parts.topics,
    logger: parts.logger,
    sleep: parts.sleep,
    concurrency: 1,
    handle: async (delivery) => {
      const [failure] = await parts.handle([delivery]);
      if (failure) throw failure.error;
    },
  }),
);

/** A handler whose calls each wait for the test to finish them, by offset. */
function heldHandler() {
  const calls: Delivery[] = [];
  const gates = new Map<number, ReturnType<typeof gate>>();
  const changes = new Changes();
  let overlap = 0;
  let maxOverlap = 0;
  const handle = async (delivery: Delivery) => {
    const held = gate();
    gates.set(delivery.message.offset, held);
    calls.push(delivery);
    maxOverlap = Math.max(maxOverlap, ++overlap);
    changes.notify();
    try {
      await Promise.race([held.promise, new Promise((_, reject) => delivery.signal.addEventListener("abort", () => reject(new Error("aborted"))))]);
    } finally {
      overlap--;
    }
  };
  return {
    handle,
    calls,
    offsets: () => calls.map((d) => d.message.offset),
    maxOverlap: () => maxOverlap,
    whenCalled: (count: number) => changes.until(() => calls.length >= count),
    finish: (offset: number) => gates.get(offset)!.open(),
  };
}

describe("ParallelLoop", () => {
  let loops: ParallelLoop[] = [];
  afterEach(async () => {
    for (const loop of loops) await loop.stop(Date.now(), Date.now() + 1_000);
    loops = [];
  });

  function start(source: MemorySource, options: Partial<ParallelLoopOptions> & Pick<ParallelLoopOptions, "handle">) {
    const loop = new ParallelLoop({
      consumer: source,
      producer: new MemoryRecordSink(),
      group: CONTRACT_GROUP,
      topics: [CONTRACT_TOPIC],
      logger: silentLogger,
      concurrency: 4,
      ...options,
    });
    loops.push(loop);
    void loop.start();
    return loop;
  }

  test("runs up to `concurrency` messages of one partition at once, and no more", async () => {
    const source = new MemorySource();
    source.assign(CONTRACT_TOPIC, 0);
    for (let i = 0; i < 6; i++) source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    const handler = heldHandler();
    start(source, { handle: handler.handle, concurrency: 4 });
    await handler.whenCalled(4);
    await settle();
    expect(handler.offsets()).toEqual([0, 1, 2, 3]);

    handler.finish(2);
    await handler.whenCalled(5);
    expect(handler.offsets()).toEqual([0, 1, 2, 3, 4]);
    expect(handler.maxOverlap()).toBe(4);
  });

  test("commits up to the lowest unfinished offset, with the finished ones above it in the metadata", async () => {
    const source = new MemorySource();
    source.assign(CONTRACT_TOPIC, 0);
    for (let i = 0; i < 4; i++) source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    const handler = heldHandler();
    start(source, { handle: handler.handle });
    await handler.whenCalled(4);
    handler.finish(1);
    handler.finish(3);
    await source.until(() => source.commits.length >= 1);
    await settle();
    expect(source.commits.at(-1)).toEqual([{ topic: CONTRACT_TOPIC, partition: 0, offset: 0, metadata: "f1:1,3" }]);

    handler.finish(0);
    await source.whenPosition(2, CONTRACT_TOPIC);
    handler.finish(2);
    await source.whenPosition(4, CONTRACT_TOPIC);
    expect(source.commits.at(-1)).toEqual([{ topic: CONTRACT_TOPIC, partition: 0, offset: 4, metadata: "f1:" }]);
  });

  test("a member taking a partition over skips what the last one finished past its commit point", async () => {
    const source = new MemorySource();
    for (let i = 0; i < 5; i++) source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    // The last owner committed 1 and had finished 2 and 4 as well.
    source.preset(CONTRACT_TOPIC, 0, 1, "f1:1,3");
    const handled: number[] = [];
    start(source, { handle: async (delivery) => void handled.push(delivery.message.offset) });
    await source.whenPosition(5, CONTRACT_TOPIC);
    // Offset 0 is below the commit: the Kafka consumer would start at 1; the memory one hands it out too.
    expect(handled.filter((offset) => offset >= 1)).toEqual([1, 3]);
  });

  test("finishes messages it does not want without handling them", async () => {
    const source = new MemorySource();
    source.assign(CONTRACT_TOPIC, 0);
    source.add(CONTRACT_TOPIC, taskCreatedJson("mine"), { headers: [["agent_type", "summarizer"]] });
    source.add(CONTRACT_TOPIC, taskCreatedJson("theirs"), { headers: [["agent_type", "translator"]] });
    const handled: number[] = [];
    start(source, {
      handle: async (delivery) => void handled.push(delivery.message.offset),
      accepts: (message) => message.headers.some(([name, value]) => name === "agent_type" && new TextDecoder().decode(value!) === "summarizer"),
    });
    await source.whenPosition(2, CONTRACT_TOPIC);
    expect(handled).toEqual([0]);
  });

  test("a revoke commits what is finished, aborts what is not, and hands out nothing more of that partition", async () => {
    const source = new MemorySource();
    source.assign(CONTRACT_TOPIC, 0);
    for (let i = 0; i < 3; i++) source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    const handler = heldHandler();
    start(source, { handle: handler.handle });
    await handler.whenCalled(3);
    handler.finish(0);
    await source.whenPosition(1, CONTRACT_TOPIC);

    source.revoke(CONTRACT_TOPIC, 0);
    source.add(CONTRACT_TOPIC, taskCreatedJson("after-the-revoke"));
    await settle();
    expect(handler.calls.slice(1).every((delivery) => delivery.signal.aborted)).toBe(true);
    expect(source.position(CONTRACT_TOPIC)).toBe(1);
    expect(handler.offsets()).toEqual([0, 1, 2]);
  });

  test("a stop waits for the work in hand until its grace is over, then lists what it gave up", async () => {
    const source = new MemorySource();
    source.assign(CONTRACT_TOPIC, 0);
    for (let i = 0; i < 3; i++) source.add(CONTRACT_TOPIC, taskCreatedJson(`task-${i}`));
    const handler = heldHandler();
    const loop = start(source, { handle: handler.handle });
    await handler.whenCalled(3);
    handler.finish(0);
    handler.finish(2);
    const result = await loop.stop(Date.now() + 100, Date.now() + 1_000);
    expect(handler.calls[1]!.signal.aborted).toBe(true);
    expect(source.position(CONTRACT_TOPIC)).toBe(1);
    expect(source.commits.at(-1)).toEqual([{ topic: CONTRACT_TOPIC, partition: 0, offset: 1, metadata: "f1:1" }]);
    expect(result.uncommitted).toContainEqual(expect.objectContaining({ topic: CONTRACT_TOPIC, partition: 0, requested: 2 }));
  });
});
