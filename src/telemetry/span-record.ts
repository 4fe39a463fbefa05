import type { SpanAttributes, SpanKindName } from "./tracer.ts";

/**
 * A finished span as the request path records it: plain data that crosses to the export worker as JSON.
 * The main thread knows everything a span is (ids, parent, times, attributes) when it ends; the OpenTelemetry
 * SDK's exporter turns it into a payload and sends it from the worker (export-worker.ts), off the thread that
 * answers requests.
 */
export interface SpanRecord {
  name: string;
  kind: SpanKindName;
  traceId: string;
  spanId: string;
  /** The parent's span id and trace flags, absent for the root of a new trace. */
  parentSpanId?: string;
  parentFlags?: number;
  /** `performance.now()` of the recording thread; the worker adds that thread's time origin. */
  start: number;
  end: number;
  attributes?: SpanAttributes;
  /** Attributes only known at the end (a status code), set after the start's, as the SDK's setAttributes would. */
  endAttributes?: SpanAttributes;
  error?: RecordedError;
}

/** What `recordException` and `setStatus` need of an error, taken on the recording thread. */
export interface RecordedError {
  exception: string | { code?: string; name: string; message: string; stack?: string };
  message: string;
}

export function recordedError(error: unknown): RecordedError {
  if (!(error instanceof Error)) return { exception: String(error), message: String(error) };
  const { code } = error as { code?: unknown };
  return {
    // The SDK names the exception by its `code` when it has one, else by its `name`: kept for the worker.
    exception: { code: code ? String(code) : undefined, name: error.name, message: error.message, stack: error.stack },
    message: error.message,
  };
}
