// The worker role beside the spec's consume loop (poll, handle, commit, one message at a time), on one
// broker in one run. Three workloads through one worker process:
//   1. a handler that takes 100 ms, 3 partitions, AGENT_CONCURRENCY=32 (ideal: 320 tasks/s), against the
//      spec's loop with the same handler on a topic of its own with 3 partitions;
//   2. an HTTP handler that answers at once (target: 5,000 tasks/s);
//   3. a built-in (in-process) handler;
// and the resident memory of an idle worker (target: 80 MB).
//
// Usage: bash bench/worker/run.sh   (installs the Python peer's packages, builds the binary)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent } from "../../src/events/index.ts";
import { Consumer } from "../../src/kafka/consumer.ts";
import { headerText } from "../../src/kafka/message-decoder.ts";
import { Producer } from "../../src/kafka/producer.ts";
import { KafkaPublisher } from "../../src/transport/kafka-publisher.ts";
import { startKafkaCluster } from "../../test/support/kafka-cluster.ts";
import { createTopic } from "../../test/support/topics.ts";
import { freePort, httpOk, rssMb, Service, sleep } from "../compare/support/processes.ts";
import { BENCH_JVM_OPTS } from "../support/broker.ts";

const root = join(import.meta.dir, "../..");
const binary = process.env.AGENT_EVENTS_BINARY ?? join(root, "dist/agent-events");
const logDir = mkdtempSync(join(tmpdir(), "bench-worker-"));
const SLOW = { tasks: 1_600, handlerMs: 100, concurrency: 32 };
const FAST = { tasks: 30_000, concurrency: 64 };
const PEER_TASKS = 60;

const cluster = await startKafkaCluster({ nodes: 1, jvmOpts: [...BENCH_JVM_OPTS], keepAlive: true });
const bootstrap = cluster.bootstrap;
const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": "5" });
const services: Service[] = [];
const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
};

/** Completion times (ms, this process's clock) of agent.task.completed per agent type, as they arrive. */
const completions = new Map<string, number[]>();
const collector = new Consumer({ groupId: `bench-collector-${crypto.randomUUID()}`, properties: { "bootstrap.servers": bootstrap } });

async function assign(type: string, count: number, topic = "agent-tasks"): Promise<void> {
  const publisher = new KafkaPublisher(producer);
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    // The built-in summarizer wants a text; the HTTP handlers here take anything.
    const input = { n: i, text: `Task ${i} of the benchmark. It has a second sentence. And a third.` };
    const event = createEvent("task.assigned", { task_id: `${type}-${i}`, agent_type: type, attempt: 1, input }, {
      correlation_id: `bench-${type}-${i}`,
      causation_id: "bench",
      source: "bench",
    });
    sends.push(
      topic === "agent-tasks"
        ? publisher.publish(event)
        : producer.send({ topic, key: event.data.task_id, value: JSON.stringify(event) }),
    );
  }
  await Promise.all(sends);
}

function startWorker(type: string, env: Record<string, string>): Promise<Service> {
  return (async () => {
    const port = await freePort();
    const service = new Service(
      `worker ${type}`,
      [binary, "--role=worker"],
      { KAFKA_BOOTSTRAP_SERVERS: bootstrap, HTTP_PORT: String(port), DATA_DIR: mkdtempSync(join(logDir, `${type}-`)), AGENT_TYPE: type, LOG_LEVEL: "warn", ...env },
      join(logDir, `worker-${type}.log`),
    );
    services.push(service);
    await service.waitUntil(() => httpOk(`http://127.0.0.1:${port}/readyz`), 90_000, 50);
    return service;
  })();
}

async function startHandler(sleepMs: number): Promise<string> {
  const port = await freePort();
  const service = new Service(`handler ${sleepMs} ms`, [process.execPath, join(import.meta.dir, "sleep-handler.ts")], { SLEEP_MS: String(sleepMs), PORT: String(port) }, join(logDir, `handler-${sleepMs}.log`));
  services.push(service);
  await service.waitUntil(async () => readFileSync(service.logPath, "utf8").includes("listening"), 30_000, 20);
  return `http://127.0.0.1:${port}/task`;
}

/** Tasks per second between the `skip`th and the (count - skip)th completion: warm-up and tail left out. */
function steadyRate(times: readonly number[], skip: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[skip]!;
  const last = sorted[sorted.length - 1 - skip]!;
  return ((sorted.length - 1 - 2 * skip) * 1000) / (last - first);
}

