import { afterAll, describe, expect, spyOn, test } from "bun:test";
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { DiskError } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { AuditLog, type AuditEntry } from "./audit-log.ts";
import { AuditLogError } from "./errors.ts";
import { verifyAuditDir } from "./verify.ts";
import { auditAgent, cleanUp, clock, tasksCreated, tempDir, tmpfsDisk } from "./testing.ts";

afterAll(cleanUp);

const DAY_FILE = "audit-2026-11-24.jsonl";
const PAGE = 4096;
const encoder = new TextEncoder();

/** Events of about 1 KiB, as an email agent might send them. */
function events(count: number): AuditEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const eventId = crypto.randomUUID();
    const event = {
      event_id: eventId,
      event_type: "email.sent",
      occurred_at: "2026-11-24T10:00:00.000Z",
      data: { to: `user-${i}@example.com`, body: "Your task is due. ".repeat(50) },
      metadata: { correlation_id: `req-${i}`, causation_id: "api-call-1", source: "email-agent" },
    };
    return { eventId, event: encoder.encode(JSON.stringify(event)) };
  });
}

function auditLog(dir: string): AuditLog {
  return new AuditLog({ dir, logger: silentLogger, now: clock("2026-11-24T10:00:00.000Z") });
}

/** The event ids of the file's lines; throws if a line is not JSON, as a reader's json.loads would. */
function loggedIds(file: string): string[] {
  const text = readFileSync(file, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .split("\n")
    .slice(0, -1)
    .map((line) => JSON.parse(line).event.event_id);
}

/** Appends batches of three until one fails; the batches written, and the failed one with its error. */
async function fillUp(log: AuditLog): Promise<{ written: AuditEntry[]; failed: AuditEntry[]; error: unknown }> {
  const written: AuditEntry[] = [];
  // 128 KiB holds about 120 such events: far fewer than this many batches.
  for (let batch = 0; batch < 100; batch++) {
    const entries = events(3);
    try {
      await log.append(entries);
    } catch (error) {
      return { written, failed: entries, error };
    }
    written.push(...entries);
  }
  throw new Error("the disk never filled up");
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** Every FileHandle shares this prototype, so a spy on it sees the log's own handles. */
async function fileHandlePrototype(): Promise<FileHandle> {
  const probe = await open(join(tempDir(), "probe"), "w");
  await probe.close();
  return Object.getPrototypeOf(probe);
}

describe("audit log on a full disk", () => {
  test("refuses the whole batch, leaving only whole JSON lines, and takes that batch once space returns", async () => {
    const disk = tmpfsDisk("128k");
    const file = join(disk.dir, DAY_FILE);
    const log = auditLog(disk.dir);
    try {
      const { written, failed, error } = await fillUp(log);
      expect(error).toBeInstanceOf(DiskError);
      expect(error).toMatchObject({ path: file, code: "ENOSPC", message: `${file}: ENOSPC: no space left on device, write` });
      expect(loggedIds(file)).toEqual(written.map((e) => e.eventId));

      disk.resize("1m");
      expect(await log.append(failed)).toBe(failed.length);
      expect(await log.append([...written, ...failed])).toBe(0);
      expect(loggedIds(file)).toEqual([...written, ...failed].map((e) => e.eventId));
      expect(await verifyAuditDir(disk.dir)).toEqual({ ok: true, files: 1, lines: written.length + failed.length, torn: [] });
    } finally {
      await log.close();
    }
  });

  test("throws the DiskError out of the agent's batch, so the consume loop keeps it uncommitted", async () => {
    const disk = tmpfsDisk("16k");
    const agent = auditAgent(disk.dir, clock("2026-11-24T10:00:00.000Z"));
    const batch = tasksCreated(100);
    const error = await agent.handle(batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiskError);
    expect(error).toMatchObject({ path: join(disk.dir, DAY_FILE), code: "ENOSPC" });

    disk.resize("1m");
    expect(await agent.handle(batch)).toEqual([]);
    expect(loggedIds(join(disk.dir, DAY_FILE))).toEqual(batch.map((d) => d.event.event_id));
  });

  test("reports a full disk met while ending a torn line as a write to that file, not as a read", async () => {
    const disk = tmpfsDisk("128k");
    const file = join(disk.dir, DAY_FILE);
    const first = events(2);
    const before = auditLog(disk.dir);
    await before.append(first);
    await before.close();
    // Torn up to a page boundary, so the "\n" that ends it needs a page the full disk does not have.
    appendFileSync(file, "x".repeat(PAGE - (statSync(file).size % PAGE)));
    const filler = join(disk.dir, "filler");
    expect(() => writeFileSync(filler, Buffer.alloc(256 * 1024))).toThrow("ENOSPC");

    const log = auditLog(disk.dir);
    try {
      const batch = events(1);
      const error = await log.append(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DiskError);
      expect(error).toMatchObject({ path: file, code: "ENOSPC", message: `${file}: ENOSPC: no space left on device, write` });

      rmSync(filler);
      expect(await log.append(batch)).toBe(1);
      expect(await verifyAuditDir(disk.dir)).toEqual({ ok: true, files: 1, lines: 4, torn: [{ file, line: 3 }] });
    } finally {
      await log.close();
    }
  });

  test("reports a directory it cannot create on a read-only disk as a DiskError for the directory", async () => {
    const disk = tmpfsDisk("128k");
    const dir = join(disk.dir, "audit");
    disk.readOnly(true);
    const log = auditLog(dir);
    try {
      const batch = events(1);
      const error = await log.append(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DiskError);
      expect(error).toMatchObject({ path: dir, code: "EROFS" });
      expect((error as Error).message).not.toContain("read the audit log");

      disk.readOnly(false);
      expect(await log.append(batch)).toBe(1);
    } finally {
      await log.close();
    }
  });

  test("when the failed write cannot be cut back either, chains over the torn line at the next append", async () => {
    const disk = tmpfsDisk("128k");
    const file = join(disk.dir, DAY_FILE);
    const log = auditLog(disk.dir);
    const eio = Object.assign(new Error("EIO: i/o error, ftruncate"), { code: "EIO" });
    const truncate = spyOn(await fileHandlePrototype(), "truncate").mockRejectedValue(eio);
    try {
      const { written, failed, error } = await fillUp(log);
      expect(error).toMatchObject({ path: file, code: "ENOSPC" });
      expect(truncate).toHaveBeenCalled();
      truncate.mockRestore();

      disk.resize("1m");
      await log.append(failed);
      // Whole lines of the failed batch before the torn one count as written, and are not written again.
      const lines = readFileSync(file, "utf8").split("\n").slice(0, -1);
      const records = lines.filter(isJson);
      expect(records.map((line) => JSON.parse(line).event.event_id)).toEqual([...written, ...failed].map((e) => e.eventId));
      const torn = lines.findIndex((line) => !isJson(line)) + 1;
      expect(lines).toHaveLength(records.length + 1);
      expect(await verifyAuditDir(disk.dir)).toEqual({ ok: true, files: 1, lines: lines.length, torn: [{ file, line: torn }] });
    } finally {
      truncate.mockRestore();
      await log.close();
    }
  });

  test("keeps failures that are not the disk's an AuditLogError", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "audit"), "a file where the directory should be");
    const error = await auditLog(join(dir, "audit"))
      .append(events(1))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditLogError);
    expect(error).not.toBeInstanceOf(DiskError);
    expect((error as Error).message).toBe(`cannot create the audit directory ${join(dir, "audit")}`);
  });
});
