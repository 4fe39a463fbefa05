import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DiskError } from "../errors.ts";
import { openDatabase, type Database } from "../runtime/sqlite.ts";

/**
 * Side effects already done, by key (an event_id, or event_id + step), in an embedded SQLite file. A row is
 * written and synced right after the effect succeeded and before the Kafka commit, so a redelivered event
 * finds it and the effect (an email, a Slack post) is not repeated.
 */
export class ProcessedEvents {
  private readonly db: Database;
  /**
   * Effects done whose row could not be written (the disk is full): remembered here so that the retries
   * of this process do not repeat them. Only a crash before the disk frees up loses this, and then the
   * one effect is repeated.
   */
  private readonly unrecorded = new Map<string, number>();
  private readonly doneAtQuery;
  private readonly insert;
  private readonly prune;

  constructor(private readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path);
    this.db.exec("PRAGMA journal_mode = WAL");
    // FULL: the row must be on disk before the offset commit that makes redelivery impossible to notice.
    this.db.exec("PRAGMA synchronous = FULL");
    this.db.exec("CREATE TABLE IF NOT EXISTS processed (key TEXT PRIMARY KEY, done_at INTEGER NOT NULL) WITHOUT ROWID");
    this.doneAtQuery = this.db.prepare<{ done_at: number }, [string]>("SELECT done_at FROM processed WHERE key = ?");
    this.insert = this.db.prepare<unknown, [string, number]>("INSERT OR IGNORE INTO processed (key, done_at) VALUES (?, ?)");
    this.prune = this.db.prepare<unknown, [number]>("DELETE FROM processed WHERE done_at < ?");
  }

  has(key: string): boolean {
    return this.doneAt(key) !== undefined;
  }

  /** When the effect for `key` was recorded as done. */
  doneAt(key: string): Date | undefined {
    const pending = this.unrecorded.get(key);
    if (pending !== undefined) return new Date(pending);
    const row = this.disk(() => this.doneAtQuery.get(key));
    return row === null ? undefined : new Date(row.done_at);
  }

  /**
   * Runs `effect` unless `key` is recorded; records it once the effect succeeded. `doneAt` is when it was
   * recorded, the same on every later call, so a fact published about the effect can carry it unchanged.
   */
  async once(key: string, effect: () => Promise<void>): Promise<{ outcome: "done" | "skipped"; doneAt: Date }> {
    const pending = this.unrecorded.get(key);
    if (pending !== undefined) {
      this.record(key, pending);
      return { outcome: "skipped", doneAt: new Date(pending) };
    }
    const recorded = this.doneAt(key);
    if (recorded !== undefined) return { outcome: "skipped", doneAt: recorded };
    await effect();
    const doneAt = Date.now();
    this.unrecorded.set(key, doneAt);
    this.record(key, doneAt);
    return { outcome: "done", doneAt: new Date(doneAt) };
  }

  /** Writes the row; throws DiskError (and keeps the key in memory) when the disk refuses it. */
  private record(key: string, doneAt: number): void {
    this.disk(() => this.insert.run(key, doneAt));
    this.unrecorded.delete(key);
  }

  private disk<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw DiskError.from(error, this.path) ?? error;
    }
  }

  /** Forgets keys older than `maxAgeMs`; redelivery happens within retention, so old keys only cost space. */
  pruneOlderThan(maxAgeMs: number): number {
    return this.prune.run(Date.now() - maxAgeMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
