import { childContext, type TraceContext } from "../events/index.ts";

export type SpanKindName = "server" | "client" | "producer" | "consumer" | "internal";
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** A span begun: its context goes into headers at once, `end` records it (when exporting). */
export interface Span {
  readonly context: TraceContext;
  /** An error marks the span failed; attributes add what was only known at the end (a status code). */
  end(error?: unknown, attributes?: SpanAttributes): void;
}

/**
 * What the code that makes spans sees. Without an exporter it is HEADERS_ONLY: a span is only a fresh span id
 * in its parent's trace, for the next header, and nothing is kept. With one, each span is recorded here and the
 * OpenTelemetry SDK's exporter (loaded only then, in a worker: see start-tracing.ts) sends it under the same ids
 * the headers carry.
 */
export interface Tracer {
  /** Whether spans are recorded: code that would only make spans for export skips the work when not. */
  readonly exporting: boolean;
  start(name: string, kind: SpanKindName, parent: TraceContext | undefined, attributes?: SpanAttributes): Span;
  /** Exports what is still buffered; resolves within `budgetMs` whatever the backend does. */
  close(budgetMs: number): Promise<void>;
  /** Spans ended but never handed to the exporter, because its queue was full (a slow or absent backend). */
  readonly droppedSpans: number;
}

const nothing = () => {};

export const HEADERS_ONLY: Tracer = {
  exporting: false,
  start: (_name, _kind, parent) => ({ context: childContext(parent), end: nothing }),
  close: async () => {},
  droppedSpans: 0,
};
