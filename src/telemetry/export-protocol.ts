import type { SpanExport, TracingConfig } from "./tracing-config.ts";

/** The messages between the span queue (main thread) and the export worker. */
export type ToExportWorker =
  | { kind: "start"; config: TracingConfig & { export: SpanExport }; version: string }
  /**
   * A batch of SpanRecords as one JSON text: structured cloning an array of objects cost the sending thread about
   * three times as much per span as JSON.stringify. `epochAtZero` is the wall clock at `performance.now()` 0 as
   * of this batch: the SDK's spans likewise anchor to `Date.now()` so that a long-running process keeps wall time.
   */
  | { kind: "spans"; json: string; count: number; epochAtZero: number }
  | { kind: "close" };

/** `taken` acknowledges a batch; `dropped` is how many spans the worker has dropped in all. */
export type FromExportWorker = { kind: "taken"; count: number; dropped: number } | { kind: "closed" };
