/*
 * An embedded SQLite database, the same on every runtime: bun:sqlite under Bun, node:sqlite under Deno.
 * Only what this program's stores use: statements with positional parameters (`?`, `?1`), run/get/all,
 * transactions, and whole SQL strings run for their effect (pragmas, schema).
 *
 * Where the two differ underneath, the Deno side is made to behave as Bun's: get() answers null when there
 * is no row, foreign keys are off and "double-quoted" strings are literals (SQLite's defaults, which
 * node:sqlite changes), a failed call throws an error whose `code` names SQLite's result code
 * (SQLITE_FULL, SQLITE_IOERR, ...; DiskError reads it), close() may be called twice, and a transaction
 * begun inside another becomes a savepoint.
 *
 * Differences left: a row under Deno has no prototype (read its fields, spread it; do not call methods on
 * it); an integer beyond 2^53 throws under Deno where Bun rounds it; too few parameters throw under Bun and
 * bind NULL under Deno (type each statement's parameters, so the compiler counts them); under Deno an
 * error's code is the primary one (SQLITE_IOERR where Bun says SQLITE_IOERR_WRITE).
 */
import { runtime } from "./which.ts";

/** What a parameter may be bound to and a column may hold. */
export type SQLValue = string | number | bigint | Uint8Array | null;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A compiled statement: prepare it once and keep it, it is run many times. */
export interface Statement<Row, Params extends SQLValue[]> {
  /** The first row, or null when there is none. */
  get(...params: Params): Row | null;
  all(...params: Params): Row[];
  run(...params: Params): RunResult;
}

/** `work` in a transaction: BEGIN (DEFERRED) when called, BEGIN IMMEDIATE through `immediate`. */
export interface Transaction<Args extends unknown[], Result> {
  (...args: Args): Result;
  immediate(...args: Args): Result;
}

export interface Database {
  /** Runs every statement of `sql`, for its effect. */
  exec(sql: string): void;
  prepare<Row = unknown, Params extends SQLValue[] = []>(sql: string): Statement<Row, Params>;
  /** Commits when `work` returns, rolls back and rethrows when it throws. */
  transaction<Args extends unknown[], Result>(work: (...args: Args) => Result): Transaction<Args, Result>;
  close(): void;
}

/** Opens the database file at `path` (":memory:" for one in memory), creating it if missing. */
export const openDatabase: (path: string) => Database =
  runtime === "bun" ? (await import("./sqlite-bun.ts")).openDatabase : (await import("./sqlite-deno.ts")).openDatabase;
