import { DiskError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { OutageLog } from "../outage-log.ts";

/**
 * Why a consume loop cannot finish its batch, while it keeps trying: for /readyz and for the log, which
 * gets a line when the stall begins, one every 30 s while it lasts and one when it ends, however often the
 * batch is tried meanwhile.
 */
export class Stall {
  private reason: string | undefined;
  private log: OutageLog | undefined;

  constructor(private readonly logger: Logger) {}

  /** What is in the way, for readiness; undefined while batches finish. */
  get problem(): string | undefined {
    return this.reason;
  }

  failed(error: unknown): void {
    const disk = error instanceof DiskError;
    this.reason = disk ? `disk full or failing: ${error.message}` : `batch cannot be finished: ${describe(error)}`;
    this.log ??= new OutageLog(
      this.logger.child({ err: error }),
      disk ? { name: "disk", recovered: "disk writable" } : { name: "batch", recovered: "batches finishing" },
    );
    this.log.began(`${this.reason}; the batch is kept uncommitted and tried again`);
  }

  cleared(): void {
    this.reason = undefined;
    this.log?.ended();
    this.log = undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
