import { expect, test } from "bun:test";
import { parseTraceparent } from "../events/index.ts";
import { startTracing } from "./start-tracing.ts";
import type { TracingConfig } from "./tracing-config.ts";

const logger = { info() {}, error() {} } as unknown as Parameters<typeof startTracing>[1];
const CALLER = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "rojo=00f067aa0ba902b7")!;

async function withZipkinSink(run: (url: string, received: Array<Record<string, unknown>>) => Promise<void>) {
  const received: Array<Record<string, unknown>> = [];
  const sink = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      received.push(...((await request.json()) as Array<Record<string, unknown>>));
      return new Response(null, { status: 202 });
    },
  });
  try {
    await run(`http://127.0.0.1:${sink.port}/api/v2/spans`, received);
  } finally {
    await sink.stop(true);
  }
}

const config = (url: string, sampler: TracingConfig["sampler"] = { name: "parentbased_always_on", ratio: 1 }): TracingConfig => ({
  export: { kind: "zipkin", url },
  serviceName: "agent-events-test",
  resourceAttributes: {},
  sampler,
});

test("spans recorded here leave from the export worker under the ids their headers carry, flushed by close", async () => {
  await withZipkinSink(async (url, received) => {
    const tracer = await startTracing(config(url), logger);
    const request = tracer.start("POST /tasks", "server", CALLER, { "http.route": "/tasks" });
    const publish = tracer.start("publish task.created", "producer", request.context);
    publish.end();
    request.end(undefined, { "http.response.status_code": 201 });
    await tracer.close(5_000);

    expect(request.context).toMatchObject({ traceId: CALLER.traceId, flags: 1, tracestate: "rojo=00f067aa0ba902b7" });
    expect(received.map(({ name, id, parentId, traceId }) => ({ name, id, parentId, traceId }))).toEqual([
      { name: "publish task.created", id: publish.context.spanId, parentId: request.context.spanId, traceId: CALLER.traceId },
      { name: "POST /tasks", id: request.context.spanId, parentId: CALLER.spanId, traceId: CALLER.traceId },
    ]);
    expect(received[1]).toMatchObject({ kind: "SERVER", tags: { "http.route": "/tasks", "http.response.status_code": "201" } });
    expect(Number.isInteger(received[1]!.timestamp)).toBe(true);
  });
});

test("a span the sampler leaves out is only a header: unsampled, and never exported", async () => {
  await withZipkinSink(async (url, received) => {
    const tracer = await startTracing(config(url), logger);
    const unsampled = tracer.start("POST /tasks", "server", { ...CALLER, flags: 0 });
    unsampled.end();
    const off = await startTracing(config(url, { name: "always_off", ratio: 1 }), logger);
    const root = off.start("POST /tasks", "server", undefined);
    root.end();
    await Promise.all([tracer.close(5_000), off.close(5_000)]);

    expect(unsampled.context).toMatchObject({ traceId: CALLER.traceId, flags: 0 });
    expect(root.context.flags).toBe(0);
    expect(received).toEqual([]);
  });
});