async function untilCompleted(type: string, count: number): Promise<number[]> {
  for (;;) {
    const times = completions.get(type) ?? [];
    if (times.length >= count) return times;
    await sleep(50);
  }
}

try {
  collector.subscribe(["agent-results"]);
  void (async () => {
    // By headers, without parsing: this process shares the two cores with the worker and the broker.
    for await (const batch of collector.batches(5_000)) {
      const now = performance.now();
      for (const message of batch) {
        if (headerText(message, "event_type") !== "agent.task.completed") continue;
        const type = headerText(message, "agent_type")!;
        let times = completions.get(type);
        if (!times) completions.set(type, (times = []));
        times.push(now);
      }
    }
  })();
  // The worker's own start creates agent-tasks and agent-results; the peer's topic is made here.
  const idle = await startWorker("idle", { AGENT_HANDLER_URL: "http://127.0.0.1:1/" });
  await createTopic(bootstrap, "bench-serial-tasks", 3);
  await sleep(5_000);
  log(`idle worker: ${rssMb(idle.pid).toFixed(1)} MB resident (target: at most 80 MB)`);

  // 1. A 100 ms handler.
  const slowUrl = await startHandler(SLOW.handlerMs);
  await assign("sleep100", SLOW.tasks);
  await startWorker("sleep100", { AGENT_HANDLER_URL: slowUrl, AGENT_CONCURRENCY: String(SLOW.concurrency) });
  const slowRate = steadyRate(await untilCompleted("sleep100", SLOW.tasks), 100);
  const ideal = (SLOW.concurrency * 1000) / SLOW.handlerMs;
  log(`worker, 100 ms handler, concurrency ${SLOW.concurrency}, 3 partitions: ${slowRate.toFixed(1)} tasks/s = ${(slowRate / ideal).toFixed(2)} of the ideal ${ideal} (target: at least 0.9)`);

  await assign("serial", PEER_TASKS, "bench-serial-tasks");
  const done: number[] = [];
  const peer = Bun.spawn(["/usr/bin/python3", join(import.meta.dir, "serial_peer.py")], {
    env: { KAFKA_BOOTSTRAP_SERVERS: bootstrap, TOPIC: "bench-serial-tasks", HANDLER_MS: String(SLOW.handlerMs), PYTHONDONTWRITEBYTECODE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdout: "pipe",
    stderr: "ignore",
  });
  const reader = peer.stdout.getReader();
  let pending = "";
  while (done.length < PEER_TASKS) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    pending += new TextDecoder().decode(value);
    const parts = pending.split("\n");
    pending = parts.pop()!;
    for (const part of parts) if (part.startsWith("done ")) done.push(Number(part.split(" ")[2]));
  }
  peer.kill();
  const peerRate = steadyRate(done, 5);
  log(`the spec's loop (poll, handle, commit), same handler, 3 partitions: ${peerRate.toFixed(1)} tasks/s`);
  log(`ratio: ${(slowRate / peerRate).toFixed(1)}x`);

  // 2. An HTTP handler that answers at once.
  const fastUrl = await startHandler(0);
  await assign("instant", FAST.tasks);
  const instant = await startWorker("instant", { AGENT_HANDLER_URL: fastUrl, AGENT_CONCURRENCY: String(FAST.concurrency) });
  const fastRate = steadyRate(await untilCompleted("instant", FAST.tasks), 1_000);
  log(`worker, HTTP handler answering at once, concurrency ${FAST.concurrency}: ${fastRate.toFixed(0)} tasks/s (target: at least 5,000); ${rssMb(instant.pid).toFixed(0)} MB resident after`);

  // 3. A built-in handler, in the worker's own process.
  await assign("summarizer", FAST.tasks);
  await startWorker("summarizer", { AGENT_CONCURRENCY: String(FAST.concurrency) });
  const builtInRate = steadyRate(await untilCompleted("summarizer", FAST.tasks), 1_000);
  log(`worker, built-in handler, concurrency ${FAST.concurrency}: ${builtInRate.toFixed(0)} tasks/s`);

  writeFileSync(join(root, "bench/worker-results.md"), `Worker benchmark, ${new Date().toISOString().slice(0, 10)}, 2 cores, one broker on the same machine:\n\n${lines.map((l) => `- ${l}`).join("\n")}\n`);
} finally {
  await Promise.all(services.map((service) => service.stop(3_000)));
  await collector.close();
  await producer.close();
  await cluster.stop();
}
