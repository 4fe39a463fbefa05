import { chmodSync, closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { DiskError } from "../../src/errors.ts";
import { AGENT_CORRELATION_PREFIX } from "../../src/events/index.ts";
import { openDatabase, type Database } from "../../src/runtime/sqlite.ts";
import type { TracedEvent } from "../../src/trace/causation-tree.ts";
import { AuditLogError } from "./errors.ts";
import { listAuditFilesSync } from "./files.ts";
import { storyLine, type StoryLine } from "./indexed-line.ts";
import { INDEX_FILE, keyOf, prepareSchema } from "./trace-index-schema.ts";
import { IndexWriter, sameTail } from "./trace-index-writer.ts";

export interface RecentCorrelation {
  correlationId: string;
  firstAt: string;
  lastAt: string;
  events: number;
  failures: number;
  /** The task.created title when there is one. */
  title?: string;
}

export interface CatchUpOptions {
  /** Bytes of each file that are fsynced, by file name: nothing beyond is indexed. */
  durable?: ReadonlyMap<string, number>;
  signal?: AbortSignal;
}

/** The trace index cannot be opened or read. */
export class TraceIndexError extends AuditLogError {}

const FILE_MODE = 0o640;
/** A writer waits this long for another (the audit agent and a trace command catching up at once). */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Finds a request's story in the audit log of a directory without reading the log: an SQLite index beside it
 * (trace-index-schema.ts) says which lines belong to which correlation, and the lines are read back with
 * positioned reads. WAL, so readers (the trace command, the trace page) read while the audit agent writes.
 */
export class TraceIndex {
  private readonly fds = new Map<string, number>();
  private readonly writer: IndexWriter;
  private readonly correlationsOf;
  private readonly linesOf;
  private readonly fileNames;
  private readonly recentRows;

  private constructor(
    private readonly dir: string,
    private readonly db: Database,
  ) {
    prepareSchema(db, false);
    this.writer = new IndexWriter(db);
    this.correlationsOf = db.prepare<{ correlation: number; correlation_id: string }, [number]>(
      "SELECT n.correlation, c.correlation_id FROM names n JOIN correlations c ON c.id = n.correlation WHERE n.key = ?",
    );
    this.linesOf = db.prepare<{ file: number; offset: number; length: number }, [number]>(
      "SELECT file, offset, length FROM lines WHERE correlation = ?",
    );
    this.fileNames = db.prepare<{ file: number; name: string }>("SELECT file, name FROM files");
    // Walks correlations_by_last_at newest first; an agent's own story (registration, heartbeats) is one
    // correlation per agent, so skipping them costs at most one row per agent.
    this.recentRows = db.prepare<Record<string, string | number | null>, [number, number]>(
      `SELECT correlation_id, first_at, last_at, events, failures, title FROM correlations
       WHERE (?1 = 1) = (correlation_id LIKE '${AGENT_CORRELATION_PREFIX}%') ORDER BY last_at DESC LIMIT ?2`,
    );
  }

  /** Opens (creating if needed) the index beside the audit log in `auditDir`. */
  static open(auditDir: string): TraceIndex {
    if (!existsSync(auditDir)) throw new TraceIndexError(`${auditDir}: no such audit directory`);
    const path = join(auditDir, INDEX_FILE);
    const created = !existsSync(path);
    let db: Database | undefined;
    try {
      db = openDatabase(path);
      if (created) chmodSync(path, FILE_MODE);
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec("PRAGMA journal_mode = WAL");
      // The index can be rebuilt from the log: a transaction lost to a power cut is indexed again.
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA cache_size = -65536");
      return new TraceIndex(auditDir, db);
    } catch (error) {
      db?.close();
      throw DiskError.from(error, path) ?? new TraceIndexError(`cannot open the trace index ${path}`, { cause: error });
    }
  }

  /**
   * Indexes what the log holds beyond the index (all of it when the index is missing or does not match the log).
   * `durable` bounds it to the bytes of each file known to be fsynced (the audit agent's own view); `signal`
   * stops it between chunks.
   */
  async catchUp(options: CatchUpOptions = {}): Promise<{ indexed: number }> {
    if (!this.matchesLog()) {
      this.closeFiles();
      prepareSchema(this.db, true);
    }
    let indexed = 0;
    for (const name of listAuditFilesSync(this.dir)) {
      const limit = options.durable ? (options.durable.get(name) ?? 0) : undefined;
      const fd = this.fdOf(name);
      const next = () => (options.signal?.aborted ? undefined : this.writer.indexChunk(name, fd, limit));
      for (let lines = next(); lines !== undefined; lines = next()) {
        indexed += lines;
        // Lets the process's other work run between chunks: the audit agent's next batch, the page's requests.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { indexed };
  }

  /** Every event of the story `id` names (a correlation, task, workflow or event id), or [] when none. */
  story(id: string): TracedEvent[] {
    return this.db.transaction(() => {
      const names = new Map(this.fileNames.all().map((row) => [row.file, row.name]));
      const lines: StoryLine[] = [];
      for (const { correlation, correlation_id } of this.correlationsOf.all(keyOf(id))) {
        const found = this.linesOf.all(correlation).flatMap((at) => {
          const line = this.readLine(names.get(at.file), at.offset, at.length);
          return line === undefined ? [] : [line];
        });
        // A key shared with another id by chance: that story does not mention `id` and is left out.
        if (correlation_id === id || found.some((line) => line.keys.includes(id))) lines.push(...found);
      }
      return placeDeadLetters(lines);
    })();
  }

  /**
   * The most recent correlations, newest first: requests', or (`of: "agents"`) the agents' own, where each
   * worker's registration and heartbeats form one story that would otherwise stay at the top of the list.
   */
  recent(limit: number, of: "requests" | "agents" = "requests"): RecentCorrelation[] {
    return this.recentRows.all(of === "agents" ? 1 : 0, limit).map((row) => ({
      correlationId: row.correlation_id as string,
      firstAt: row.first_at as string,
      lastAt: row.last_at as string,
      events: row.events as number,
      failures: row.failures as number,
      ...(row.title !== null ? { title: row.title as string } : {}),
    }));
  }

  close(): void {
    this.closeFiles();
    this.db.close();
  }

  /** False when a file the index read is gone, shorter, or holds other bytes where its last indexed line was. */
  private matchesLog(): boolean {
    const rows = this.db.prepare<{ name: string; indexed: number; tail_at: number; tail_hash: number }>(
      "SELECT name, indexed, tail_at, tail_hash FROM files",
    ).all();
    for (const row of rows) {
      const path = join(this.dir, row.name);
      if (!existsSync(path)) {
        if (row.indexed > 0) return false;
        continue;
      }
      if (statSync(path).size < row.indexed || !sameTail(this.fdOf(row.name), row)) return false;
    }
    return true;
  }

  private readLine(name: string | undefined, offset: number, length: number): StoryLine | undefined {
    if (name === undefined) return undefined;
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    try {
      const fd = this.fdOf(name);
      while (filled < length) {
        const read = readSync(fd, buffer, filled, length - filled, offset + filled);
        if (read === 0) break;
        filled += read;
      }
    } catch {
      // A file removed since it was indexed: the next catch-up rebuilds; until then its lines are missing.
      return undefined;
    }
    return storyLine(buffer.toString("utf8", 0, filled));
  }

  private fdOf(name: string): number {
    let fd = this.fds.get(name);
    if (fd === undefined) {
      fd = openSync(join(this.dir, name), "r");
      this.fds.set(name, fd);
    }
    return fd;
  }

  private closeFiles(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/**
 * A dead letter names the event it was as its cause, so it shows under that event. A message that was not
 * a valid event was never logged itself; the dead letter then goes under the event that message named as
 * its cause, so it still sits where in the story it happened.
 */
function placeDeadLetters(lines: StoryLine[]): TracedEvent[] {
  const logged = new Set(lines.filter((line) => line.original === undefined).map((line) => line.traced.eventId));
  return lines.map(({ traced, original }) => {
    if (original === undefined || traced.causationId === undefined || logged.has(traced.causationId)) return traced;
    return { ...traced, causationId: original.causationId ?? traced.causationId };
  });
}
