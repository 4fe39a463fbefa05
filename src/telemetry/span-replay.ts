import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from "@opentelemetry/api";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import { OTLPTraceExporter as OtlpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OtlpProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter, TimedEvent } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { RecordedError, SpanRecord } from "./span-record.ts";
import type { SpanExport, TracingConfig } from "./tracing-config.ts";
import type { SpanAttributes, SpanKindName } from "./tracer.ts";

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};
const SAMPLED = 0x01;
/** Spans handed to the exporter and not yet answered for, at most: past it a batch is dropped and counted. */
const MAX_EXPORTING = 8192;

export interface SpanReplay {
  /** The records, as the SDK's finished spans, to the SDK's exporter: one export per batch. */
  replay(records: readonly SpanRecord[], epochAtZero: number): void;
  /** Waits for the exports under way and stops the exporter. */
  shutdown(): Promise<void>;
  readonly dropped: number;
}

/**
 * The OpenTelemetry SDK's exporter (Zipkin, OTLP over protobuf or JSON), run in the export worker over spans
 * recorded elsewhere. Each record becomes the SDK's ReadableSpan, the finished span its exporters take, and a
 * batch from the recording thread is one export. The SDK's live span and BatchSpanProcessor are not used: the
 * record is already finished and already batched, and starting and ending an SDK span per record (attribute
 * cleaning, sampling, clock anchoring, the processor's queue) cost more than the export itself. What they would
 * add to a record is written out below: the resource, the scope, the status and the exception event. (The SDK
 * has no public way to make a finished span from data: its span class is internal, and only its Tracer starts one.)
 */
export function spanReplay(config: TracingConfig & { export: SpanExport }, version: string, exporter = exporterOf(config.export)): SpanReplay {
  const resource = resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version });
  const scope = { name: "agent-events", version };
  const exports = new Set<Promise<void>>();
  let exporting = 0;
  let dropped = 0;
  return {
    replay(records, epochAtZero) {
      // A slow or absent backend drops spans here, as the SDK's BatchSpanProcessor would, never grows memory.
      if (exporting + records.length > MAX_EXPORTING) {
        dropped += records.length;
        return;
      }
      const spans = records.map((record) => readableSpan(record, epochAtZero, resource, scope));
      exporting += spans.length;
      const done = new Promise<void>((resolve) => exporter.export(spans, () => resolve()));
      exports.add(done);
      void done.then(() => {
        exporting -= spans.length;
        exports.delete(done);
      });
    },
    async shutdown() {
      await Promise.all(exports);
      await exporter.shutdown();
    },
    get dropped() {
      return dropped;
    },
  };
}

function readableSpan(record: SpanRecord, epochAtZero: number, resource: Resource, scope: { name: string; version: string }): ReadableSpan {
  const { traceId, spanId, parentSpanId, error } = record;
  const start = wholeMicroseconds(epochAtZero + record.start);
  const end = wholeMicroseconds(epochAtZero + record.end);
  const endTime = hrTime(end);
  const events: TimedEvent[] = error ? [{ name: "exception", attributes: exceptionAttributes(error), time: endTime, droppedAttributesCount: 0 }] : [];
  return {
    name: record.name,
    kind: KINDS[record.kind],
    spanContext: () => ({ traceId, spanId, traceFlags: SAMPLED }),
    // Remote, as every parent is: a header, or a map beside an event.
    parentSpanContext: parentSpanId ? { traceId, spanId: parentSpanId, traceFlags: record.parentFlags ?? 0, isRemote: true } : undefined,
    startTime: hrTime(start),
    endTime,
    duration: hrTime(end - start),
    status: error ? { code: SpanStatusCode.ERROR, message: error.message } : { code: SpanStatusCode.UNSET },
    attributes: { ...definedOnly(record.attributes), ...definedOnly(record.endAttributes) },
    links: [],
    events,
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** An attribute set to undefined is not set, as the SDK's span has it. */
function definedOnly(attributes: SpanAttributes | undefined): Attributes {
  const defined: Attributes = {};
  for (const key in attributes) if (attributes[key] !== undefined) defined[key] = attributes[key];
  return defined;
}

/** The attributes of the SDK's `recordException`: its type is the error's `code` if it has one, else its name. */
function exceptionAttributes({ exception }: RecordedError): Attributes {
  if (typeof exception === "string") return { "exception.message": exception };
  const attributes: Attributes = {};
  const type = exception.code || exception.name;
  if (type) attributes["exception.type"] = type;
  if (exception.message) attributes["exception.message"] = exception.message;
  if (exception.stack) attributes["exception.stacktrace"] = exception.stack;
  return attributes;
}

/**
 * Times in whole microseconds, as the SDK's own spans have (their start is `Date.now()`): the Zipkin exporter
 * writes microseconds as they come, and Zipkin refuses a batch whose timestamp has a fraction. The HrTime is
 * built from the integer so that no rounding of a fraction of a second leaves stray nanoseconds.
 */
function wholeMicroseconds(epochMs: number): number {
  return Math.round(epochMs * 1000);
}

function hrTime(micros: number): HrTime {
  return [Math.floor(micros / 1e6), (micros % 1e6) * 1000];
}

function exporterOf(target: SpanExport): SpanExporter {
  if (target.kind === "zipkin") return new ZipkinExporter({ url: target.url });
  const options = { url: target.url, headers: target.headers };
  return target.protocol === "http/json" ? new OtlpJsonExporter(options) : new OtlpProtoExporter(options);
}
