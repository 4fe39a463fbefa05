import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { TraceContext } from "../events/index.ts";
import packageJson from "../../package.json" with { type: "json" };
import type { SpanExport, TracingConfig } from "./tracing-config.ts";
import type { Span, SpanAttributes, SpanKindName, Tracer } from "./tracer.ts";

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

/**
 * The OpenTelemetry SDK behind our Tracer. Loaded only by a dynamic import when an exporter is configured.
 * Our parents arrive as plain TraceContexts (from a header or a map beside an event), so each span is started
 * under a context made from its parent rather than from an active-span context manager: the consume loops
 * and the orchestrator's batches interleave many events on one async path, where an "active span" would lie.
 */
export async function createOtelTracer(config: TracingConfig & { export: SpanExport }): Promise<Tracer> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: packageJson.version,
    }),
    sampler: samplerOf(config.sampler),
    // Spans leave in batches from a bounded queue: a slow or absent backend drops spans, never slows a request.
    spanProcessors: [new BatchSpanProcessor({ exporter: await exporterOf(config.export), maxQueueSize: 8192, maxExportBatchSize: 512 })],
  });
  const tracer = provider.getTracer("agent-events", packageJson.version);
  return {
    exporting: true,
    start(name: string, kind: SpanKindName, parent: TraceContext | undefined, attributes?: SpanAttributes): Span {
      const context = parent
        ? trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags, isRemote: true })
        : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: KINDS[kind], attributes: attributes as Attributes }, context);
      const ids = span.spanContext();
      const tracestate = parent?.tracestate;
      return {
        context: { traceId: ids.traceId, spanId: ids.spanId, flags: ids.traceFlags, ...(tracestate ? { tracestate } : {}) },
        end(error?: unknown, attributes?: SpanAttributes) {
          if (attributes) span.setAttributes(attributes as Attributes);
          if (error !== undefined) {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          }
          span.end();
        },
      };
    },
    async close(budgetMs: number) {
      await Promise.race([provider.shutdown().catch(() => {}), Bun.sleep(budgetMs)]);
    },
  };
}

async function exporterOf(target: SpanExport): Promise<SpanExporter> {
  if (target.kind === "zipkin") {
    const { ZipkinExporter } = await import("@opentelemetry/exporter-zipkin");
    return new ZipkinExporter({ url: target.url });
  }
  const options = { url: target.url, headers: target.headers };
  if (target.protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter(options);
}

function samplerOf({ name, ratio }: TracingConfig["sampler"]): Sampler {
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio);
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}
