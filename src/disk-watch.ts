import { DiskError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { OutageLog } from "./outage-log.ts";

/**
 * Watches the writes to one local file (an SQLite store): turns the disk's refusals into DiskError, keeps
 * the latest for /readyz until a write succeeds again, and logs the outage at the usual cadence.
 */
export class DiskWatch {
  private failure: DiskError | undefined;
  private readonly outage: OutageLog;

  constructor(
    private readonly path: string,
    logger: Logger,
  ) {
    this.outage = new OutageLog(logger, { name: "disk", recovered: "disk writable" });
  }

  /** The readiness check: what the disk refused, or undefined. */
  problem(): string | undefined {
    return this.failure && `disk full or failing: ${this.failure.message}`;
  }

  /** Runs a write; a disk error comes out as DiskError, anything else unchanged. */
  run<T>(write: () => T): T {
    let result: T;
    try {
      result = write();
    } catch (error) {
      const disk = DiskError.from(error, this.path);
      if (!disk) throw error;
      this.failure = disk;
      this.outage.began(this.problem()!);
      throw disk;
    }
    if (this.failure) {
      this.failure = undefined;
      this.outage.ended();
    }
    return result;
  }
}
