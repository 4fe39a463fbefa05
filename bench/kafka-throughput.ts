// Producer and consumer throughput of our binding beside librdkafka's own rdkafka_performance, built from
// the same source, on the same single-node broker in the same run.
//
// Fair by construction:
// - a warm-up round through both clients before each workload (broker JIT, page cache, our JIT and heap;
//   our consumer needs a few hundred thousand messages to reach its steady pace), not counted;
// - the same sizes for both: an 8-byte key and a 1 KiB value (ours a JSON event, theirs its pattern);
// - our producer keeps a sliding window of sends in flight, as rdkafka_performance keeps its queue full;
// - our consumer commits every 5 s, as rdkafka_performance's auto-commit does, and both read the same topic;
// - each measured workload runs twice, alternating ours and theirs; the table shows the best run of each
//   (all runs are printed too).
//
// Usage: bun bench/kafka-throughput.ts [messages] [warm-up messages]
import { join } from "node:path";
import { Consumer } from "../src/kafka/consumer.ts";
import { Producer } from "../src/kafka/producer.ts";
import { BENCH_JVM_OPTS, benchBroker } from "./support/broker.ts";
import { createTopic, uniqueTopic } from "../test/support/topics.ts";
import { librdkafkaBinDir } from "./support/librdkafka-bin.ts";

const count = Number(process.argv[2] ?? 200_000);
const warmUp = Number(process.argv[3] ?? 100_000);
const MESSAGE_BYTES = 1024;
const ROUNDS = 2;
/** Sends kept in flight by our producer: each delivery report starts the next send. */
const WINDOW = 20_000;
const AUTO_COMMIT_MS = 5000;

const event = (i: number) => {
  const base = {
    event_id: crypto.randomUUID(),
    event_type: "task.created",
    occurred_at: new Date().toISOString(),
    data: { task_id: `task-${i}`, title: "", owner_id: "user-456", priority: 2 },
    metadata: { correlation_id: `req-${i}`, causation_id: `api-create-task-${i}`, source: "task-api" },
  };
  const filler = MESSAGE_BYTES - JSON.stringify(base).length;
  base.data.title = "Review quarterly report ".repeat(Math.ceil(filler / 24)).slice(0, Math.max(0, filler));
  return JSON.stringify(base);
};
/** 8 bytes, like the key given to rdkafka_performance. */
const keyOf = (i: number) => `task-${String(i % 1000).padStart(3, "0")}`;
const payloads = Array.from({ length: 1000 }, (_, i) => event(i));
if (payloads.some((p) => Buffer.byteLength(p) !== MESSAGE_BYTES)) throw new Error("payloads must be 1 KiB");

async function produceOurs(bootstrap: string, topic: string, messages: number): Promise<number> {
  // Timed from the client's creation, like rdkafka_performance: connecting and getting a PID count.
  const start = performance.now();
  const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": "5" });
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let delivered = 0;
    const sendNext = (): void => {
      const i = sent++;
      producer.send({ topic, key: keyOf(i), value: payloads[i % 1000]!, partition: 0 }).then(() => {
        if (++delivered === messages) resolve();
        else if (sent < messages) sendNext();
      }, reject);
    };
    for (let i = 0; i < Math.min(WINDOW, messages); i++) sendNext();
  });
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  return messages / seconds;
}

