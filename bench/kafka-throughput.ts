// Producer and consumer throughput of our binding beside librdkafka's own rdkafka_performance, built from
// the same source, on the same single-node broker in the same run. Usage: bun bench/kafka-throughput.ts [messages]
import { join } from "node:path";
import { Consumer } from "../src/kafka/consumer.ts";
import { Producer } from "../src/kafka/producer.ts";
import { startKafkaCluster, type KafkaCluster } from "../test/support/kafka-cluster.ts";
import { createTopic, uniqueTopic } from "../test/support/topics.ts";
import { librdkafkaBinDir } from "./support/librdkafka-bin.ts";

const count = Number(process.argv[2] ?? 200_000);
const MESSAGE_BYTES = 1024;
const WINDOW = 20_000;

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

async function produceOurs(bootstrap: string, topic: string): Promise<number> {
  const payloads = Array.from({ length: 1000 }, (_, i) => event(i));
  const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": "5" });
  const start = performance.now();
  let inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(producer.send({ topic, key: `task-${i % 1000}`, value: payloads[i % 1000]!, partition: 0 }));
    if (inFlight.length === WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  return count / seconds;
}

async function consumeOurs(bootstrap: string, topic: string): Promise<number> {
  const consumer = new Consumer({ groupId: `bench-${topic}`, properties: { "bootstrap.servers": bootstrap } });
  consumer.subscribe([topic]);
  let received = 0;
  let start = 0;
  let bytes = 0;
  const commits: Array<Promise<void>> = [];
  for await (const batch of consumer.batches(2000)) {
    if (start === 0) start = performance.now();
    received += batch.length;
    for (const message of batch) bytes += message.value?.length ?? 0;
    commits.push(consumer.commit(batch.slice(-1)));
    if (received >= count) break;
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(commits);
  await consumer.close();
  if (bytes < count * (MESSAGE_BYTES - 64)) throw new Error(`consumed only ${bytes} bytes`);
  return count / seconds;
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

const common = (bootstrap: string, topic: string) => ["-t", topic, "-b", bootstrap, "-c", String(count), "-q"];

let cluster: KafkaCluster | undefined;
let bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS;
if (!bootstrap) {
  // Full JIT and a larger heap: the test defaults favour start-up time over throughput.
  cluster = await startKafkaCluster({ nodes: 1, jvmOpts: ["-Xms1g", "-Xmx1g", "-XX:+UseParallelGC"] });
  bootstrap = cluster.bootstrap;
}

try {
  const ours = await createTopic(bootstrap, uniqueTopic("bench-ours"));
  const theirs = await createTopic(bootstrap, uniqueTopic("bench-rdkafka"));
  console.error(`${count} messages of ${MESSAGE_BYTES} bytes, enable.idempotence=true, acks=all, linger.ms=5`);
  const produced = await produceOurs(bootstrap, ours);
  const producedRef = await rdkafkaPerformance([
    "-P", "-p", "0", "-s", String(MESSAGE_BYTES), "-X", "enable.idempotence=true", "-X", "acks=all",
    "-X", "linger.ms=5", ...common(bootstrap, theirs),
  ]);
  const consumed = await consumeOurs(bootstrap, ours);
  const consumedRef = await rdkafkaPerformance([
    "-G", `bench-${theirs}`, "-X", "auto.offset.reset=earliest", "-X", "enable.auto.commit=true",
    ...common(bootstrap, theirs),
  ]);
  const rows = [
    ["produce", produced, producedRef, 0.8],
    ["consume", consumed, consumedRef, 0.7],
  ] as const;
  console.log("| workload | agent-events msgs/s | rdkafka_performance msgs/s | ratio | target |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, mine, reference, target] of rows) {
    const ratio = mine / reference;
    console.log(
      `| ${name} | ${Math.round(mine)} | ${Math.round(reference)} | ${ratio.toFixed(2)} | ≥ ${target} ${ratio >= target ? "met" : "MISSED"} |`,
    );
  }
} finally {
  await cluster?.stop();
}
