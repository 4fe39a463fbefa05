import { expect, test } from "bun:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { recordedError, type SpanRecord } from "./span-record.ts";
import { spanReplay } from "./span-replay.ts";
import type { TracingConfig } from "./tracing-config.ts";

const CONFIG: TracingConfig & { export: { kind: "zipkin"; url: string } } = {
  export: { kind: "zipkin", url: "http://127.0.0.1:9/api/v2/spans" },
  serviceName: "agent-events-api",
  resourceAttributes: { "deployment.environment.name": "test" },
  sampler: { name: "parentbased_always_on", ratio: 1 },
};
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

async function replayed(records: SpanRecord[], epochAtZero = 1_700_000_000_000) {
  const exported: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export(spans, done) {
      exported.push(...spans);
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  const replay = spanReplay(CONFIG, "1.2.3", exporter);
  // Through JSON, as the records cross to the worker.
  replay.replay(JSON.parse(JSON.stringify(records)) as SpanRecord[], epochAtZero);
  await replay.shutdown();
  return exported;
}

test("a record becomes the SDK's span under the record's ids, parent, name, kind and attributes", async () => {
  const [span] = await replayed([
    {
      name: "publish task.created",
      kind: "producer",
      traceId: TRACE,
      spanId: "00f067aa0ba902b7",
      parentSpanId: "b7ad6b7169203331",
      parentFlags: 1,
      start: 10.25,
      end: 12.5,
      attributes: { "messaging.system": "kafka", task_id: undefined },
      endAttributes: { "http.response.status_code": 201 },
    },
  ]);
  expect(span!.spanContext()).toMatchObject({ traceId: TRACE, spanId: "00f067aa0ba902b7", traceFlags: 1 });
  expect(span!.parentSpanContext).toMatchObject({ traceId: TRACE, spanId: "b7ad6b7169203331", isRemote: true });
  expect(span!.name).toBe("publish task.created");
  expect(span!.kind).toBe(SpanKind.PRODUCER);
  expect(span!.attributes).toEqual({ "messaging.system": "kafka", "http.response.status_code": 201 });
  expect(span!.resource.attributes).toMatchObject({ "service.name": "agent-events-api", "service.version": "1.2.3", "deployment.environment.name": "test" });
  expect(span!.instrumentationScope).toMatchObject({ name: "agent-events", version: "1.2.3" });
});

test("times are the wall clock of the recording thread, in whole microseconds", async () => {
  const [span] = await replayed([{ name: "x", kind: "server", traceId: TRACE, spanId: "00f067aa0ba902b7", start: 10.2504, end: 12.5 }], 1_700_000_000_000.5);
  expect(span!.startTime).toEqual([1_700_000_000, 10_751_000]);
  expect(span!.endTime).toEqual([1_700_000_000, 13_000_000]);
  expect(span!.parentSpanContext).toBeUndefined();
});

test("an error marks the span failed and is recorded as the SDK records an exception", async () => {
  const error = Object.assign(new Error("broker down"), { code: -195 });
  const [failed, refused] = await replayed([
    { name: "a", kind: "producer", traceId: TRACE, spanId: "00000000000000a1", start: 1, end: 2, error: recordedError(error) },
    { name: "b", kind: "server", traceId: TRACE, spanId: "00000000000000b1", start: 1, end: 2, error: recordedError("HTTP 503") },
  ]);
  expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: "broker down" });
  expect(failed!.events[0]!.attributes).toMatchObject({ "exception.type": "-195", "exception.message": "broker down" });
  expect(refused!.status).toEqual({ code: SpanStatusCode.ERROR, message: "HTTP 503" });
  expect(refused!.events[0]!.attributes).toEqual({ "exception.message": "HTTP 503" });
});
