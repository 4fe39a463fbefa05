import { childContext, type TraceContext } from "../events/index.ts";
import type { SampleDecision } from "./sampling.ts";
import { recordedError } from "./span-record.ts";
import type { SpanQueue } from "./span-queue.ts";
import type { Span, SpanAttributes, SpanKindName, Tracer } from "./tracer.ts";

const SAMPLED = 0x01;

/**
 * The Tracer when spans are exported. A span on the request path is its ids, two clock readings and the
 * attributes object its caller built anyway; ending it queues one plain record. The SDK's own spans (attribute
 * cleaning, hrtime arithmetic, the batch processor) and the exporter's encoding cost ~20 µs per POST /tasks on
 * the thread that answers requests; the SDK's exporter now runs in a worker instead (span-queue.ts,
 * export-worker.ts), under the very ids the headers carry.
 */
export function recordingTracer(decide: SampleDecision, queue: SpanQueue): Tracer {
  return {
    exporting: true,
    start(name: string, kind: SpanKindName, parent: TraceContext | undefined, attributes?: SpanAttributes): Span {
      const { traceId, spanId } = childContext(parent);
      const sampled = decide(parent, traceId);
      const flags = sampled ? SAMPLED : 0;
      const context: TraceContext = parent?.tracestate ? { traceId, spanId, flags, tracestate: parent.tracestate } : { traceId, spanId, flags };
      return sampled ? new RecordingSpan(queue, context, name, kind, parent, attributes) : { context, end: nothing };
    },
    close: (budgetMs) => queue.close(budgetMs),
    get droppedSpans() {
      return queue.dropped;
    },
  };
}

const nothing = () => {};

class RecordingSpan implements Span {
  private readonly start = performance.now();
  private ended = false;

  constructor(
    private readonly queue: SpanQueue,
    readonly context: TraceContext,
    private readonly name: string,
    private readonly kind: SpanKindName,
    private readonly parent: TraceContext | undefined,
    private readonly attributes: SpanAttributes | undefined,
  ) {}

  end(error?: unknown, attributes?: SpanAttributes): void {
    // As the SDK's span: the first end counts, later ones change nothing.
    if (this.ended) return;
    this.ended = true;
    const { context, parent } = this;
    this.queue.add({
      name: this.name,
      kind: this.kind,
      traceId: context.traceId,
      spanId: context.spanId,
      parentSpanId: parent?.spanId,
      parentFlags: parent?.flags,
      start: this.start,
      end: performance.now(),
      attributes: this.attributes,
      endAttributes: attributes,
      error: error === undefined ? undefined : recordedError(error),
    });
  }
}
