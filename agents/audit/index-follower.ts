import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../src/log.ts";
import { workerEntryUrl } from "../../src/process/worker-entry.ts";
import { listAuditFilesSync } from "./files.ts";
import type { FromIndexWorker, ToIndexWorker } from "./index-protocol.ts";

/** How long a stop waits for the worker to finish the chunk in hand; what is left is caught up at the next start. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Keeps the trace index up with the log as the audit agent writes it, from a worker thread (index-worker.ts).
 * The log is the source of truth and its lines come first: indexing is asked for after a batch is fsynced,
 * never inside the batch, and a failure to index (a full disk, a locked or damaged index) is logged and left
 * for the next batch, which catches up with everything since. So the index can lag behind the log, never
 * the log behind the index.
 */
export class IndexFollower {
  private worker: Worker | undefined;
  /** Messages for the worker until it says it is ready (index-worker.ts says why). */
  private unsent: ToIndexWorker[] | undefined;
  private closed: Promise<void> | undefined;
  private whenClosed: (() => void) | undefined;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Has the log indexed up to what it holds now, in the background. Called after each fsynced batch (nothing
   * of the log is being written then, so every byte it holds is durable) and once at start.
   */
  follow(): void {
    if (this.closed || !existsSync(this.dir)) return;
    // Taken now, not when indexing gets to it: by then the next batch may be half written.
    this.send({ kind: "follow", durable: [...this.durableSizes()] });
  }

  /** Stops indexing between two chunks; what is left is caught up at the next start. */
  close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return (this.closed ??= Promise.resolve());
    this.closed ??= new Promise<void>((resolve) => {
      this.whenClosed = resolve;
      this.send({ kind: "close" });
      setTimeout(resolve, CLOSE_TIMEOUT_MS).unref();
    }).finally(() => worker.terminate());
    return this.closed;
  }

  private send(message: ToIndexWorker): void {
    if (!this.worker) {
      // A module worker: the only kind Deno runs.
      const entry = workerEntryUrl(new URL("./index-worker.ts", import.meta.url), "agents/audit/index-worker.js");
      this.worker = new Worker(entry, { type: "module" });
      // The index is a convenience beside the log: it must never keep a stopped process alive. (Deno's workers
      // have no unref; there main.ts's process.exit ends them.)
      this.worker.unref?.();
      this.worker.addEventListener("message", (event: MessageEvent<FromIndexWorker>) => this.heard(event.data));
      this.worker.addEventListener("error", (event) => this.logger.warn({ reason: event.message }, "trace index worker failed; the audit log is unaffected"));
      this.unsent = [{ kind: "start", dir: this.dir }];
    }
    if (!this.unsent) return this.worker.postMessage(message);
    // The worker indexes up to the latest sizes it was sent: an earlier follow still waiting adds nothing.
    if (message.kind === "follow") this.unsent = this.unsent.filter((waiting) => waiting.kind !== "follow");
    this.unsent.push(message);
  }

  private heard(message: FromIndexWorker): void {
    if (message.kind === "ready") {
      for (const waiting of this.unsent?.splice(0) ?? []) this.worker?.postMessage(waiting);
      this.unsent = undefined;
    } else if (message.kind === "closed") this.whenClosed?.();
    else this.logger[message.level](message.fields, message.msg);
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
