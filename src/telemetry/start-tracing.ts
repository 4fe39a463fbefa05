import type { Logger } from "../log.ts";
import { workerEntryUrl } from "../process/worker-entry.ts";
import packageJson from "../../package.json" with { type: "json" };
import type { ToExportWorker } from "./export-protocol.ts";
import { HEADERS_ONLY, type Tracer } from "./tracer.ts";
import type { TracingConfig } from "./tracing-config.ts";

/** Like the SDK's BatchSpanProcessor's queue, in front of the worker's own. */
const MAX_QUEUED = 8192;
const BATCH_SIZE = 512;
const FLUSH_MS = 200;

/**
 * The process's Tracer. Without an exporter configured nothing of the SDK is loaded: the imports below are
 * dynamic so that a process that exports nothing does not evaluate a line of them. With one, spans are
 * recorded on this thread and exported by the SDK in a worker.
 */
export async function startTracing(config: TracingConfig, logger: Logger): Promise<Tracer> {
  const target = config.export;
  if (!target) return HEADERS_ONLY;
  const [{ recordingTracer }, { sampleDecision }, { SpanQueue }] = await Promise.all([
    import("./recording-tracer.ts"),
    import("./sampling.ts"),
    import("./span-queue.ts"),
  ]);
  // A module worker: the only kind Deno runs.
  const entry = workerEntryUrl(new URL("./export-worker.ts", import.meta.url), "src/telemetry/export-worker.js");
  const worker = new Worker(entry, { type: "module" });
  const start: ToExportWorker = { kind: "start", config: { ...config, export: target }, version: packageJson.version };
  worker.postMessage(start);
  const queue = new SpanQueue(worker, {
    maxQueued: MAX_QUEUED,
    batchSize: BATCH_SIZE,
    flushMs: FLUSH_MS,
    onError: (error) => logger.error({ err: error }, "the span export worker failed; spans are dropped"),
  });
  logger.info({ exporter: target.kind, url: target.url, service: config.serviceName }, "exporting spans");
  return recordingTracer(sampleDecision(config.sampler), queue);
}
