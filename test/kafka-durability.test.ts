import { describe, expect, test } from "bun:test";
import { KafkaError } from "../src/kafka/errors.ts";
import { Producer } from "../src/kafka/producer.ts";
import { readWholeTopic, text } from "./support/drain.ts";
import { startKafkaCluster } from "./support/kafka-cluster.ts";
import { createTopic, uniqueTopic } from "./support/topics.ts";

type Outcome = { id: string; status: "resolved" | "rejected"; error?: unknown };

/** Sends `count` numbered messages and records how each promise settled. */
function sendNumbered(producer: Producer, topic: string, from: number, count: number): Array<Promise<Outcome>> {
  return Array.from({ length: count }, (_, i) => {
    const id = `m-${from + i}`;
    return producer.send({ topic, key: id, value: id }).then(
      (): Outcome => ({ id, status: "resolved" }),
      (error: unknown): Outcome => ({ id, status: "rejected", error }),
    );
  });
}

function expectExactlyOnce(outcomes: Outcome[], stored: string[]): void {
  const copies = new Map<string, number>();
  for (const id of stored) copies.set(id, (copies.get(id) ?? 0) + 1);
  const resolved = outcomes.filter((o) => o.status === "resolved");
  expect(resolved.filter((o) => copies.get(o.id) !== 1).map((o) => [o.id, copies.get(o.id) ?? 0])).toEqual([]);
  for (const rejected of outcomes.filter((o) => o.status === "rejected")) {
    expect(rejected.error).toBeInstanceOf(KafkaError);
  }
  // Nothing is ever stored twice, acknowledged or not.
  expect([...copies.values()].filter((n) => n > 1)).toEqual([]);
}

describe("durability under broker failure", () => {
  test(
    "a broker killed with SIGKILL mid-stream and restarted: every resolved send is stored exactly once",
    async () => {
      const cluster = await startKafkaCluster({ nodes: 1 });
      try {
        const topic = await createTopic(cluster.bootstrap, uniqueTopic("broker-crash"));
        const producer = new Producer({ "bootstrap.servers": cluster.bootstrap, "message.timeout.ms": "60000" });
        const before = await Promise.all(sendNumbered(producer, topic, 0, 2000));
        const inFlightAtKill = sendNumbered(producer, topic, 2000, 3000);
        await cluster.nodes[0]!.kill("SIGKILL");
        const whileDown = sendNumbered(producer, topic, 5000, 2000);
        await cluster.nodes[0]!.start();
        const outcomes = [...before, ...(await Promise.all([...inFlightAtKill, ...whileDown]))];
        await producer.close();

        const stored = (await readWholeTopic(cluster.bootstrap, topic)).map((m) => text(m.value)!);
        expect(outcomes).toHaveLength(7000);
        expect(before.every((o) => o.status === "resolved")).toBe(true);
        expectExactlyOnce(outcomes, stored);
        // With a 60 s delivery timeout and a restart in seconds, the retries get every message through.
        expect(outcomes.filter((o) => o.status === "resolved").length).toBe(7000);
      } finally {
        await cluster.stop();
      }
    },
    180_000,
  );

  test(
    "on three brokers with min.insync.replicas=2, losing one mid-stream loses no acknowledged message",
    async () => {
      const cluster = await startKafkaCluster({ nodes: 3 });
      try {
        const topic = await createTopic(cluster.bootstrap, uniqueTopic("replicated"), 3, 3, {
          "min.insync.replicas": "2",
        });
        const producer = new Producer({ "bootstrap.servers": cluster.bootstrap, "message.timeout.ms": "60000" });
        const before = await Promise.all(sendNumbered(producer, topic, 0, 3000));
        const inFlightAtKill = sendNumbered(producer, topic, 3000, 3000);
        await cluster.nodes[1]!.kill("SIGKILL");
        const afterKill = await Promise.all([...inFlightAtKill, ...sendNumbered(producer, topic, 6000, 3000)]);
        await producer.close();
        const outcomes = [...before, ...afterKill];

        const survivors = cluster.nodes.filter((n) => n.running).map((n) => `127.0.0.1:${n.port}`).join(",");
        const stored = (await readWholeTopic(survivors, topic, 3)).map((m) => text(m.value)!);
        expectExactlyOnce(outcomes, stored);
        // Two of three replicas remain in sync, so every send is acknowledged.
        expect(outcomes.filter((o) => o.status === "resolved").length).toBe(9000);
      } finally {
        await cluster.stop();
      }
    },
    240_000,
  );
});
