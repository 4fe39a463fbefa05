// What tracing costs POST /tasks: the api role of the binary at 64 keep-alive connections (wrk), with tracing
// off (traceparent headers only) and on (spans recorded on the request thread, exported by the OpenTelemetry
// SDK's exporter from a worker thread, to Zipkin or to a counting sink), on one broker in one run. The
// processes take turns, off/on/sink/off/on/sink..., so drift in the machine hits them alike.
//
// Usage: bash bench/tracing/run.sh   (builds the binary; writes bench/tracing-results.md)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Zipkin } from "../../test/support/zipkin.ts";
import { freePort, httpOk, Service } from "../compare/support/processes.ts";
import { runWrk, type WrkResult } from "../compare/support/wrk.ts";
import { benchBroker, BENCH_JVM_OPTS } from "../support/broker.ts";
import { threadCpu, type ThreadCpu } from "./thread-cpu.ts";

const root = join(import.meta.dir, "../..");
const binary = process.env.AGENT_EVENTS_BINARY ?? join(root, "dist/agent-events");
const logDir = mkdtempSync(join(tmpdir(), "bench-tracing-"));
const CONNECTIONS = 64;
const WARM_UP_S = 5;
const ROUND_S = Number(process.env.ROUND_S ?? 15);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const broker = await benchBroker(BENCH_JVM_OPTS);
const zipkin = await Zipkin.start();
const services: Service[] = [];

const pids: Record<string, number> = {};

async function api(name: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const service = new Service(
    name,
    [binary, "--role=api"],
    { KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap, HTTP_PORT: String(port), DATA_DIR: mkdtempSync(join(logDir, `${name}-`)), LOG_LEVEL: "warn", ...env },
    join(logDir, `${name}.log`),
  );
  services.push(service);
  pids[name] = service.pid;
  const url = `http://127.0.0.1:${port}`;
  await service.waitUntil(() => httpOk(`${url}/readyz`), 120_000, 50);
  return url;
}

// Zipkin shares the two cores with the api: a sink that only counts what it is sent tells our own cost in the
// api apart from the backend's cost to the machine. It counts the spans' "traceId" keys rather than parsing
// the JSON: at 50,000 spans/s parsing them would itself take a good part of a core from the api.
let sunk = 0;
const sink = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const body = await request.text();
    for (let at = body.indexOf('"traceId"'); at >= 0; at = body.indexOf('"traceId"', at + 9)) sunk++;
    return new Response(null, { status: 202 });
  },
});
const variants = {
  off: await api("api-tracing-off", {}),
  on: await api("api-tracing-on", { OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint }),
  "on, to a sink": await api("api-tracing-sink", { OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${sink.port}/api/v2/spans` }),
  // What the README advises where the full cost is too much: one request in ten recorded.
  "1 in 10 sampled, to a sink": await api("api-tracing-sampled", {
    OTEL_TRACES_EXPORTER: "zipkin",
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${sink.port}/api/v2/spans`,
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0.1",
  }),
};
type Variant = keyof typeof variants;
const SERVICES: Record<Variant, string> = { off: "api-tracing-off", on: "api-tracing-on", "on, to a sink": "api-tracing-sink", "1 in 10 sampled, to a sink": "api-tracing-sampled" };
const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []])) as unknown as Record<Variant, WrkResult[]>;
/** CPU µs per request of the api's threads over the rounds. */
const cpuPerRequest = Object.fromEntries(Object.keys(variants).map((name) => [name, []])) as unknown as Record<Variant, ThreadCpu[]>;
const pidOf = (name: Variant) => pids[SERVICES[name]]!;

