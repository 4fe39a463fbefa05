import { wyhash53 } from "../../src/runtime/hashing.ts";
import type { Database } from "../../src/runtime/sqlite.ts";

/*
 * The trace index: an embedded SQLite file beside the log, `trace-index.sqlite`. The log stays the only
 * source of truth; the index holds where each line is, never the line itself. Measured on 10 million events
 * (bench/trace-index-results.md): with the event JSON in the index it was as large as the log again, while a
 * story of 5-50 events costs 5-50 positioned reads of lines the page cache mostly holds, well under a
 * millisecond beside the 100 ms the command has.
 *
 * - `lines` is clustered by correlation (a WITHOUT ROWID table keyed (correlation, file, offset)): a story is
 *   one range of one B-tree, its lines in log order.
 * - `names` maps every id a story can be asked for (event, correlation, task and workflow ids, and a dead
 *   letter's original event id) to the correlations it occurs in, by a 53-bit hash of the id rather than the
 *   id: ids are 36-character UUIDs or longer, and the hash keeps this table, which has a row per event, at a
 *   quarter of the size. A hash that matches by chance costs reading one story that is then dropped, since
 *   `story` checks the id against the events it read.
 * - `correlations` numbers the correlation ids (so `lines` and `names` hold small integers) and keeps what
 *   the list of recent stories shows.
 * - `files` says how far each log file is indexed, and the hash of the last line indexed there: a file
 *   shorter than that, or with other bytes at that place, is not the file that was indexed.
 */

/** Bumped when the tables change; an index of another version is rebuilt from the log. */
export const SCHEMA_VERSION = 1;

export const INDEX_FILE = "trace-index.sqlite";

const TABLES = [
  `CREATE TABLE IF NOT EXISTS files (
     file INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
     indexed INTEGER NOT NULL, tail_at INTEGER NOT NULL, tail_hash INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS correlations (
     id INTEGER PRIMARY KEY, correlation_id TEXT NOT NULL UNIQUE,
     first_at TEXT NOT NULL, last_at TEXT NOT NULL, events INTEGER NOT NULL, failures INTEGER NOT NULL, title TEXT)`,
  "CREATE INDEX IF NOT EXISTS correlations_by_last_at ON correlations (last_at)",
  `CREATE TABLE IF NOT EXISTS lines (
     correlation INTEGER NOT NULL, file INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
     PRIMARY KEY (correlation, file, offset)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS names (
     key INTEGER NOT NULL, correlation INTEGER NOT NULL, PRIMARY KEY (key, correlation)) WITHOUT ROWID`,
];

/** Creates the tables, or empties an index of another version or that no longer matches its log. */
export function prepareSchema(db: Database, reset: boolean): void {
  db.transaction(() => {
    const version = db.prepare<{ user_version: number }>("PRAGMA user_version").get()!.user_version;
    if (reset || (version !== SCHEMA_VERSION && version !== 0)) {
      // DROP, not DELETE: freeing a table's pages is far quicker than deleting its ten million rows one by one.
      for (const table of ["files", "correlations", "lines", "names"]) db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
    for (const sql of TABLES) db.exec(sql);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** The id's key in `names`: 53 bits of wyhash, so it stays a plain JavaScript number. */
export function keyOf(id: string): number {
  return wyhash53(id);
}

/** What `files.tail_hash` holds for a line's bytes. */
export function tailHash(bytes: Uint8Array): number {
  return wyhash53(bytes);
}
