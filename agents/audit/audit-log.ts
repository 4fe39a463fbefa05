import { constants } from "node:fs";
import { chmod, mkdir, open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../src/log.ts";
import { chainHash, formatLine, formatRecord } from "./chain.ts";
import { AuditLogError } from "./errors.ts";
import { auditFileName } from "./files.ts";
import { recoverChain, type ChainState } from "./recover.ts";

const DIR_MODE = 0o750;
const FILE_MODE = 0o640;

export interface AuditEntry {
  readonly eventId: string;
  /** The event as `eventToJson` writes it. */
  readonly eventJson: string;
}

export interface AuditLogOptions {
  dir: string;
  logger: Logger;
  now: () => Date;
}

/**
 * Appends events to `audit-YYYY-MM-DD.jsonl` (UTC day of logged_at) under one hash chain (chain.ts). One
 * writer per directory: two processes appending to the same files would interleave two chains.
 */
export class AuditLog {
  private state: ChainState | undefined;
  private current: { name: string; file: FileHandle } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AuditLogOptions) {}

  /**
   * Appends the entries whose event_id is not logged yet; resolves with how many once they are fsynced.
   * Per touched file: one write, then one fsync. Calls run one after another, as the chain needs.
   */
  append(entries: readonly AuditEntry[]): Promise<number> {
    const run = this.queue.then(() => this.appendNow(entries));
    this.queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.closeFile();
  }

  private async appendNow(entries: readonly AuditEntry[]): Promise<number> {
    // Lazily, so creating the agent touches no disk and a failed start-up read is retried with the next batch.
    const state = (this.state ??= await this.recover());
    const byFile = new Map<string, string[]>();
    const added = new Set<string>();
    let { lastHash, lastLoggedMs } = state;
    for (const { eventId, eventJson } of entries) {
      if (state.ids.has(eventId) || added.has(eventId)) continue;
      added.add(eventId);
      // Never before the line above, so the chain runs through the files in date order if the clock steps back.
      lastLoggedMs = Math.max(lastLoggedMs, this.options.now().getTime());
      const loggedAt = new Date(lastLoggedMs).toISOString();
      const record = formatRecord(loggedAt, eventJson);
      const hash = chainHash(lastHash, record);
      const name = auditFileName(loggedAt);
      const lines = byFile.get(name) ?? [];
      if (lines.length === 0) byFile.set(name, lines);
      lines.push(formatLine(record, lastHash, hash), "\n");
      lastHash = hash;
    }
    let writing = "";
    try {
      for (const [name, lines] of byFile) {
        writing = name;
        await this.writeAndSync(name, lines.join(""));
      }
    } catch (error) {
      // What reached the disk is not known: the next call rebuilds the chain and the ids from the files.
      this.state = undefined;
      await this.closeFile().catch(() => {});
      throw new AuditLogError(`cannot append to ${join(this.options.dir, writing)}`, { cause: error });
    }
    state.lastHash = lastHash;
    state.lastLoggedMs = lastLoggedMs;
    for (const id of added) state.ids.add(id);
    return added.size;
  }

  private async recover(): Promise<ChainState> {
    const { dir, logger } = this.options;
    try {
      if ((await mkdir(dir, { recursive: true, mode: DIR_MODE })) !== undefined) await chmod(dir, DIR_MODE);
      // A file created just before a crash may have its directory entry unsynced; once per start covers it.
      await syncDir(dir);
      return await recoverChain(dir, logger);
    } catch (error) {
      if (error instanceof AuditLogError) throw error;
      throw new AuditLogError(`cannot read the audit log in ${dir}`, { cause: error });
    }
  }

  private async writeAndSync(name: string, text: string): Promise<void> {
    const created = await this.openFile(name);
    const file = this.current!.file;
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length; ) done += (await file.write(bytes, done, bytes.length - done)).bytesWritten;
    await file.sync();
    if (created) await syncDir(this.options.dir);
  }

  /** Makes `name` the open file; says whether it was created. */
  private async openFile(name: string): Promise<boolean> {
    if (this.current?.name === name) return false;
    await this.closeFile();
    const path = join(this.options.dir, name);
    const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL } = constants;
    let file: FileHandle;
    let created: boolean;
    try {
      file = await open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL, FILE_MODE);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      file = await open(path, O_WRONLY | O_APPEND);
      created = false;
    }
    this.current = { name, file };
    if (created) await file.chmod(FILE_MODE); // the umask may have taken bits away
    return created;
  }

  private async closeFile(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.file.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
