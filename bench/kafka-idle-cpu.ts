// CPU of an idle client pair: a connected producer and a consumer iterating a subscribed topic that has
// nothing to read, left alone for a while. Reported as % of one core for the whole process (librdkafka's
// threads included), plus the share of each thread where /proc allows. Target: < 2 %.
//
// Usage: bun bench/kafka-idle-cpu.ts [seconds]
import { readdirSync, readFileSync } from "node:fs";
import { Consumer } from "../src/kafka/consumer.ts";
import { Producer } from "../src/kafka/producer.ts";
import { benchBroker } from "./support/broker.ts";
import { createTopic, uniqueTopic } from "../test/support/topics.ts";

const seconds = Number(process.argv[2] ?? 20);
const SETTLE_MS = 3000;

/** CPU ticks per thread name, from /proc (Linux); empty elsewhere. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const used = Number(fields[11]) + Number(fields[12]);
      ticks.set(name, (ticks.get(name) ?? 0) + used);
    }
  } catch {
    // Not Linux: the process total below still holds.
  }
  return ticks;
}

const broker = await benchBroker();
const bootstrap = broker.bootstrap;

try {
  const topic = await createTopic(bootstrap, uniqueTopic("idle"));
  const producer = new Producer({ "bootstrap.servers": bootstrap });
  const consumer = new Consumer({ groupId: uniqueTopic("idle-group"), properties: { "bootstrap.servers": bootstrap } });
  await producer.send({ topic: await createTopic(bootstrap, uniqueTopic("idle-other")), value: "connect" });
  consumer.subscribe([topic]);
  // A consumer waiting for its next message, as a subscriber's loop does between events.
  const iterating = (async () => {
    for await (const message of consumer) throw new Error(`unexpected message at offset ${message.offset}`);
  })();
  while (consumer.assignment().length === 0) await Bun.sleep(100);
  await Bun.sleep(SETTLE_MS);

  const ticksBefore = threadTicks();
  const before = process.cpuUsage();
  const started = performance.now();
  await Bun.sleep(seconds * 1000);
  const used = process.cpuUsage(before);
  const wall = (performance.now() - started) / 1000;
  const ticksAfter = threadTicks();

  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `idle ${wall.toFixed(1)} s: ${(cpuSeconds * 1000).toFixed(0)} ms of CPU (user ${(used.user / 1000).toFixed(0)} ms, ` +
      `system ${(used.system / 1000).toFixed(0)} ms) = ${((100 * cpuSeconds) / wall).toFixed(2)} % of one core (target < 2 %)`,
  );
  const perThread = [...ticksAfter]
    .map(([name, ticks]) => [name, (ticks - (ticksBefore.get(name) ?? 0)) * 10] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
  if (perThread.length > 0) console.log(`by thread (ms): ${perThread.map(([name, ms]) => `${name} ${ms}`).join(", ")}`);

  await consumer.close();
  await iterating;
  await producer.close();
} finally {
  await broker.stop();
}
