import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Side effects already done, by key (an event_id, or event_id + step), in an embedded SQLite file. A row is
 * written and synced right after the effect succeeded and before the Kafka commit, so a redelivered event
 * finds it and the effect (an email, a Slack post) is not repeated.
 */
export class ProcessedEvents {
  private readonly db: Database;
  private readonly doneAtQuery;
  private readonly insert;
  private readonly prune;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { create: true, strict: true });
    this.db.run("PRAGMA journal_mode = WAL");
    // FULL: the row must be on disk before the offset commit that makes redelivery impossible to notice.
    this.db.run("PRAGMA synchronous = FULL");
    this.db.run("CREATE TABLE IF NOT EXISTS processed (key TEXT PRIMARY KEY, done_at INTEGER NOT NULL) WITHOUT ROWID");
    this.doneAtQuery = this.db.query<{ done_at: number }, [string]>("SELECT done_at FROM processed WHERE key = ?");
    this.insert = this.db.query("INSERT OR IGNORE INTO processed (key, done_at) VALUES (?, ?)");
    this.prune = this.db.query("DELETE FROM processed WHERE done_at < ?");
  }

  has(key: string): boolean {
    return this.doneAt(key) !== undefined;
  }

  /** When the effect for `key` was recorded as done. */
  doneAt(key: string): Date | undefined {
    const row = this.doneAtQuery.get(key);
    return row === null ? undefined : new Date(row.done_at);
  }

  /**
   * Runs `effect` unless `key` is recorded; records it once the effect succeeded. `doneAt` is when it was
   * recorded, the same on every later call, so a fact published about the effect can carry it unchanged.
   */
  async once(key: string, effect: () => Promise<void>): Promise<{ outcome: "done" | "skipped"; doneAt: Date }> {
    const recorded = this.doneAt(key);
    if (recorded !== undefined) return { outcome: "skipped", doneAt: recorded };
    await effect();
    const doneAt = new Date();
    this.insert.run(key, doneAt.getTime());
    return { outcome: "done", doneAt };
  }

  /** Forgets keys older than `maxAgeMs`; redelivery happens within retention, so old keys only cost space. */
  pruneOlderThan(maxAgeMs: number): number {
    return this.prune.run(Date.now() - maxAgeMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