async function consumeOurs(bootstrap: string, topic: string, messages: number): Promise<number> {
  const consumer = new Consumer({ groupId: uniqueTopic("bench-group"), properties: { "bootstrap.servers": bootstrap } });
  consumer.subscribe([topic]);
  let received = 0;
  let start = 0;
  let bytes = 0;
  let lastCommit = 0;
  const commits: Array<Promise<void>> = [];
  for await (const batch of consumer.batches(2000)) {
    const now = performance.now();
    if (start === 0) start = lastCommit = now;
    received += batch.length;
    for (const message of batch) bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
    // Every commit is a request on the broker connection that also fetches: committing each batch would
    // measure commit round trips as well (20-40 % slower here), which rdkafka_performance never does.
    if (now - lastCommit >= AUTO_COMMIT_MS || received >= messages) {
      commits.push(consumer.commit(batch.slice(-1)));
      lastCommit = now;
    }
    if (received >= messages) break;
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(commits);
  await consumer.close();
  if (bytes < received * MESSAGE_BYTES) throw new Error(`consumed only ${bytes} bytes in ${received} messages`);
  return received / seconds;
}

async function rdkafkaPerformance(args: string[]): Promise<number> {
  const bin = join(librdkafkaBinDir(), "rdkafka_performance");
  const run = Bun.spawn([bin, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()]);
  await run.exited;
  const rates = [...(out + err).matchAll(/(\d+) msgs\/s/g)].map((m) => Number(m[1]));
  if (run.exitCode !== 0 || rates.length === 0) throw new Error(`rdkafka_performance failed:\n${out}\n${err}`);
  return rates.at(-1)!;
}

const produceTheirs = (bootstrap: string, topic: string, messages: number) =>
  rdkafkaPerformance([
    "-P", "-p", "0", "-s", String(MESSAGE_BYTES), "-k", keyOf(0), "-X", "enable.idempotence=true", "-X", "acks=all",
    "-X", "linger.ms=5", "-t", topic, "-b", bootstrap, "-c", String(messages), "-q",
  ]);
const consumeTheirs = (bootstrap: string, topic: string, messages: number) =>
  rdkafkaPerformance([
    "-G", uniqueTopic("bench-group"), "-X", "auto.offset.reset=earliest", "-X", "enable.auto.commit=true",
    "-t", topic, "-b", bootstrap, "-c", String(messages), "-q",
  ]);

const broker = await benchBroker(BENCH_JVM_OPTS);
const bootstrap = broker.bootstrap;

try {
  const server = bootstrap;
  const topic = (name: string) => createTopic(server, uniqueTopic(name));
  console.error(
    `${count} messages (warm-up ${warmUp}) of ${MESSAGE_BYTES} bytes with an 8-byte key, partition 0, ` +
      `enable.idempotence=true, acks=all, linger.ms=5; our producer keeps ${WINDOW} sends in flight`,
  );
  const runs = { produce: { ours: [] as number[], theirs: [] as number[] }, consume: { ours: [] as number[], theirs: [] as number[] } };
  const warm = await topic("bench-warm");
  await produceOurs(server, warm, warmUp);
  await produceTheirs(server, warm, warmUp);
  // Both consumers read the same topic, written by our producer in the first round.
  let readBack: string | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const ours = await topic("bench-ours");
    runs.produce.ours.push(await produceOurs(server, ours, count));
    readBack ??= ours;
    runs.produce.theirs.push(await produceTheirs(server, await topic("bench-rdkafka"), count));
  }
  // The warm-up topic holds both producers' messages; both consumers read all of it.
  await consumeOurs(server, warm, 2 * warmUp);
  await consumeTheirs(server, warm, 2 * warmUp);
  for (let round = 0; round < ROUNDS; round++) {
    runs.consume.ours.push(await consumeOurs(server, readBack!, count));
    runs.consume.theirs.push(await consumeTheirs(server, readBack!, count));
  }

  const targets = { produce: 0.8, consume: 0.7 } as const;
  console.log("| workload | agent-events msgs/s | rdkafka_performance msgs/s | ratio | target |");
  console.log("|---|---:|---:|---:|---:|");
  for (const name of ["produce", "consume"] as const) {
    const mine = Math.max(...runs[name].ours);
    const reference = Math.max(...runs[name].theirs);
    const ratio = mine / reference;
    const target = targets[name];
    console.log(
      `| ${name} | ${Math.round(mine)} | ${Math.round(reference)} | ${ratio.toFixed(2)} | ≥ ${target} ${ratio >= target ? "met" : "MISSED"} |`,
    );
  }
  for (const name of ["produce", "consume"] as const) {
    const list = (rates: number[]) => rates.map((r) => Math.round(r)).join(", ");
    console.error(`${name} runs (ours, then theirs, alternating): ours ${list(runs[name].ours)}; theirs ${list(runs[name].theirs)}`);
  }
} finally {
  await broker.stop();
}
