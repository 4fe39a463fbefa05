import type { Logger } from "../log.ts";
import { HEADERS_ONLY, type Tracer } from "./tracer.ts";
import type { TracingConfig } from "./tracing-config.ts";

/**
 * The process's Tracer. Without an exporter configured the SDK is not even loaded: the import below is
 * dynamic so that a process that exports nothing does not evaluate a line of it.
 */
export async function startTracing(config: TracingConfig, logger: Logger): Promise<Tracer> {
  if (!config.export) return HEADERS_ONLY;
  const { createOtelTracer } = await import("./otel-tracer.ts");
  const tracer = await createOtelTracer({ ...config, export: config.export });
  logger.info({ exporter: config.export.kind, url: config.export.url, service: config.serviceName }, "exporting spans");
  return tracer;
}
