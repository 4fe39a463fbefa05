import type { Logger } from "./log.ts";

export const OUTAGE_LOG_INTERVAL_MS = 30_000;

export interface OutageSubject {
  /** What is away, as a log field: "broker", "disk". */
  name: string;
  /** The closing line's words: "broker reachable", "disk writable". */
  recovered: string;
}

/**
 * How an outage (the broker away, a disk full) reaches the log: one line when it begins, at most one every
 * 30 s while it lasts, saying for how long, and one when it ends. Whatever reports the failure may call in
 * as often as it fails (librdkafka retries a connection many times a minute) without flooding the log.
 */
export class OutageLog {
  /** When the outage began (ms since epoch); undefined while all is well. */
  since: number | undefined;
  private lastLogged = 0;

  constructor(
    private readonly logger: Logger,
    private readonly subject: OutageSubject,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = OUTAGE_LOG_INTERVAL_MS,
  ) {}

  get active(): boolean {
    return this.since !== undefined;
  }

  /** A failure: logged if it begins an outage, otherwise treated as `still`. */
  began(detail: string): void {
    if (this.since !== undefined) return this.still(detail);
    this.since = this.lastLogged = this.now();
    this.logger.warn({ outage: this.subject.name }, detail);
  }

  /** The outage goes on: logged again once the interval since the last line has passed. */
  still(detail: string): void {
    if (this.since === undefined) return;
    const now = this.now();
    if (now - this.lastLogged < this.intervalMs) return;
    this.lastLogged = now;
    const seconds = Math.round((now - this.since) / 1000);
    this.logger.warn({ outage: this.subject.name, outage_seconds: seconds }, `${detail} (for ${seconds} s)`);
  }

  ended(): void {
    if (this.since === undefined) return;
    const seconds = Math.round((this.now() - this.since) / 1000);
    this.since = undefined;
    this.logger.info({ outage: this.subject.name, outage_seconds: seconds }, `${this.subject.recovered} again after ${seconds} s`);
  }
}
