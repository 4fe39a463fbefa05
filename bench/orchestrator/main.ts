// The orchestrator beside a bare request/reply over the same broker and client, in one run on one broker:
//   1. round trip at 200 tasks/s: POST /tasks with an agent_type to the task.completed the orchestrator
//      publishes (api, orchestrator, worker and an HTTP handler answering at once, each its own process),
//      against one produce, one consumer replying (its own process), one produce back;
//   2. sustained orchestrated tasks per second: as many POSTs as 256 clients keep going, completions counted
//      on task-events, with the CPU each process used.
//
// Usage: bash bench/orchestrator/run.sh   (builds the binary; writes bench/orchestrator-results.md)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentConsumerProperties, agentProducerProperties } from "../../src/client-defaults.ts";
import { Consumer } from "../../src/kafka/consumer.ts";
import { headerText } from "../../src/kafka/message-decoder.ts";
import { Producer } from "../../src/kafka/producer.ts";
import { startKafkaCluster } from "../../test/support/kafka-cluster.ts";
import { createTopic } from "../../test/support/topics.ts";
import { cpuSeconds, freePort, httpOk, javaPidsByCommandLine, Service, sleep } from "../compare/support/processes.ts";
import { percentile } from "../compare/support/stats.ts";
import { BENCH_JVM_OPTS } from "../support/broker.ts";

const root = join(import.meta.dir, "../..");
const binary = process.env.AGENT_EVENTS_BINARY ?? join(root, "dist/agent-events");
const logDir = mkdtempSync(join(tmpdir(), "bench-orchestrator-"));
const RATE = 200;
const WARM_UP_S = 5;
const MEASURE_S = 30;
const CLIENTS = 256;
const THROUGHPUT_S = 30;
/** Completions in the first seconds of the throughput run are left out: queues are filling. */
const THROUGHPUT_SKIP_S = 5;

const cluster = await startKafkaCluster({ nodes: 1, jvmOpts: [...BENCH_JVM_OPTS], keepAlive: true });
const bootstrap = cluster.bootstrap;
const services: Service[] = [];
const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
};

/** When each awaited key (a correlation id, or a bare request's key) came back, this process's clock. */
const arrived = new Map<string, number>();
let completedTotal = 0;

/** LINGER_MS=n sets every producer's linger.ms, ours and the bare peer's alike (default: the roles' 1 ms). */
const linger: Record<string, string> = process.env.LINGER_MS ? { KAFKA_LINGER_MS: process.env.LINGER_MS } : {};
const producerSettings: Record<string, string> = process.env.LINGER_MS ? { "linger.ms": process.env.LINGER_MS } : {};

function service(name: string, command: string[], env: Record<string, string>): Service {
  const started = new Service(name, command, { KAFKA_BOOTSTRAP_SERVERS: bootstrap, LOG_LEVEL: "warn", ...linger, ...env }, join(logDir, `${name}.log`));
  services.push(started);
  return started;
}

/** PROFILE=<role> runs that role from source under Bun's sampling profiler; its report lands in the log dir. */
const profiled = process.env.PROFILE;

