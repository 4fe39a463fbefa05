import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DiskWatch } from "../../src/disk-watch.ts";
import type { EventEnvelope } from "../../src/events/index.ts";
import { silentLogger, type Logger } from "../../src/log.ts";

/** Kept this long: redelivery happens within the topics' retention, seven days by default. */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The assignments this worker finished, by assignment event id, with the facts it reported (accepted, then
 * completed or failed). A redelivered assignment found here is not run again: its facts are published again,
 * the same events, which consumers deduplicate. Written before the facts are published, synchronous=FULL.
 * A row the disk refuses is kept in memory, so this process's retries do not run the task again either.
 */
export class FinishedAssignments {
  private readonly db: Database;
  private readonly select;
  private readonly insert;
  private readonly prune;
  private readonly disk: DiskWatch;
  private readonly unrecorded = new Map<string, EventEnvelope[]>();

  constructor(private readonly path: string, logger: Logger = silentLogger) {
    this.disk = new DiskWatch(path, logger);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { create: true, strict: true });
    this.db.run("PRAGMA journal_mode = WAL");
    this.db.run("PRAGMA synchronous = FULL");
    this.db.run("CREATE TABLE IF NOT EXISTS finished (key TEXT PRIMARY KEY, facts TEXT NOT NULL, done_at INTEGER NOT NULL) WITHOUT ROWID");
    this.select = this.db.query<{ facts: string }, [string]>("SELECT facts FROM finished WHERE key = ?");
    this.insert = this.db.query("INSERT OR REPLACE INTO finished (key, facts, done_at) VALUES (?, ?, ?)");
    this.prune = this.db.query("DELETE FROM finished WHERE done_at < ?");
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

  /** Records the facts; a DiskError leaves them in memory for this process and is thrown. */
  record(key: string, facts: EventEnvelope[]): void {
    this.unrecorded.set(key, facts);
    this.flush(key);
  }

  /** Writes a row the disk refused before; throws DiskError while it still refuses. */
  flush(key: string): void {
    const facts = this.unrecorded.get(key);
    if (!facts) return;
    this.disk.run(() => this.insert.run(key, JSON.stringify(facts), Date.now()));
    this.unrecorded.delete(key);
  }

  close(): void {
    this.db.close();
  }
}
