import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DiskWatch } from "../disk-watch.ts";
import { silentLogger, type Logger } from "../log.ts";
import { openDatabase, type Database } from "../runtime/sqlite.ts";

export interface StoredAnswer {
  status: number;
  body: string;
}

export type Reservation =
  | { kind: "new" }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "conflict" }
  | { kind: "in-progress" };

const TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A reservation never completed nor released this long after it was made was left by a request that cannot
 * be waiting any more (a crash, a full disk at the wrong moment): a retry takes it over.
 */
const ABANDONED_AFTER_MS = 5 * 60 * 1000;

/**
 * Idempotency-Key bookkeeping in an embedded SQLite file: a key is reserved before the event is published,
 * completed with the answer after, and released if publishing failed so the client's retry can go ahead.
 * Keys are kept 24 hours.
 */
export class IdempotencyStore {
  private readonly db: Database;
  private readonly selectQuery;
  private readonly insertQuery;
  private readonly completeQuery;
  private readonly removeQuery;
  private readonly expireQuery;
  private readonly disk: DiskWatch;

  constructor(path: string, private readonly now: () => number = Date.now, logger: Logger = silentLogger) {
    this.disk = new DiskWatch(path, logger);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path);
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, status INTEGER, body TEXT, created_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.selectQuery = this.db.prepare<{ body_hash: string; status: number | null; body: string | null; created_at: number }, [string]>(
      "SELECT body_hash, status, body, created_at FROM idempotency WHERE key = ?",
    );
    this.insertQuery = this.db.prepare<unknown, [string, string, number]>(
      "INSERT OR REPLACE INTO idempotency (key, body_hash, created_at) VALUES (?, ?, ?)",
    );
    this.completeQuery = this.db.prepare<unknown, [number, string, string]>("UPDATE idempotency SET status = ?, body = ? WHERE key = ?");
    this.removeQuery = this.db.prepare<unknown, [string]>("DELETE FROM idempotency WHERE key = ? AND status IS NULL");
    this.expireQuery = this.db.prepare<unknown, [number]>("DELETE FROM idempotency WHERE created_at < ?");
  }

  /** What the disk refused last, for readiness; undefined once writes succeed. */
  problem(): string | undefined {
    return this.disk.problem();
  }

  /** Throws DiskError when the disk refuses the write. */
  reserve(key: string, bodyHash: string): Reservation {
    return this.disk.run(() => this.reserveNow(key, bodyHash));
  }

  private reserveNow(key: string, bodyHash: string): Reservation {
    const row = this.selectQuery.get(key);
    if (row && row.created_at >= this.now() - TTL_MS) {
      if (row.body_hash !== bodyHash) return { kind: "conflict" };
      if ((row.status === null || row.body === null) && row.created_at >= this.now() - ABANDONED_AFTER_MS) return { kind: "in-progress" };
      if (row.status !== null && row.body !== null) return { kind: "replay", answer: { status: row.status, body: row.body } };
    }
    this.insertQuery.run(key, bodyHash, this.now());
    return { kind: "new" };
  }

  complete(key: string, answer: StoredAnswer): void {
    this.disk.run(() => this.completeQuery.run(answer.status, answer.body, key));
  }

  release(key: string): void {
    this.disk.run(() => this.removeQuery.run(key));
  }

  pruneExpired(): number {
    return this.expireQuery.run(this.now() - TTL_MS).changes;
  }

  close(): void {
    this.db.close();
  }
}