async function role(name: string, args: string[], env: Record<string, string> = {}): Promise<{ service: Service; url: string }> {
  const port = await freePort();
  const command = profiled === name ? [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${logDir}`, join(root, "src/main.ts"), ...args] : [binary, ...args];
  const started = service(name, command, { HTTP_PORT: String(port), DATA_DIR: mkdtempSync(join(logDir, `${name}-`)), ...env });
  const url = `http://127.0.0.1:${port}`;
  await started.waitUntil(() => httpOk(`${url}/readyz`), 120_000, 50);
  return { service: started, url };
}

/** Reads a topic from its end, by headers alone, noting when each awaited message arrives. */
function watch(topic: string, key: (message: Parameters<typeof headerText>[0] & { key: Uint8Array | null }) => string | undefined): Consumer {
  const consumer = new Consumer({ groupId: `bench-watch-${crypto.randomUUID()}`, properties: { ...agentConsumerProperties({ "bootstrap.servers": bootstrap }, false), "auto.offset.reset": "latest" } });
  consumer.subscribe([topic]);
  void (async () => {
    for await (const batch of consumer.batches(5_000)) {
      const now = performance.now();
      for (const message of batch) {
        const id = key(message);
        if (id !== undefined && !arrived.has(id)) {
          arrived.set(id, now);
          if (id.startsWith("tp-")) completedTotal++;
        }
      }
    }
  })();
  return consumer;
}

/** Per round-trip task (correlation id rt-…), when each of its events happened (occurred_at, ms). */
const story = new Map<string, Map<string, number>>();

/**
 * Reads the round-trip tasks' events from the topics' start, after the round trips: the times are in the
 * events, and a reader woken by each of them while they run would load the machine for ours and not the bare peer.
 */
function recordStory(topics: string[]): Consumer {
  const consumer = new Consumer({ groupId: `bench-story-${crypto.randomUUID()}`, properties: { ...agentConsumerProperties({ "bootstrap.servers": bootstrap }, false), "auto.offset.reset": "earliest" } });
  consumer.subscribe(topics);
  void (async () => {
    for await (const batch of consumer.batches(5_000)) {
      for (const message of batch) {
        const correlation = headerText(message, "correlation_id");
        if (!correlation?.startsWith("rt-") || !message.value) continue;
        const event = JSON.parse(new TextDecoder().decode(message.value)) as { event_type: string; occurred_at: string };
        let times = story.get(correlation);
        if (!times) story.set(correlation, (times = new Map()));
        times.set(event.event_type, Date.parse(event.occurred_at));
      }
    }
  })();
  return consumer;
}

/**
 * The mean gap between two points of the round-trip tasks: "sent" (the POST went out) and "arrived" (the
 * task.completed reached the benchmark) besides their events' times. Event times are whole milliseconds, so
 * a median of their gaps is off by up to one; a mean of many is not. An event's time is taken as the middle
 * of its millisecond, so its gap to a point timed to the microsecond is not half a millisecond off.
 */
function meanGap(sentAt: Map<string, number>, from: string, to: string): number {
  const at = (id: string, times: Map<string, number>, point: string) => {
    if (point === "sent") return performance.timeOrigin + sentAt.get(id)!;
    if (point === "arrived") return performance.timeOrigin + arrived.get(id)!;
    const time = times.get(point);
    return time === undefined ? undefined : time + 0.5;
  };
  const gaps = [...story].flatMap(([id, times]) => {
    const [start, end] = [at(id, times, from), at(id, times, to)];
    return start !== undefined && end !== undefined ? [end - start] : [];
  });
  return gaps.reduce((sum, gap) => sum + gap, 0) / Math.max(1, gaps.length);
}

/** Sends `perSecond` requests a second for `seconds` on a fixed schedule, whatever the answers; returns send times. */
async function openLoop(prefix: string, perSecond: number, seconds: number, send: (id: string) => Promise<unknown>): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  const total = perSecond * seconds;
  const pending: Array<Promise<unknown>> = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * perSecond) + 1);
    for (; sent < due; sent++) {
      const id = `${prefix}${sent}`;
      sentAt.set(id, performance.now());
      pending.push(send(id));
    }
    await sleep(2);
  }
  await Promise.all(pending);
  return sentAt;
}

async function untilArrived(ids: Iterable<string>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const id of ids) {
    while (!arrived.has(id)) {
      if (performance.now() > deadline) throw new Error(`${id} never came back`);
      await sleep(20);
    }
  }
}

