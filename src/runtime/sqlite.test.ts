// Both implementations, run here side by side (Bun has node:sqlite too), must behave the same for the stores.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskError } from "../errors.ts";
import * as bunSqlite from "./sqlite-bun.ts";
import * as nodeSqlite from "./sqlite-deno.ts";
import type { Database } from "./sqlite.ts";

const implementations = [
  ["bun:sqlite (Bun)", bunSqlite.openDatabase],
  ["node:sqlite (Deno)", nodeSqlite.openDatabase],
] as const;

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe.each(implementations)("%s", (_name, openDatabase) => {
  function withTable(): Database {
    const db = openDatabase(":memory:");
    db.exec("CREATE TABLE t (key TEXT PRIMARY KEY, n INTEGER, bytes BLOB); CREATE TABLE other (x)");
    return db;
  }

  test("run says how many rows changed and the last rowid; INSERT OR IGNORE of a duplicate changes none", () => {
    const db = withTable();
    const insert = db.prepare<unknown, [string, number]>("INSERT OR IGNORE INTO t (key, n) VALUES (?, ?)");
    expect(insert.run("a", 1)).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(insert.run("b", 2)).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect(insert.run("a", 3).changes).toBe(0);
    expect(db.prepare<unknown, [number]>("DELETE FROM t WHERE n >= ?").run(1).changes).toBe(2);
  });

  test("get answers a row of plain values, or null; all answers every row in order", () => {
    const db = withTable();
    const insert = db.prepare<unknown, [string, number | null, Uint8Array | null]>("INSERT INTO t VALUES (?, ?, ?)");
    insert.run("a", 2 ** 40, new Uint8Array([1, 2, 3]));
    insert.run("b", null, null);
    const select = db.prepare<{ key: string; n: number | null; bytes: Uint8Array | null }, [string]>("SELECT * FROM t WHERE key = ?");
    const row = select.get("a")!;
    expect({ ...row, bytes: [...row.bytes!] }).toEqual({ key: "a", n: 2 ** 40, bytes: [1, 2, 3] });
    expect(row.bytes).toBeInstanceOf(Uint8Array);
    expect({ ...select.get("b") }).toEqual({ key: "b", n: null, bytes: null });
    expect(select.get("c")).toBeNull();
    const keys = db.prepare<{ key: string }>("SELECT key FROM t ORDER BY key DESC").all();
    expect(keys.map((r) => r.key)).toEqual(["b", "a"]);
  });

  test("numbered parameters may be used twice", () => {
    const db = openDatabase(":memory:");
    const row = db.prepare<{ a: number; b: string; c: number }, [number, string]>("SELECT ?1 AS a, ?2 AS b, ?1 + 1 AS c").get(1, "x");
    expect({ ...row }).toEqual({ a: 1, b: "x", c: 2 });
  });

  test("a transaction commits what its work wrote, and rolls all of it back when the work throws", () => {
    const db = withTable();
    const insert = db.prepare<unknown, [string]>("INSERT INTO t (key) VALUES (?)");
    const count = db.prepare<{ n: number }>("SELECT count(*) AS n FROM t");
    const insertAll = db.transaction((keys: string[]) => {
      for (const key of keys) insert.run(key);
      return keys.length;
    });
    expect(insertAll(["a", "b"])).toBe(2);
    expect(() => insertAll(["c", "a"])).toThrow();
    expect(count.get()!.n).toBe(2);
    expect(insertAll.immediate(["d"])).toBe(1);
    expect(count.get()!.n).toBe(3);
  });

  test("a transaction inside another is a savepoint: its failure undoes its own writes only", () => {
    const db = withTable();
    const insert = db.prepare<unknown, [string]>("INSERT INTO t (key) VALUES (?)");
    const inner = db.transaction(() => {
      insert.run("inner");
      throw new Error("inner fails");
    });
    db.transaction(() => {
      insert.run("outer");
      expect(inner).toThrow("inner fails");
    })();
    expect(db.prepare<{ key: string }>("SELECT key FROM t").all().map((r) => r.key)).toEqual(["outer"]);
  });

  test("SQLite's defaults hold: foreign keys are off and a double-quoted unknown name is a string", () => {
    const db = openDatabase(":memory:");
    expect(db.prepare<{ foreign_keys: number }>("PRAGMA foreign_keys").get()!.foreign_keys).toBe(0);
    expect(db.prepare<{ x: string }>('SELECT "text" AS x').get()!.x).toBe("text");
  });

  test("errors carry SQLite's code, so a full disk is a DiskError", () => {
    const db = withTable();
    const insert = db.prepare<unknown, [string]>("INSERT INTO t (key) VALUES (?)");
    insert.run("a");
    expect(codeOf(() => insert.run("a"))).toStartWith("SQLITE_CONSTRAINT");
    expect(codeOf(() => db.exec("SELECT * FROM missing"))).toBe("SQLITE_ERROR");

    const path = join(mkdtempSync(join(tmpdir(), "sqlite-")), "full.sqlite");
    const full = openDatabase(path);
    full.exec("CREATE TABLE big (x BLOB)");
    full.exec("PRAGMA max_page_count = 3");
    let thrown: unknown;
    try {
      full.prepare<unknown, [Uint8Array]>("INSERT INTO big VALUES (?)").run(new Uint8Array(64 * 1024));
    } catch (error) {
      thrown = error;
    }
    expect(DiskError.from(thrown, path)?.code).toBe("SQLITE_FULL");

    full.exec("PRAGMA query_only = 1");
    expect(codeOf(() => full.exec("DELETE FROM big"))).toStartWith("SQLITE_READONLY");
    full.close();
    expect(codeOf(() => openDatabase("/nonexistent-dir/x.sqlite"))).toBe("SQLITE_CANTOPEN");
  });

  test("close may be called twice", () => {
    const db = openDatabase(":memory:");
    db.close();
    expect(() => db.close()).not.toThrow();
  });
});
