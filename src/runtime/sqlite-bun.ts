import { Database as BunDatabase } from "bun:sqlite";
import type { Database, SQLValue, Statement, Transaction } from "./sqlite.ts";

/** bun:sqlite as it is: its statements and transactions are handed out unwrapped, so hot paths pay nothing. */
class BunSqlite implements Database {
  private readonly db: BunDatabase;

  constructor(path: string) {
    this.db = new BunDatabase(path, { create: true, strict: true });
  }

  exec(sql: string): void {
    this.db.run(sql);
  }

  prepare<Row = unknown, Params extends SQLValue[] = []>(sql: string): Statement<Row, Params> {
    // query(), not prepare(): Bun keeps the statement for the same text, as callers that prepare per call expect.
    // Bun's parameter type is conditional on Params, which the compiler cannot resolve for a generic one.
    return this.db.query<Row, Params>(sql) as Statement<Row, Params>;
  }

  transaction<Args extends unknown[], Result>(work: (...args: Args) => Result): Transaction<Args, Result> {
    return this.db.transaction(work);
  }

  close(): void {
    this.db.close();
  }
}

export function openDatabase(path: string): Database {
  return new BunSqlite(path);
}