function roundTrips(sentAt: Map<string, number>): number[] {
  return [...sentAt].map(([id, at]) => arrived.get(id)! - at);
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

try {
  await createTopic(bootstrap, "bench-requests", 3);
  await createTopic(bootstrap, "bench-replies", 3);
  const handlerPort = await freePort();
  const handler = service("handler", [process.execPath, join(root, "bench/worker/sleep-handler.ts")], { SLEEP_MS: "0", PORT: String(handlerPort) });
  await handler.waitUntil(async () => readFileSync(handler.logPath, "utf8").includes("listening"), 30_000, 20);
  const worker = await role("worker", ["--role=worker"], { AGENT_TYPE: "echo", AGENT_HANDLER_URL: `http://127.0.0.1:${handlerPort}/task`, AGENT_CONCURRENCY: "64" });
  const orchestrator = await role("orchestrator", ["--role=orchestrator"]);
  const api = await role("api", ["--role=api"]);
  const replier = service("bare-replier", [process.execPath, join(import.meta.dir, "bare-replier.ts")], {});
  // The bare chain: four crossings like our round trip (requests, three relays, replies), each relay its own process.
  const chainTopics = ["bench-chain-0", "bench-chain-1", "bench-chain-2", "bench-chain-3"];
  for (const topic of chainTopics) await createTopic(bootstrap, topic, 3);
  const relays = chainTopics.slice(0, -1).map((from, i) => service(`bare-relay-${i}`, [process.execPath, join(import.meta.dir, "bare-replier.ts")], { FROM_TOPIC: from, TO_TOPIC: chainTopics[i + 1]! }));
  for (const started of [replier, ...relays]) await started.waitUntil(async () => readFileSync(started.logPath, "utf8").includes("replying"), 30_000, 20);

  const watchers = [
    watch("task-events", (message) => (headerText(message, "event_type") === "task.completed" ? headerText(message, "correlation_id") : undefined)),
    watch("bench-replies", (message) => (message.key ? new TextDecoder().decode(message.key) : undefined)),
    watch("bench-chain-3", (message) => (message.key ? new TextDecoder().decode(message.key) : undefined)),
  ];
  const requester = new Producer(agentProducerProperties({ "bootstrap.servers": bootstrap, ...producerSettings }));
  // They read from the end: what is sent before they own their partitions would never be seen.
  for (const watcher of watchers) while (watcher.assignment().length < 3) await sleep(50);
  await sleep(1_000);

  const post = (id: string) =>
    fetch(`${api.url}/tasks`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Correlation-ID": id },
      body: JSON.stringify({ title: "Echo", owner_id: "bench", agent_type: "echo", input: { n: id } }),
    }).then(async (response) => {
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`POST /tasks answered ${response.status}`);
    });
  const request = (id: string) => requester.send({ topic: "bench-requests", key: id, value: JSON.stringify({ n: id }) });
  const chained = (id: string) => requester.send({ topic: "bench-chain-0", key: id, value: JSON.stringify({ n: id }) });

  // 1. Round trips at 200 a second, after a warm-up of each.
  await untilArrived((await openLoop("warm-ours-", RATE, WARM_UP_S, post)).keys());
  await untilArrived((await openLoop("warm-bare-", RATE, WARM_UP_S, request)).keys());
  await untilArrived((await openLoop("warm-chain-", RATE, WARM_UP_S, chained)).keys());
  const ours = await openLoop("rt-", RATE, MEASURE_S, post);
  await untilArrived(ours.keys());
  const bare = await openLoop("bare-", RATE, MEASURE_S, request);
  await untilArrived(bare.keys());
  const chain = await openLoop("chain-", RATE, MEASURE_S, chained);
  await untilArrived(chain.keys());
  const [oursMs, bareMs] = [roundTrips(ours), roundTrips(bare)];
  const [oursP50, oursP99, bareP50, bareP99] = [percentile(oursMs, 50), percentile(oursMs, 99), percentile(bareMs, 50), percentile(bareMs, 99)];
  log(`round trip at ${RATE}/s for ${MEASURE_S} s, POST /tasks with an agent_type to task.completed (api, orchestrator, worker, HTTP handler answering at once): p50 ${ms(oursP50)}, p99 ${ms(oursP99)}`);
  log(`bare request/reply over the same broker and client (one produce, one consumer replying, one produce back): p50 ${ms(bareP50)}, p99 ${ms(bareP99)}`);
  log(`ratio: p50 ${(oursP50 / bareP50).toFixed(2)}x (target: at most 2.5x), p99 ${(oursP99 / bareP99).toFixed(2)}x`);
  // Not the target's peer: the floor of our round trip's shape, four crossings and no work, to tell what the
  // crossings cost from what the roles add.
  const chainMs = roundTrips(chain);
  log(
    `bare chain of four crossings (requests, three relays each its own process, replies): p50 ${ms(percentile(chainMs, 50))}, p99 ${ms(percentile(chainMs, 99))}; ` +
      `ours is ${(oursP50 / percentile(chainMs, 50)).toFixed(2)}x its p50, ${ms(oursP50 - percentile(chainMs, 50))} more`,
  );
  watchers.push(recordStory(["task-events", "agent-tasks", "agent-results"]));
  const storyDeadline = performance.now() + 60_000;
  while (![...ours.keys()].every((id) => story.get(id)?.has("task.completed")) && performance.now() < storyDeadline) await sleep(50);
  const hops: Array<[string, string, string]> = [
    ["sent", "task.created", "the POST to the api's event"],
    ["task.created", "task.assigned", "api's event to the orchestrator's assignment"],
    ["task.assigned", "agent.task.accepted", "assignment to the worker's acceptance"],
    ["agent.task.accepted", "agent.task.completed", "acceptance to the worker's report (the handler's HTTP call)"],
    ["agent.task.completed", "task.completed", "report to the orchestrator's task.completed"],
    ["task.completed", "arrived", "task.completed to its arrival at the benchmark"],
  ];
  log(`where a round trip goes (mean gaps): ${hops.map(([from, to, what]) => `${what} ${ms(meanGap(ours, from, to))}`).join("; ")}`);
  log(`mean round trips: ours ${ms(oursMs.reduce((a, b) => a + b, 0) / oursMs.length)}, bare ${ms(bareMs.reduce((a, b) => a + b, 0) / bareMs.length)}`);

  // ROUND_TRIP_ONLY=1 stops after the round trips (for trying a change quickly).
  if (!process.env.ROUND_TRIP_ONLY) {
    // 2. Sustained throughput: CLIENTS clients, each posting its next task once the last one's task.completed
    // is on task-events, so that what is measured is what the whole chain keeps up with.
    const pids = { benchmark: process.pid, api: api.service.pid, orchestrator: orchestrator.service.pid, worker: worker.service.pid, handler: handler.pid, broker: javaPidsByCommandLine(cluster.dataDir)[0] ?? NaN };
    let stop = false;
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; !stop; i++) {
        const id = `tp-${client}-${i}`;
        await post(id);
        while (!arrived.has(id) && !stop) await sleep(1);
      }
    });
    await sleep(THROUGHPUT_SKIP_S * 1000);
    const [countFrom, cpuFrom, from] = [completedTotal, Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)])), performance.now()];
    await sleep((THROUGHPUT_S - THROUGHPUT_SKIP_S) * 1000);
    const [countTo, to] = [completedTotal, performance.now()];
    const cpuUsed = Object.entries(pids).map(([name, pid]) => `${name} ${((cpuSeconds(pid) - cpuFrom[name]!) / ((to - from) / 1000)).toFixed(2)}`);
    stop = true;
    await Promise.all(clients);
    const rate = ((countTo - countFrom) * 1000) / (to - from);
    log(`sustained, ${CLIENTS} clients each waiting for its task.completed, api + orchestrator + worker + handler + broker on this machine: ${rate.toFixed(0)} orchestrated tasks/s (target: at least 2,000)`);
    log(`cores used meanwhile: ${cpuUsed.join(", ")}`);
  }

  writeFileSync(
    join(root, "bench/orchestrator-results.md"),
    `Orchestrator benchmark, ${new Date().toISOString().slice(0, 10)}, 2 cores, one broker on the same machine:\n\n${lines.map((l) => `- ${l}`).join("\n")}\n`,
  );
  await Promise.all(watchers.map((w) => w.close()));
  await requester.close();
} finally {
  await Promise.all(services.map((s) => s.stop(3_000)));
  await cluster.stop();
}
