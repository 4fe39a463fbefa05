/*
 * node:sqlite under Deno reports every SQLite failure as code ERR_SQLITE_ERROR, without SQLite's result
 * code; its message is SQLite's own, which for these codes is SQLite's fixed text for the code (an open that
 * fails has the path appended). Bun gives the code as e.g. SQLITE_FULL, which DiskError reads.
 */
const CODE_BY_MESSAGE: ReadonlyArray<readonly [string, string]> = [
  ["database or disk is full", "SQLITE_FULL"],
  ["disk I/O error", "SQLITE_IOERR"],
  ["attempt to write a readonly database", "SQLITE_READONLY"],
  ["database is locked", "SQLITE_BUSY"],
  ["database table is locked", "SQLITE_LOCKED"],
  ["unable to open database file", "SQLITE_CANTOPEN"],
  ["database disk image is malformed", "SQLITE_CORRUPT"],
  ["file is not a database", "SQLITE_NOTADB"],
  ["out of memory", "SQLITE_NOMEM"],
  ["access permission denied", "SQLITE_PERM"],
  ["interrupted", "SQLITE_INTERRUPT"],
  ["string or blob too big", "SQLITE_TOOBIG"],
  ["datatype mismatch", "SQLITE_MISMATCH"],
];
const CONSTRAINT = / constraint failed\b/;

/** The error, its `code` set to SQLite's result code when node:sqlite reported it as ERR_SQLITE_ERROR. */
export function withSqliteCode(error: unknown): unknown {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== "ERR_SQLITE_ERROR") return error;
  const found = CODE_BY_MESSAGE.find(([message]) => error.message.startsWith(message));
  const code = found?.[1] ?? (CONSTRAINT.test(error.message) ? "SQLITE_CONSTRAINT" : "SQLITE_ERROR");
  Object.defineProperty(error, "code", { value: code, writable: true, configurable: true, enumerable: true });
  return error;
}
