import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../src/log.ts";
import { listAuditFilesSync } from "./files.ts";
import { TraceIndex } from "./trace-index.ts";

/**
 * Keeps the trace index up with the log as the audit agent writes it. The log is the source of truth and its
 * lines come first: indexing runs after a batch is fsynced and its offsets are on their way, never inside
 * the batch, and a failure to index (a full disk, a locked or damaged index) is logged and left for the next
 * batch, which catches up with everything since. So the index can lag behind the log, never the log behind
 * the index.
 */
export class IndexFollower {
  private index: TraceIndex | undefined;
  private running: Promise<void> | undefined;
  /** The sizes of the files when the last batch was fsynced, not yet indexed up to. */
  private pending: Map<string, number> | undefined;
  private failing = false;
  private readonly stopped = new AbortController();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Indexes the log up to what it holds now, in the background. Called after each fsynced batch (nothing of
   * the log is being written then, so every byte it holds is durable) and once at start.
   */
  follow(): void {
    if (this.stopped.signal.aborted || !existsSync(this.dir)) return;
    // Taken now, not when indexing gets to it: by then the next batch may be half written.
    this.pending = this.durableSizes();
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Stops indexing between two chunks; what is left is caught up at the next start. */
  async close(): Promise<void> {
    this.stopped.abort();
    await this.running;
    this.index?.close();
    this.index = undefined;
  }

  private async run(): Promise<void> {
    while (this.pending && !this.stopped.signal.aborted) {
      const durable = this.pending;
      this.pending = undefined;
      try {
        this.index ??= TraceIndex.open(this.dir);
        const started = performance.now();
        const { indexed } = await this.index.catchUp({ durable, signal: this.stopped.signal });
        if (indexed > 5_000) this.logger.info({ lines: indexed, ms: Math.round(performance.now() - started) }, "trace index caught up with the audit log");
        if (this.failing) this.logger.info("trace index writable again; caught up");
        this.failing = false;
      } catch (error) {
        // Once per outage: a full disk would otherwise log this for every batch.
        if (!this.failing) this.logger.warn({ err: error }, "trace index not updated; the audit log is unaffected and the index catches up later");
        this.failing = true;
        this.index?.close();
        this.index = undefined;
      }
    }
  }

  private durableSizes(): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const name of listAuditFilesSync(this.dir)) {
      const path = join(this.dir, name);
      if (existsSync(path)) sizes.set(name, statSync(path).size);
    }
    return sizes;
  }
}
