import { constants } from "node:fs";
import { chmod, mkdir, open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { AppError, DiskError } from "../../src/errors.ts";
import type { Logger } from "../../src/log.ts";
import { AuditLogError } from "./errors.ts";
import { auditFileName } from "./files.ts";
import { AuditLineEncoder } from "./line-encoder.ts";
import { recoverChain, type ChainState } from "./recover.ts";

const DIR_MODE = 0o750;
const FILE_MODE = 0o640;

export interface AuditEntry {
  readonly eventId: string;
  /** The event's JSON: one object, UTF-8, no CR or LF. */
  readonly event: Uint8Array;
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
  /** One per file a batch touches (almost always one), kept across batches with their buffers. */
  private readonly encoders: AuditLineEncoder[] = [];

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
    const byFile = new Map<string, AuditLineEncoder>();
    // The ids go into the state at once: if the write fails, the whole state is dropped and read back.
    let added = 0;
    let { lastHash, lastLoggedMs } = state;
    let loggedAt = "";
    let loggedAtMs = Number.NaN;
    let encoder: AuditLineEncoder | undefined;
    for (const { eventId, event } of entries) {
      if (state.ids.has(eventId)) continue;
      state.ids.add(eventId);
      added++;
      // Never before the line above, so the chain runs through the files in date order if the clock steps back.
      lastLoggedMs = Math.max(lastLoggedMs, this.options.now().getTime());
      if (lastLoggedMs !== loggedAtMs) {
        loggedAtMs = lastLoggedMs;
        loggedAt = new Date(lastLoggedMs).toISOString();
        const name = auditFileName(loggedAt);
        // A new file continues the chain from the last line written to the one before.
        if (!byFile.has(name)) byFile.set(name, this.encoderFor(byFile.size, encoder?.lastHash ?? lastHash));
        encoder = byFile.get(name)!;
      }
      encoder!.append(loggedAt, event);
    }
    if (encoder) lastHash = encoder.lastHash;
    let writing = "";
    try {
      for (const [name, lines] of byFile) {
        writing = join(this.options.dir, name);
        await this.writeAndSync(writing, name, lines.bytes());
      }
    } catch (error) {
      // An earlier file of the batch may hold its lines, and the failed one was cut back only if that worked
      // too: rather than reason about which, the next call rebuilds the chain and the ids from the files.
      this.state = undefined;
      await this.closeFile().catch(() => {});
      throw appendError(error, writing);
    }
    state.lastHash = lastHash;
    state.lastLoggedMs = lastLoggedMs;
    return added;
  }

  private encoderFor(index: number, prevHash: string): AuditLineEncoder {
    const encoder = (this.encoders[index] ??= new AuditLineEncoder(prevHash));
    encoder.restart(prevHash);
    return encoder;
  }

  private async recover(): Promise<ChainState> {
    const { dir, logger } = this.options;
    await prepareDir(dir);
    // A file created just before a crash may have its directory entry unsynced; once per start covers it.
    await syncDir(dir);
    try {
      return await recoverChain(dir, logger);
    } catch (error) {
      // Ending a torn line is a write and says so itself; only what is left here is reading.
      if (error instanceof AppError) throw error;
      throw DiskError.from(error, dir) ?? new AuditLogError(`cannot read the audit log in ${dir}`, { cause: error });
    }
  }

  private async writeAndSync(path: string, name: string, bytes: Uint8Array): Promise<void> {
    const created = await this.openFile(name);
    const file = this.current!.file;
    const { size } = await file.stat();
    try {
      for (let done = 0; done < bytes.length; ) done += (await file.write(bytes, done, bytes.length - done)).bytesWritten;
      await file.sync();
    } catch (error) {
      await this.cutBack(file, size, path);
      throw error;
    }
    if (created) await syncDir(this.options.dir);
  }

  /**
   * A full disk takes part of a write and refuses the rest, which would leave a partial line for every
   * reader of the file to trip over; cutting the file back to its size before the batch refuses the whole
   * batch instead, and the consume loop sends it again. Only bytes no caller was told about go, so the log
   * stays append-only for everything it confirmed. Reserving the space first is not possible (node:fs
   * has no fallocate) and would not be enough: cutting back also covers an fsync that fails after the write
   * was accepted. Should this fail as well, the torn line stays and the next recovery ends it and chains
   * over it (recover.ts), as after a crash.
   */
  private async cutBack(file: FileHandle, size: number, path: string): Promise<void> {
    try {
      await file.truncate(size);
      await file.sync();
    } catch (error) {
      this.options.logger.warn({ file: path, err: error }, "cannot cut a failed write off the audit file; recovery will chain over it");
    }
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

/** Failures of the disk as DiskError, so the consume loop can tell a full disk from a broken log. */
function appendError(error: unknown, path: string): AppError {
  if (error instanceof AppError) return error;
  return DiskError.from(error, path) ?? new AuditLogError(`cannot append to ${path}`, { cause: error });
}

async function prepareDir(dir: string): Promise<void> {
  try {
    if ((await mkdir(dir, { recursive: true, mode: DIR_MODE })) !== undefined) await chmod(dir, DIR_MODE);
  } catch (error) {
    throw DiskError.from(error, dir) ?? new AuditLogError(`cannot create the audit directory ${dir}`, { cause: error });
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw DiskError.from(error, dir) ?? new AuditLogError(`cannot sync the audit directory ${dir}`, { cause: error });
  }
}
