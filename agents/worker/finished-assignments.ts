import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DiskWatch } from "../../src/disk-watch.ts";
import type { EventEnvelope } from "../../src/events/index.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { openDatabase, type Database } from "../../src/runtime/sqlite.ts";

/** Kept this long: redelivery happens within the topics' retention, seven days by default. */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The assignments this worker finished, by assignment event id, with the facts it reported (accepted, then
 * completed or failed). A redelivered assignment found here is not run again: its facts are published again,
 * the same events, which consumers deduplicate. Written before the facts are published.
 * A row the disk refuses is kept in memory, so this process's retries do not run the task again either.
 */
export class FinishedAssignments {
  private readonly db: Database;
  private readonly select;
  private readonly insert;
  private readonly prune;
  private readonly insertAll: (rows: ReadonlyArray<readonly [string, string, number]>) => void;
  private readonly disk: DiskWatch;
  private readonly unrecorded = new Map<string, EventEnvelope[]>();

  constructor(private readonly path: string, logger: Logger = silentLogger) {
    this.disk = new DiskWatch(path, logger);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path);
    this.db.exec("PRAGMA journal_mode = WAL");
    // NORMAL, not FULL: a row survives the process dying (it is in the OS's cache); only a machine crash can
    // lose the last ones, and then the task runs again, which a worker's effects allow (at least once). An
    // fsync per task cost more than the task itself at thousands a second.
    this.db.exec("PRAGMA synchronous = NORMAL");
    // A rowid table with the key in an index of its own: rows of a kilobyte in a WITHOUT ROWID b-tree made
    // every insert and lookup several times dearer (few rows per page).
    this.db.exec("CREATE TABLE IF NOT EXISTS finished_facts (key TEXT NOT NULL UNIQUE, facts TEXT NOT NULL, done_at INTEGER NOT NULL)");
    this.db.exec("CREATE INDEX IF NOT EXISTS finished_facts_done_at ON finished_facts (done_at)");
    this.select = this.db.prepare<{ facts: string }, [string]>("SELECT facts FROM finished_facts WHERE key = ?");
    this.insert = this.db.prepare<unknown, [string, string, number]>(
      "INSERT OR REPLACE INTO finished_facts (key, facts, done_at) VALUES (?, ?, ?)",
    );
    this.prune = this.db.prepare<unknown, [number]>("DELETE FROM finished_facts WHERE done_at < ?");
    this.insertAll = this.db.transaction((rows: ReadonlyArray<readonly [string, string, number]>) => {
      for (const [key, facts, doneAt] of rows) this.insert.run(key, facts, doneAt);
    });
    this.disk.run(() => this.prune.run(Date.now() - KEEP_MS));
  }

  /** What the disk refused last, for readiness. */
  problem(): string | undefined {
    return this.disk.problem();
  }

  /** The facts reported for a finished assignment, or undefined if it was not finished here. */
  get(key: string): EventEnvelope[] | undefined {
    const pending = this.unrecorded.get(key);
    if (pending) return pending;
    const row = this.disk.run(() => this.select.get(key));
    return row ? (JSON.parse(row.facts) as EventEnvelope[]) : undefined;
  }

  /**
   * Records the facts: resolves once the row is written, rejects with DiskError when the disk refuses it (the
   * facts then stay in memory for this process). Rows asked for in the same turn of the event loop are
   * written in one transaction: a transaction per task cost more than the task at thousands a second.
   */
  record(key: string, facts: EventEnvelope[]): Promise<void> {
    this.unrecorded.set(key, facts);
    return new Promise((resolve, reject) => {
      this.batch.push({ key, facts, resolve, reject });
      if (this.batch.length === 1) setImmediate(this.writeBatch);
    });
  }

  private readonly batch: Array<{ key: string; facts: EventEnvelope[]; resolve(): void; reject(error: unknown): void }> = [];

  private readonly writeBatch = (): void => {
    const rows = this.batch.splice(0);
    const now = Date.now();
    try {
      this.disk.run(() => this.insertAll(rows.map(({ key, facts }) => [key, JSON.stringify(facts), now] as const)));
    } catch (error) {
      for (const row of rows) row.reject(error);
      return;
    }
    for (const row of rows) {
      this.unrecorded.delete(row.key);
      row.resolve();
    }
  };

  close(): void {
    this.db.close();
  }
}