try {
  for (const url of Object.values(variants)) await runWrk(url, CONNECTIONS, WARM_UP_S);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(variants) as Variant[]) {
      const before = threadCpu(pidOf(name));
      const result = await runWrk(variants[name], CONNECTIONS, ROUND_S);
      const after = threadCpu(pidOf(name));
      const per = (pick: (cpu: ThreadCpu) => number) => ((pick(after) - pick(before)) * 1e6) / result.requests;
      cpuPerRequest[name].push({ main: per((c) => c.main), worker: per((c) => c.worker), all: per((c) => c.all) });
      if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
      results[name].push(result);
      console.log(`round ${round + 1} tracing ${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
    }
  }
  const exported = await exportedSpans();
  report(exported, { on: await droppedSpans(variants.on), sink: await droppedSpans(variants["on, to a sink"]) });
} finally {
  await Promise.all(services.map((service) => service.stop()));
  await zipkin.stop();
  await sink.stop(true);
  await broker.stop();
}

/** How many spans Zipkin took in: the proof that tracing was on, not merely configured. */
async function exportedSpans(): Promise<number> {
  const metrics = await (await fetch(`${zipkin.url}/prometheus`)).text();
  const line = metrics.split("\n").find((l) => l.startsWith('zipkin_collector_spans_total{transport="http"'));
  return Number(line?.split(" ").at(-1) ?? NaN);
}

/** Spans an api dropped because its export queue was full: what a backend that cannot keep up costs. */
async function droppedSpans(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics.split("\n").find((l) => l.startsWith("agent_events_spans_dropped_total"));
  return Number(line?.split(" ").at(-1) ?? NaN);
}

function report(exported: number, dropped: { on: number; sink: number }): void {
  const mean = <T>(list: T[], pick: (r: T) => number) => list.reduce((sum, r) => sum + pick(r), 0) / list.length;
  const off = mean(results.off, (r) => r.requestsPerSecond);
  const on = mean(results.on, (r) => r.requestsPerSecond);
  const cpu = (name: Variant, pick: (c: ThreadCpu) => number) => mean(cpuPerRequest[name], pick).toFixed(1);
  const row = (name: Variant) =>
    `| ${name} | ${results[name].map((r) => r.requestsPerSecond.toFixed(0)).join(", ")} | ${mean(results[name], (r) => r.requestsPerSecond).toFixed(0)} | ${mean(results[name], (r) => r.p50Ms).toFixed(2)} | ${mean(results[name], (r) => r.p99Ms).toFixed(2)} | ${cpu(name, (c) => c.main)} | ${cpu(name, (c) => c.worker)} | ${cpu(name, (c) => c.all)} |`;
  const text = `# Tracing cost: POST /tasks with tracing off and on

\`bash bench/tracing/run.sh\`, ${new Date().toISOString().slice(0, 10)}: the api role of the compiled binary, one broker, wrk with
${CONNECTIONS} keep-alive connections, ${ROUNDS} rounds of ${ROUND_S} s per variant taken in turns after a ${WARM_UP_S} s warm-up of each, on a
machine of 2 cores shared by the broker, Zipkin, wrk and the four api processes (only one of which is loaded at a time).

- **off**: no OTEL_* set; every task.created still gets a \`traceparent\` header and the response names it.
- **on**: OTEL_TRACES_EXPORTER=zipkin to a local Zipkin: a server span per request and a producer span per publish
  (to the broker's acknowledgement), recorded on the request thread and exported in batches by the SDK's Zipkin
  exporter in the api's export worker thread. Zipkin received ${exported} spans in all; the api dropped
  ${dropped.on} (its queue full while Zipkin fell behind).
- **on, to a sink**: the same, exporting to an HTTP endpoint in the benchmark that only counts spans (${sunk} in all,
  ${dropped.sink} dropped): our cost in the api (request thread and export worker) without a backend's cost to the same two cores.
- **1 in 10 sampled, to a sink**: the same with OTEL_TRACES_SAMPLER=parentbased_traceidratio and OTEL_TRACES_SAMPLER_ARG=0.1.

CPU µs per request, from /proc/PID/task/*/stat (10 ms ticks) over the rounds: the api's JavaScript thread, its
export worker thread, and the whole api process.

| tracing | req/s per round | mean req/s | p50 ms | p99 ms | JS thread µs | worker µs | process µs |
|---|---|---|---|---|---|---|---|
${row("off")}
${row("on")}
${row("on, to a sink")}
${row("1 in 10 sampled, to a sink")}

**Throughput with tracing on: ${(on / off).toFixed(2)} of tracing off** (goal ≥ 0.90); to a sink: ${(mean(results["on, to a sink"], (r) => r.requestsPerSecond) / off).toFixed(2)}; one request in ten sampled, to a sink: ${(mean(results["1 in 10 sampled, to a sink"], (r) => r.requestsPerSecond) / off).toFixed(2)}.
`;
  writeFileSync(join(root, "bench/tracing-results.md"), text);
  console.log(text);
}
