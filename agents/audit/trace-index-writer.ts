import { fstatSync, readSync } from "node:fs";
import type { Database } from "../../src/runtime/sqlite.ts";
import { indexedLine, type IndexedLine } from "./indexed-line.ts";
import { keyOf, tailHash } from "./trace-index-schema.ts";

/**
 * Bytes of log read per transaction: about 5,000 lines of 1 KiB events, indexed in 30-40 ms. Each chunk is
 * its own transaction, so the event loop (the audit agent's consume loop, or the trace page's server) runs
 * between chunks, a reader sees the index grow, and a rebuild interrupted half-way resumes where it stopped.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

interface FileRow {
  file: number;
  indexed: number;
}

interface CorrelationRow {
  id: number;
  firstAt: string;
  lastAt: string;
  events: number;
  failures: number;
  title: string | null;
}

/** Indexes a log file a chunk at a time; see trace-index-schema.ts for the tables. */
export class IndexWriter {
  private readonly fileRow;
  private readonly insertFile;
  private readonly setProgress;
  private readonly correlationRow;
  private readonly insertCorrelation;
  private readonly updateCorrelation;
  private readonly insertLine;
  private readonly insertName;
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(private readonly db: Database) {
    this.fileRow = db.prepare<FileRow, [string]>("SELECT file, indexed FROM files WHERE name = ?");
    this.insertFile = db.prepare<unknown, [string]>("INSERT INTO files (name, indexed, tail_at, tail_hash) VALUES (?, 0, 0, 0)");
    this.setProgress = db.prepare<unknown, [number, number, number, number]>(
      "UPDATE files SET indexed = ?, tail_at = ?, tail_hash = ? WHERE file = ?",
    );
    this.correlationRow = db.prepare<CorrelationRow, [string]>(
      "SELECT id, first_at AS firstAt, last_at AS lastAt, events, failures, title FROM correlations WHERE correlation_id = ?",
    );
    this.insertCorrelation = db.prepare<unknown, [string, string, string]>(
      "INSERT INTO correlations (correlation_id, first_at, last_at, events, failures, title) VALUES (?, ?, ?, 0, 0, NULL)",
    );
    this.updateCorrelation = db.prepare<unknown, [string, string, number, number, string | null, number]>(
      "UPDATE correlations SET first_at = ?, last_at = ?, events = ?, failures = ?, title = ? WHERE id = ?",
    );
    this.insertLine = db.prepare<unknown, [number, number, number, number]>(
      "INSERT OR IGNORE INTO lines (correlation, file, offset, length) VALUES (?, ?, ?, ?)",
    );
    this.insertName = db.prepare<unknown, [number, number]>("INSERT OR IGNORE INTO names (key, correlation) VALUES (?, ?)");
  }

  /**
   * Indexes the next chunk of whole lines of `name` (open as `fd`) in one write transaction; returns how many
   * lines it read, or undefined when there is no whole line left to index. Progress is read inside the
   * transaction, so two processes catching up at once (the audit agent and a trace command) index each line once.
   * Bytes past `limit` are left alone: they may be a write that is not fsynced yet and could still be cut back.
   */
  indexChunk(name: string, fd: number, limit = Number.POSITIVE_INFINITY): number | undefined {
    return this.db.transaction(() => {
      const row = this.fileRow.get(name) ?? this.addFile(name);
      const size = Math.min(limit, fstatSync(fd).size);
      if (row.indexed >= size) return undefined;
      const chunk = this.readWholeLines(fd, row.indexed, size);
      if (chunk === undefined) return undefined;
      return this.indexLines(row, chunk);
    }).immediate();
  }

  private addFile(name: string): FileRow {
    return { file: Number(this.insertFile.run(name).lastInsertRowid), indexed: 0 };
  }

  /** The bytes from `from` up to the end of the last whole line in the next chunk; undefined if no line ends yet. */
  private readWholeLines(fd: number, from: number, size: number): Buffer | undefined {
    for (;;) {
      const length = Math.min(this.buffer.length, size - from);
      const read = readFully(fd, this.buffer, length, from);
      const end = read.lastIndexOf(NEWLINE);
      if (end !== -1) return read.subarray(0, end + 1);
      // The line being written has not ended yet: it is indexed once it has.
      if (from + length >= size) return undefined;
      // A line longer than the buffer (events may be up to 1 MiB, a dead letter's value too).
      this.buffer = Buffer.allocUnsafe(this.buffer.length * 2);
    }
  }

  private indexLines(row: FileRow, chunk: Buffer): number {
    const correlations = new Map<string, CorrelationRow & { dirty: boolean }>();
    const named = new Set<string>();
    let lines = 0;
    let start = 0;
    let lastStart = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      lines++;
      lastStart = start;
      const line = indexedLine(chunk.toString("utf8", start, end));
      if (line !== undefined) {
        const correlation = correlations.get(line.correlationId) ?? this.loadCorrelation(line, correlations);
        this.insertLine.run(correlation.id, row.file, row.indexed + start, end - start);
        for (const id of line.keys) {
          const key = keyOf(id);
          const pair = `${key}:${correlation.id}`;
          if (named.has(pair)) continue;
          named.add(pair);
          this.insertName.run(key, correlation.id);
        }
        count(correlation, line);
      }
      start = end + 1;
    }
    for (const c of correlations.values()) {
      if (c.dirty) this.updateCorrelation.run(c.firstAt, c.lastAt, c.events, c.failures, c.title, c.id);
    }
    this.setProgress.run(row.indexed + chunk.length, row.indexed + lastStart, tailHash(chunk.subarray(lastStart)), row.file);
    return lines;
  }

  private loadCorrelation(line: IndexedLine, cache: Map<string, CorrelationRow & { dirty: boolean }>) {
    let row = this.correlationRow.get(line.correlationId);
    if (row === null) {
      const id = Number(this.insertCorrelation.run(line.correlationId, line.at, line.at).lastInsertRowid);
      row = { id, firstAt: line.at, lastAt: line.at, events: 0, failures: 0, title: null };
    }
    const cached = { ...row, dirty: false };
    cache.set(line.correlationId, cached);
    return cached;
  }
}

function count(row: CorrelationRow & { dirty: boolean }, line: IndexedLine): void {
  row.dirty = true;
  row.events++;
  if (line.failure) row.failures++;
  if (line.at < row.firstAt) row.firstAt = line.at;
  if (line.at > row.lastAt) row.lastAt = line.at;
  if (row.title === null && line.title !== undefined) row.title = line.title;
}

function readFully(fd: number, buffer: Buffer, length: number, position: number): Buffer {
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

/** Whether the bytes at [tailAt, indexed) of the file still hash to what was indexed there. */
export function sameTail(fd: number, row: { indexed: number; tail_at: number; tail_hash: number }): boolean {
  if (row.indexed === 0) return true;
  const size = fstatSync(fd).size;
  if (size < row.indexed) return false;
  const bytes = readFully(fd, Buffer.allocUnsafe(row.indexed - row.tail_at), row.indexed - row.tail_at, row.tail_at);
  return bytes.length === row.indexed - row.tail_at && tailHash(bytes) === row.tail_hash;
}
