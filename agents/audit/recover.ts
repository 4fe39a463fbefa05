import { open } from "node:fs/promises";
import { join } from "node:path";
import { DiskError } from "../../src/errors.ts";
import type { Logger } from "../../src/log.ts";
import { chainHash, GENESIS, type AuditRecord, parseLine } from "./chain.ts";
import { AuditLogError } from "./errors.ts";
import { listAuditFiles, readTail } from "./files.ts";
import { RecentIds } from "./recent-ids.ts";

/*
 * Why the tail of the log is enough to deduplicate: the consume loop commits a batch's offsets only after
 * `handle` has written and fsynced it, and it commits before a partition is revoked. So Kafka redelivers only
 * what came after the last commit: events not written yet, or written by a batch whose commit was lost to a
 * crash or a failed commit, and those are the last lines of the log. RECOVERY_LINES is five batches of 5,000
 * (the agent's maxBatch), read back at start-up in 150-190 ms (measured on 1 KiB events).
 * A replay from further back (offsets reset by hand, or expired) appends those events again, with a new
 * logged_at, and they can be told apart by event_id.
 */
export const RECOVERY_LINES = 25_000;
export const REMEMBERED_IDS = 100_000;

export interface ChainState {
  lastHash: string;
  /** logged_at of the last record, in ms; logged_at never goes below it. */
  lastLoggedMs: number;
  ids: RecentIds;
}

/** Reads the last lines of the newest files back into the chain's head and the recent event ids. */
export async function recoverChain(dir: string, logger: Logger): Promise<ChainState> {
  const names = await listAuditFiles(dir);
  const lines: Buffer[] = [];
  let complete = true;
  let newestChecked = false;
  for (let i = names.length - 1; i >= 0; i--) {
    if (lines.length >= RECOVERY_LINES) {
      complete = false;
      break;
    }
    const path = join(dir, names[i]!);
    const tail = await readTail(path, RECOVERY_LINES - lines.length);
    if (!newestChecked && tail.size > 0) {
      newestChecked = true;
      if (!tail.terminated) await terminateTornLine(path, logger);
    }
    lines.unshift(...tail.lines);
    if (!tail.whole) complete = false;
  }

  const ids = new RecentIds(REMEMBERED_IDS);
  let last: AuditRecord | undefined;
  let sinceLast: Buffer[] = [];
  for (const line of lines) {
    const parsed = parseLine(line);
    if (!parsed.ok) {
      sinceLast.push(line);
      continue;
    }
    ids.add(parsed.entry.eventId);
    last = parsed.entry;
    sinceLast = [];
  }
  if (last === undefined && !complete) {
    throw new AuditLogError(`no audit record in the last ${lines.length} lines in ${dir}: the chain cannot be continued`);
  }
  let lastHash = last?.hash ?? GENESIS;
  for (const line of sinceLast) lastHash = chainHash(lastHash, line);
  const lastLoggedMs = last === undefined ? 0 : Date.parse(last.loggedAt);
  logger.info({ dir, files: names.length, recent_ids: ids.size, last_hash: lastHash }, "audit log chain resumed");
  return { lastHash, lastLoggedMs: Number.isFinite(lastLoggedMs) ? lastLoggedMs : 0, ids };
}

/**
 * A crash during a write can leave a partial last line. It is never removed (the log is append-only): it is
 * ended with "\n" and the chain goes on over its bytes. Its events were not committed, so Kafka sends them again.
 * That "\n" is a write, and may meet a full disk: it fails as one, not as the reading around it.
 */
async function terminateTornLine(path: string, logger: Logger): Promise<void> {
  try {
    const file = await open(path, "a");
    try {
      await file.write("\n");
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    throw DiskError.from(error, path) ?? new AuditLogError(`cannot end the torn last line of ${path}`, { cause: error });
  }
  logger.warn({ file: path }, "audit file ended in a torn line from an interrupted write; ended it, chain continues");
}
