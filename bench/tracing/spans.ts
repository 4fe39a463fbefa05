// What tracing costs the thread that answers requests, per POST /tasks (its server span and its publish
// span), without HTTP or a broker: headers only (tracing off), spans recorded here and exported by the SDK
// in the export worker (tracing on), and the same spans put through the exporter on this thread
// (what the worker spends). Spans go to a local endpoint that only reads them, in a process of its own.
// Requests come in bursts of 32 with a 1 ms pause, about the benchmark's rate; "this thread" is the busy time
// within the bursts, "the process" its CPU time on all threads (the export worker's, the HTTP client's).
//
// Usage: bun bench/tracing/spans.ts
import type { SpanAttributes } from "../../src/telemetry/tracer.ts";
import { startTracing } from "../../src/telemetry/start-tracing.ts";
import { spanReplay } from "../../src/telemetry/span-replay.ts";
import type { SpanRecord } from "../../src/telemetry/span-record.ts";
import type { TracingConfig } from "../../src/telemetry/tracing-config.ts";
import type { Logger } from "../../src/log.ts";

const REQUESTS = 60_000;
const BURST = 32;
const sink = Bun.spawn(["bun", "-e", `Bun.serve({ hostname: "127.0.0.1", port: 19412, async fetch(r) { await r.arrayBuffer(); return new Response(null, { status: 202 }); } })`]);
await Bun.sleep(300);
const config: TracingConfig = {
  export: { kind: "zipkin", url: "http://127.0.0.1:19412/api/v2/spans" },
  serviceName: "bench",
  resourceAttributes: {},
  sampler: { name: "parentbased_always_on", ratio: 1 },
};
const logger = { info() {}, error: console.error } as unknown as Logger;
const publishAttributes = (): SpanAttributes => ({
  "messaging.system": "kafka",
  "messaging.operation.type": "send",
  "messaging.destination.name": "tasks",
  "messaging.kafka.message.key": crypto.randomUUID(),
  "messaging.message.id": crypto.randomUUID(),
  "event.type": "task.created",
  correlation_id: crypto.randomUUID(),
});

async function perRequest(name: string, request: () => void): Promise<void> {
  for (let round = 0; round < 3; round++) {
    let busy = 0;
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i += BURST) {
      const started = performance.now();
      for (let j = 0; j < BURST; j++) request();
      busy += performance.now() - started;
      await Bun.sleep(1);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const perRequest = (µs: number) => (µs / REQUESTS).toFixed(2);
    if (round > 0) console.log(`${name.padEnd(30)} this thread ${perRequest(busy * 1000)} µs, the process (all threads) ${perRequest(cpu.user + cpu.system)} µs per request`);
  }
}

await perRequest("off (headers only)", () => {
  crypto.randomUUID();
  crypto.randomUUID();
  crypto.randomUUID();
});

const tracer = await startTracing(config, logger);
await perRequest("on: recorded, worker exports", () => {
  const server = tracer.start("POST /tasks", "server", undefined, { "http.request.method": "POST", "http.route": "/tasks" });
  tracer.start("publish task.created", "producer", server.context, publishAttributes()).end();
  server.end(undefined, { "http.response.status_code": 201 });
});
await tracer.close(5_000);
console.log(`  dropped: ${tracer.droppedSpans}`);

// The exporter on this thread: the same records in the same batches of 512, replayed here rather than in the
// worker, to see what the worker spends.
const replay = spanReplay({ ...config, export: config.export! }, "0");
const epochAtZero = Date.now() - performance.now();
let batch: SpanRecord[] = [];
await perRequest("on: exporter on this thread", () => {
  const start = performance.now();
  const server: SpanRecord = { name: "POST /tasks", kind: "server", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", start, end: start + 1, attributes: { "http.request.method": "POST", "http.route": "/tasks" } };
  const publish: SpanRecord = { name: "publish task.created", kind: "producer", traceId: server.traceId, spanId: "b7ad6b7169203331", parentSpanId: server.spanId, parentFlags: 1, start, end: start + 1, attributes: publishAttributes() };
  batch.push(publish, server);
  if (batch.length < 512) return;
  replay.replay(JSON.parse(JSON.stringify(batch)) as SpanRecord[], epochAtZero);
  batch = [];
});
await replay.shutdown();
sink.kill();
