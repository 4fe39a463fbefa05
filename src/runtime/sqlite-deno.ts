import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Database, RunResult, SQLValue, Statement, Transaction } from "./sqlite.ts";
import { withSqliteCode } from "./sqlite-error-code.ts";

/** node:sqlite made to behave as bun:sqlite does for this program (see sqlite.ts). */
class NodeSqlite implements Database {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = sqliteCall(
      () => new DatabaseSync(path, { enableForeignKeyConstraints: false, enableDoubleQuotedStringLiterals: true }),
    );
  }

  exec(sql: string): void {
    sqliteCall(() => this.db.exec(sql));
  }

  prepare<Row = unknown, Params extends SQLValue[] = []>(sql: string): Statement<Row, Params> {
    return new NodeStatement<Row, Params>(sqliteCall(() => this.db.prepare(sql)));
  }

  transaction<Args extends unknown[], Result>(work: (...args: Args) => Result): Transaction<Args, Result> {
    const inTransaction = (begin: string, args: Args): Result => {
      // Nested: a savepoint, as Bun does, so the inner work can fail alone.
      const nested = this.db.isTransaction;
      this.exec(nested ? "SAVEPOINT nested" : begin);
      try {
        const result = work(...args);
        this.exec(nested ? "RELEASE nested" : "COMMIT");
        return result;
      } catch (error) {
        // A failed COMMIT can leave the transaction open; SQLite may also have rolled it back already.
        if (this.db.isTransaction) {
          this.exec(nested ? "ROLLBACK TO nested" : "ROLLBACK");
          if (nested) this.exec("RELEASE nested");
        }
        throw error;
      }
    };
    return Object.assign((...args: Args) => inTransaction("BEGIN", args), {
      immediate: (...args: Args) => inTransaction("BEGIN IMMEDIATE", args),
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

class NodeStatement<Row, Params extends SQLValue[]> implements Statement<Row, Params> {
  constructor(private readonly statement: StatementSync) {}

  get(...params: Params): Row | null {
    try {
      return (this.statement.get(...params) as Row | undefined) ?? null;
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  all(...params: Params): Row[] {
    try {
      return this.statement.all(...params) as Row[];
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  run(...params: Params): RunResult {
    try {
      // Numbers, not bigints: node:sqlite reads bigints only when asked to (setReadBigInts).
      return this.statement.run(...params) as RunResult;
    } catch (error) {
      throw withSqliteCode(error);
    }
  }
}

function sqliteCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw withSqliteCode(error);
  }
}

export function openDatabase(path: string): Database {
  return new NodeSqlite(path);
}
