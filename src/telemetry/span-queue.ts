import { abortableSleep } from "../transport/abortable-sleep.ts";
import type { FromExportWorker, ToExportWorker } from "./export-protocol.ts";
import type { SpanRecord } from "./span-record.ts";

/** What the queue needs of the worker (a fake in tests). */
/** A Worker, as much as the queue uses. Deno's workers have no unref; there main.ts's process.exit ends them. */
export type ExportPort = Pick<Worker, "postMessage" | "addEventListener" | "terminate"> & { unref?(): void };

export interface SpanQueueOptions {
  /** Spans held at most between ending and the worker's taking them; more are dropped and counted. */
  maxQueued: number;
  /** Spans per message to the worker. */
  batchSize: number;
  /** A batch not yet full goes to the worker after this long. */
  flushMs: number;
  onError: (error: unknown) => void;
}

/**
 * Ended spans on their way to the export worker, in batches of hundreds: one JSON.stringify and one postMessage
 * per batch rather than per span. Bounded like the SDK's BatchSpanProcessor: what is queued here plus what was
 * posted and not yet taken by the worker stays under `maxQueued`, so a worker that stalls (a slow backend
 * starving it of CPU, or one that failed to load) costs dropped spans, counted, never memory or a request's time.
 * Not the SDK's processor itself: it queues the SDK's span objects, and making those is the cost kept off this thread.
 */
export class SpanQueue {
  private batch: SpanRecord[] = [];
  private posted = 0;
  private closing: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private droppedHere = 0;
  private droppedByWorker = 0;

  constructor(
    private readonly worker: ExportPort,
    private readonly options: SpanQueueOptions,
  ) {
    worker.addEventListener("message", (event: MessageEvent<FromExportWorker>) => {
      if (event.data.kind === "closed") return this.onClosed?.();
      this.posted -= event.data.count;
      this.droppedByWorker = event.data.dropped;
    });
    worker.addEventListener("error", (event) => options.onError((event as ErrorEvent).error ?? (event as ErrorEvent).message));
    // Neither the worker nor the timer keeps a process alive that has nothing else to do.
    worker.unref?.();
    this.timer = setInterval(() => this.flush(), options.flushMs);
    this.timer.unref();
  }

  add(record: SpanRecord): void {
    if (this.closing || this.batch.length + this.posted >= this.options.maxQueued) {
      this.droppedHere++;
      return;
    }
    this.batch.push(record);
    if (this.batch.length >= this.options.batchSize) this.flush();
  }

  /** Spans dropped here, and by the worker when its exports fell behind. */
  get dropped(): number {
    return this.droppedHere + this.droppedByWorker;
  }

  /** Hands what is queued to the worker. */
  flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.posted += batch.length;
    this.post({ kind: "spans", json: JSON.stringify(batch), count: batch.length, epochAtZero: Date.now() - performance.now() });
  }

  /** Flushes, lets the worker export all it holds, and stops it: within `budgetMs` whatever the backend does. */
  close(budgetMs: number): Promise<void> {
    this.closing ??= this.stop(budgetMs);
    return this.closing;
  }

  private async stop(budgetMs: number): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
    this.post({ kind: "close" });
    await Promise.race([closed, abortableSleep(budgetMs)]);
    this.worker.terminate();
  }

  private post(message: ToExportWorker): void {
    this.worker.postMessage(message);
  }
}
