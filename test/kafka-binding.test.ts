import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { ConfigError } from "../src/errors.ts";
import { Consumer } from "../src/kafka/consumer.ts";
import { KafkaError } from "../src/kafka/errors.ts";
import { headerText } from "../src/kafka/message-decoder.ts";
import { Producer, type DeliveryReport } from "../src/kafka/producer.ts";
import { readWholeTopic, text } from "./support/drain.ts";
import { testBootstrap } from "./support/kafka-cluster.ts";
import { createTopic, uniqueTopic } from "./support/topics.ts";

let bootstrap: string;
let producer: Producer;

beforeAll(() => {
  bootstrap = testBootstrap();
  producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": "1" });
});
afterAll(() => producer.close());

describe("producer and consumer against a real broker", () => {
  test("metadata committed with an offset is read back with it, by the committing member and by the next one", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("metadata"));
    for (let i = 0; i < 3; i++) await producer.send({ topic, value: `m${i}` });
    const group = uniqueTopic("metadata-group");
    const assigned: string[] = [];
    const first = new Consumer({ groupId: group, properties: { "bootstrap.servers": bootstrap } });
    first.onRebalance({ assigned: (parts) => assigned.push(...parts.map((p) => `${p.topic}/${p.partition}`)), revoked: () => {} });
    first.subscribe([topic]);
    for await (const message of first) if (message.offset === 2) break;
    expect(assigned).toEqual([`${topic}/0`]);
    const metadata = "done above: 4,7 ünïcode";
    await first.commit([{ topic, partition: 0, offset: 2, metadata }]);
    expect(await first.committed([{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: 2, error: 0, metadata }]);
    await first.close();

    const next = new Consumer({ groupId: group, properties: { "bootstrap.servers": bootstrap } });
    try {
      expect(await next.committed([{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: 2, error: 0, metadata }]);
    } finally {
      await next.close();
    }
  });

  test("a message keeps its key, value and headers through the broker; null key and value stay null", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("roundtrip"));
    const first = await producer.send({
      topic,
      key: "task-1",
      value: JSON.stringify({ hello: "wörld" }),
      headers: [
        ["event_type", "task.created"],
        ["binary", new Uint8Array([0, 1, 255])],
        ["empty", ""],
        ["absent", null],
      ],
    });
    const second = await producer.send({ topic, key: null, value: null });
    expect(first).toMatchObject({ topic, partition: 0 });
    expect(second.offset).toBe(first.offset + 1);

    const [a, b] = await readWholeTopic(bootstrap, topic);
    expect(text(a!.key)).toBe("task-1");
    expect(JSON.parse(text(a!.value)!)).toEqual({ hello: "wörld" });
    expect(a!.headers.map(([name, value]) => [name, value && [...value]])).toEqual([
      ["event_type", [...new TextEncoder().encode("task.created")]],
      ["binary", [0, 1, 255]],
      ["empty", []],
      ["absent", null],
    ]);
    expect(headerText(a!, "event_type")).toBe("task.created");
    expect(b!.key).toBeNull();
    expect(b!.value).toBeNull();
    expect(b!.offset).toBe(second.offset);
  });

  test("messages with the same key arrive in the order they were sent", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("order"), 4);
    const keys = ["a", "b", "c", "d", "e", "f"];
    const sends: Array<Promise<DeliveryReport>> = [];
    for (let i = 0; i < 3000; i++) {
      sends.push(producer.send({ topic, key: keys[i % keys.length]!, value: String(i) }));
    }
    await Promise.all(sends);
    const messages = await readWholeTopic(bootstrap, topic, 4);
    expect(messages).toHaveLength(3000);
    const byKey = new Map<string, number[]>();
    for (const message of messages) {
      const key = text(message.key)!;
      byKey.set(key, [...(byKey.get(key) ?? []), Number(text(message.value))]);
    }
    for (const [key, values] of byKey) {
      expect(values).toEqual([...values].sort((x, y) => x - y));
      expect(values).toHaveLength(500);
      expect(new Set(messages.filter((m) => text(m.key) === key).map((m) => m.partition)).size).toBe(1);
    }
  });

  test("batches hold at most the bytes asked for, a larger message comes alone, and a small buffer loses nothing", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("batch-bytes"));
    const sizes = [300_000, 300_000, 300_000, 900_000, 100_000, 100_000, 100_000, 300_000, 300_000, 300_000];
    for (const [i, size] of sizes.entries()) await producer.send({ topic, key: null, value: new Uint8Array(size).fill(i) });
    // A buffer budget below two messages: the consumer must keep taking from librdkafka as the caller drains it.
    const consumer = new Consumer({ groupId: `${topic}-group`, properties: { "bootstrap.servers": bootstrap }, maxBufferedBytes: 500_000 });
    consumer.subscribe([topic]);
    const batches: number[][] = [];
    let received = 0;
    for await (const batch of consumer.batches(100, 700_000)) {
      batches.push(batch.map((m) => m.value!.length));
      expect(batch.map((m) => m.value![0])).toEqual(batch.map((_, j) => received + j));
      received += batch.length;
      if (received === sizes.length) break;
    }
    await consumer.close();
    expect(batches.flat()).toEqual(sizes);
    for (const batch of batches) {
      const bytes = batch.reduce((a, b) => a + b, 0);
      expect(bytes <= 700_000 || batch.length === 1).toBe(true);
    }
    expect(batches).toContainEqual([900_000]);
  });

  test("two consumer groups each receive every message (fan-out)", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("fanout"), 3);
    await Promise.all(Array.from({ length: 300 }, (_, i) => producer.send({ topic, key: `k${i}`, value: `v${i}` })));
    const receive = async (groupId: string) => {
      const consumer = new Consumer({ groupId, properties: { "bootstrap.servers": bootstrap } });
      consumer.subscribe([topic]);
      const seen = new Set<string>();
      for await (const batch of consumer.batches()) {
        for (const message of batch) seen.add(text(message.value)!);
        await consumer.commit(batch);
        if (seen.size === 300) break;
      }
      await consumer.close();
      return seen;
    };
    const [email, audit] = await Promise.all([receive(`${topic}-email`), receive(`${topic}-audit`)]);
    expect(email.size).toBe(300);
    expect(audit.size).toBe(300);
  });

  test("a consumer killed with SIGKILL after committing half resumes from its last commit and loses nothing", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("crash"));
    const groupId = `${topic}-group`;
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send({ topic, value: String(i) })));

    const child = Bun.spawn(["bun", "test/fixtures/commit-then-hang.ts", bootstrap, topic, groupId, "50"], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("committed 49");
    child.kill("SIGKILL");
    await child.exited;

    // The dead member still holds the partition until its session times out; a fresh member takes over.
    const consumer = new Consumer({ groupId, properties: { "bootstrap.servers": bootstrap } });
    consumer.subscribe([topic]);
    const resumed: number[] = [];
    for await (const message of consumer) {
      resumed.push(Number(text(message.value)));
      await consumer.commit([message]);
      if (resumed.length === 50) break;
    }
    await consumer.close();
    expect(resumed).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
  }, 60_000);

  test("commits requested before a rebalance are on the broker before the partition moves", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("revoke"), 2);
    const groupId = `${topic}-group`;
    await Promise.all(Array.from({ length: 40 }, (_, i) => producer.send({ topic, partition: i % 2, value: String(i) })));
    const first = new Consumer({ groupId, properties: { "bootstrap.servers": bootstrap } });
    first.subscribe([topic]);
    const handled: Array<{ partition: number; offset: number }> = [];
    for await (const message of first) {
      handled.push(message);
      void first.commit([message]); // not awaited: the revoke must still commit it first
      if (handled.length === 10) break;
    }
    await first.close();
    const second = new Consumer({ groupId, properties: { "bootstrap.servers": bootstrap } });
    second.subscribe([topic]);
    const seen: Array<{ partition: number; offset: number }> = [];
    for await (const message of second) {
      seen.push(message);
      if (seen.length === 30) break;
    }
    await second.close();
    const handledKeys = new Set(handled.map((m) => `${m.partition}:${m.offset}`));
    expect(seen.filter((m) => handledKeys.has(`${m.partition}:${m.offset}`))).toEqual([]);
  });

  test("a handler slower than max.poll.interval.ms keeps its partitions: no rebalance, one delivery", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("slow-handler"));
    await producer.send({ topic, value: "slow" });
    const logs: Array<{ msg: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const consumer = new Consumer({
      groupId: `${topic}-group`,
      properties: { "bootstrap.servers": bootstrap, "session.timeout.ms": "6000", "max.poll.interval.ms": "6000" },
      logger,
    });
    consumer.subscribe([topic]);
    const iterator = consumer[Symbol.asyncIterator]();
    const { value: message } = await iterator.next();
    await Bun.sleep(9000); // the work itself: half again longer than max.poll.interval.ms
    await consumer.commit([message]);
    expect(consumer.assignment()).toEqual([{ topic, partition: 0 }]);
    expect(logs.filter((l) => l.msg === "partitions revoked")).toEqual([]);
    expect(logs.filter((l) => l.msg === "partitions assigned")).toHaveLength(1);
    await consumer.close();
  }, 60_000);

  test("lag counts the messages between what the caller took and the partition's end", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("lag"));
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send({ topic, value: String(i) })));
    const consumer = new Consumer({ groupId: `${topic}-group`, properties: { "bootstrap.servers": bootstrap } });
    consumer.subscribe([topic]);
    const iterator = consumer[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(consumer.lag()).toEqual([{ topic, partition: 0, lag: 8 }]);
    await consumer.close();
  });

  test("pause stops delivery from a partition and resume restarts it", async () => {
    const topic = await createTopic(bootstrap, uniqueTopic("pause"), 2);
    const consumer = new Consumer({ groupId: `${topic}-group`, properties: { "bootstrap.servers": bootstrap } });
    consumer.subscribe([topic]);
    await producer.send({ topic, partition: 0, value: "warm-up" });
    const iterator = consumer[Symbol.asyncIterator]();
    expect(text((await iterator.next()).value.value)).toBe("warm-up");
    consumer.pause([{ topic, partition: 1 }]);
    await producer.send({ topic, partition: 1, value: "held" });
    await producer.send({ topic, partition: 0, value: "flows" });
    expect(text((await iterator.next()).value.value)).toBe("flows");
    consumer.resume([{ topic, partition: 1 }]);
    expect(text((await iterator.next()).value.value)).toBe("held");
    await consumer.close();
  });

  test("a broker that cannot be reached makes send reject with _MSG_TIMED_OUT", async () => {
    const lonely = new Producer({ "bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": "1500" });
    const error = await lonely.send({ topic: "nowhere", value: "x" }).catch((e: unknown) => e);
    await lonely.close();
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).codeName).toBe("_MSG_TIMED_OUT");
    expect((error as KafkaError).retriable).toBe(true);
    expect((error as KafkaError).message).toContain("nowhere");
  });
});

describe("client configuration", () => {
  test("an unknown property stops the client, naming the property", () => {
    expect(() => new Producer({ "bootstrap.servers": bootstrap, "no.such.property": "1", "linger.ms": "soon" })).toThrow(
      ConfigError,
    );
    try {
      new Producer({ "bootstrap.servers": bootstrap, "no.such.property": "1", "linger.ms": "soon" });
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
      expect((error as ConfigError).problems[0]).toContain("no.such.property");
      expect((error as ConfigError).problems[1]).toContain("linger.ms");
    }
  });

  test("a producer refuses to turn off idempotence or acks=all", () => {
    expect(() => new Producer({ "bootstrap.servers": bootstrap, "enable.idempotence": "false" })).toThrow(
      /enable.idempotence=false is not allowed/,
    );
    expect(() => new Producer({ "bootstrap.servers": bootstrap, acks: "1" })).toThrow(/acks=1 is not allowed/);
  });
});
