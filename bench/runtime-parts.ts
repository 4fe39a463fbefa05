// Where a runtime's time goes: the per-operation CPU cost of the parts a request or an audited event passes
// through, measured by the same code on Bun and on Deno. bench/compare/ measures the whole; this splits it.
//
//   bash bench/runtime-parts.sh        (runs this file on both runtimes and prints the two side by side)
import { parseEvent, serializeEvent } from "../src/events/index.ts";
import { startEmbeddedBroker } from "../src/kafka/embedded-broker.ts";
import { Producer } from "../src/kafka/producer.ts";
import { createSha256, sha256Into } from "../src/runtime/hashing.ts";
import { serve } from "../src/runtime/http-server.ts";
import { openDatabase } from "../src/runtime/sqlite.ts";
import { runtimeVersion } from "../src/runtime/which.ts";
import { sampleTaskCreated } from "./support/sample-events.ts";

const ROUNDS = 5;

/** Microseconds of CPU (user + system) per operation, the median of ROUNDS rounds of `count` operations. */
async function cpuPerOperation(count: number, work: (count: number) => unknown | Promise<unknown>): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    await work(count);
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / count);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const events = Array.from({ length: 256 }, (_, i) => serializeEvent(sampleTaskCreated(i)));
const results: Array<[string, number]> = [];

results.push([
  "parse and validate a 1 KiB task.created",
  await cpuPerOperation(50_000, (count) => {
    for (let i = 0; i < count; i++) if (!parseEvent(events[i % events.length]!).ok) throw new Error("invalid");
  }),
]);

const digest = new Uint8Array(32);
results.push([
  "SHA-256 of a 1 KiB audit line (into a buffer)",
  await cpuPerOperation(50_000, (count) => {
    for (let i = 0; i < count; i++) sha256Into(events[i % events.length]!, digest);
  }),
]);
results.push([
  "SHA-256 chain step (hex digest)",
  await cpuPerOperation(50_000, (count) => {
    for (let i = 0; i < count; i++) createSha256().update("previous\n").update(events[i % events.length]!).digest("hex");
  }),
]);

const database = openDatabase(":memory:");
database.exec("CREATE TABLE keys (key TEXT PRIMARY KEY, body TEXT)");
const insert = database.prepare<unknown, [string, string]>("INSERT INTO keys (key, body) VALUES (?, ?)");
const lookup = database.prepare<{ body: string }, [string]>("SELECT body FROM keys WHERE key = ?");
let inserted = 0;
results.push([
  "SQLite insert (idempotency key)",
  await cpuPerOperation(20_000, (count) => {
    for (let i = 0; i < count; i++) insert.run(`key-${inserted++}`, '{"id":"x"}');
  }),
]);
results.push([
  "SQLite lookup by key",
  await cpuPerOperation(20_000, (count) => {
    for (let i = 0; i < count; i++) lookup.get(`key-${i}`);
  }),
]);
database.close();

// librdkafka through each runtime's FFI, on the in-process broker: what one send costs the JS thread.
const broker = startEmbeddedBroker();
broker.createTopics([{ topic: "parts", partitions: 3 }]);
const producer = new Producer({ "bootstrap.servers": broker.bootstrap, "linger.ms": "1" });
await producer.send({ topic: "parts", key: "warm", value: events[0]! });
results.push([
  "produce 1 KiB and await its acknowledgement (20,000 in flight)",
  await cpuPerOperation(20_000, (count) =>
    Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: "parts", key: `k${i}`, value: events[i % events.length]! }))),
  ),
]);
await producer.close();
broker.close();

// Serving HTTP: the server's side of a request, without Hono, measured with this process as its own client,
// so it counts the client's cost too; the same client on both runtimes (fetch) keeps the comparison fair.
const server = serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response('{"ok":true}', { status: 201 }) });
const url = `http://127.0.0.1:${server.port}/`;
results.push([
  "an HTTP request served and fetched, 64 at a time, in one process",
  await cpuPerOperation(6_400, async (count) => {
    for (let sent = 0; sent < count; sent += 64) await Promise.all(Array.from({ length: 64 }, () => fetch(url, { method: "POST", body: "{}" }).then((r) => r.text())));
  }),
]);
await server.stop(true);

console.log(JSON.stringify({ runtime: runtimeVersion, microseconds: Object.fromEntries(results) }));
process.exit(0);
