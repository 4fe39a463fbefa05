import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chainHash, formatLine, parseLine } from "./chain.ts";
import { formatVerifyResult, verifyAuditDir, type VerifyResult } from "./verify.ts";
import { auditAgent, cleanUp, clock, fileLines, tasksCreated, tempDir } from "./testing.ts";

afterAll(cleanUp);

const DAYS = ["audit-2025-01-15.jsonl", "audit-2025-01-16.jsonl", "audit-2025-01-17.jsonl"];

/** Three days of three lines each, titled "Review quarterly report 0" to "... 8". */
async function auditDir(): Promise<{ dir: string; files: string[] }> {
  const dir = tempDir();
  const agent = auditAgent(dir, clock("2025-01-15T00:00:00.000Z", 8 * 3600_000));
  await agent.handle(tasksCreated(9));
  await agent.close();
  return { dir, files: DAYS.map((name) => join(dir, name)) };
}

function editLines(file: string, edit: (lines: string[]) => string[]): void {
  writeFileSync(file, edit(fileLines(file)).map((line) => `${line}\n`).join(""));
}

describe("verifying an audit directory", () => {
  test("is ok on untouched files, counting files and lines", async () => {
    const { dir } = await auditDir();
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 3, lines: 9, torn: [] });
    expect(await verifyAuditDir(tempDir())).toEqual({ ok: true, files: 0, lines: 0, torn: [] });
  });

  test("names the file and line of an event whose title changed by one character", async () => {
    const { dir, files } = await auditDir();
    editLines(files[1]!, (lines) => lines.map((line) => line.replace("Review quarterly report 4", "Review quarterly report 7")));
    expect(await verifyAuditDir(dir)).toEqual({ ok: false, file: files[1]!, line: 2, reason: "hash mismatch: the line was changed" });
  });

  test("names the line after a deleted line", async () => {
    const { dir, files } = await auditDir();
    editLines(files[1]!, (lines) => lines.filter((_, i) => i !== 0));
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: false, file: files[1]!, line: 1, reason: expect.stringMatching(/^prev mismatch/) });
  });

  test("names the first line of the next day when a day's last line or whole file is gone", async () => {
    const { dir, files } = await auditDir();
    editLines(files[0]!, (lines) => lines.slice(0, -1));
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: false, file: files[1]!, line: 1, reason: expect.stringMatching(/^prev mismatch/) });

    const other = await auditDir();
    rmSync(other.files[1]!);
    expect(await verifyAuditDir(other.dir)).toMatchObject({ ok: false, file: other.files[2]!, line: 1 });
  });

  test("names the first of two lines that were swapped", async () => {
    const { dir, files } = await auditDir();
    editLines(files[2]!, ([a, b, c]) => [a!, c!, b!]);
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: false, file: files[2]!, line: 2, reason: expect.stringMatching(/^prev mismatch/) });
  });

  test("names the line after one that was changed and given a fresh hash", async () => {
    const { dir, files } = await auditDir();
    editLines(files[0]!, (lines) =>
      lines.map((line, i) => {
        if (i !== 1) return line;
        const parsed = parseLine(Buffer.from(line.replace("report 1", "report X")));
        if (!parsed.ok) throw new Error(parsed.reason);
        const { prev, record } = parsed.entry;
        return formatLine(record, prev, chainHash(prev, record));
      }),
    );
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: false, file: files[0]!, line: 3, reason: expect.stringMatching(/^prev mismatch/) });
  });

  test("names a line that is no longer JSON, or is JSON but no audit record", async () => {
    const { dir, files } = await auditDir();
    editLines(files[0]!, (lines) => lines.map((line, i) => (i === 1 ? line.slice(0, -1) : line)));
    expect(await verifyAuditDir(dir)).toEqual({ ok: false, file: files[0]!, line: 2, reason: "bad JSON" });

    editLines(files[0]!, (lines) => lines.map((line, i) => (i === 1 ? '{"logged_at":"2025-01-15T08:00:00.000Z"}' : line)));
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: false, file: files[0]!, line: 2, reason: expect.stringMatching(/^not an audit record/) });
  });

  test("agrees with a Python check written from the documented definition", async () => {
    const { dir, files } = await auditDir();
    const script = [
      "import hashlib, json, sys",
      "prev = '0' * 64",
      "for path in sys.argv[1:]:",
      "    for line in open(path, 'rb').read().decode('utf-8').splitlines():",
      "        entry = json.loads(line)",
      "        record = line[:-149] + '}'",
      "        assert json.loads(record) == {'logged_at': entry['logged_at'], 'event': entry['event']}",
      "        assert entry['prev'] == prev, path",
      "        prev = hashlib.sha256((prev + '\\n' + record).encode('utf-8')).hexdigest()",
      "        assert entry['hash'] == prev, path",
      "print('ok')",
    ].join("\n");
    const python = Bun.spawnSync(["python3", "-c", script, ...files]);
    expect(python.stderr.toString()).toBe("");
    expect(python.stdout.toString()).toBe("ok\n");
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: true });
  });
});

describe("verifying a log with lines torn by interrupted writes", () => {
  /** Tears the file's last line as a write cut short leaves it, then lets a restarted agent chain over it. */
  async function tearAndResume(dir: string, file: string, at: string): Promise<void> {
    appendFileSync(file, '{"logged_at":"2025-01-15T10:00:01.000Z","event":{"event_id":"4f1c","metadata":{"source":"email-age');
    await auditAgent(dir, clock(at)).handle(tasksCreated(1, `after the tear at ${at}`));
  }

  test("passes, and names each torn line the chain covers by file and line", async () => {
    const dir = tempDir();
    const file = join(dir, "audit-2025-01-15.jsonl");
    await auditAgent(dir, clock("2025-01-15T10:00:00.000Z")).handle(tasksCreated(2));
    await tearAndResume(dir, file, "2025-01-15T10:05:00.000Z");
    await tearAndResume(dir, file, "2025-01-15T10:10:00.000Z");
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 1, lines: 6, torn: [{ file, line: 3 }, { file, line: 5 }] });
  });

  test("still names a torn last line that no record covers yet as the break", async () => {
    const dir = tempDir();
    const file = join(dir, "audit-2025-01-15.jsonl");
    await auditAgent(dir, clock("2025-01-15T10:00:00.000Z")).handle(tasksCreated(2));
    appendFileSync(file, '{"logged_at":"2025-01-15T10:00:01.000Z","ev\n');
    expect(await verifyAuditDir(dir)).toEqual({ ok: false, file, line: 3, reason: "bad JSON" });
  });
});

describe("formatting a verify result", () => {
  const dir = "/data/audit";
  const tornAt = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ file: join(dir, `audit-2026-11-${String(10 + i).padStart(2, "0")}.jsonl`), line: 57 + i }));

  test("says ok with the files and lines counted, and exits 0", () => {
    expect(formatVerifyResult({ ok: true, files: 3, lines: 900, torn: [] })).toEqual({ text: "ok (3 files, 900 lines)", exitCode: 0 });
    expect(formatVerifyResult({ ok: true, files: 1, lines: 1, torn: [] })).toEqual({ text: "ok (1 file, 1 line)", exitCode: 0 });
  });

  test("adds the torn lines by file name and line, still exiting 0", () => {
    const one: VerifyResult = { ok: true, files: 3, lines: 900, torn: [{ file: join(dir, "audit-2026-11-24.jsonl"), line: 57 }] };
    expect(formatVerifyResult(one)).toEqual({
      text: "ok (3 files, 900 lines); 1 torn line from an interrupted write, covered by the chain: audit-2026-11-24.jsonl line 57",
      exitCode: 0,
    });
    expect(formatVerifyResult({ ok: true, files: 2, lines: 900, torn: tornAt(2) }).text).toBe(
      "ok (2 files, 900 lines); 2 torn lines from interrupted writes, covered by the chain: audit-2026-11-10.jsonl line 57, audit-2026-11-11.jsonl line 58",
    );
  });

  test("lists ten torn lines, then counts the rest", () => {
    const { text } = formatVerifyResult({ ok: true, files: 12, lines: 900, torn: tornAt(12) });
    expect(text).toStartWith("ok (12 files, 900 lines); 12 torn lines from interrupted writes, covered by the chain: audit-2026-11-10.jsonl line 57, ");
    expect(text).toEndWith(", audit-2026-11-19.jsonl line 66, and 2 more");
    expect(text.match(/ line \d+/g)).toHaveLength(10);
  });

  test("says broken with the file, line and reason, and exits 1", () => {
    const broken: VerifyResult = { ok: false, file: join(dir, "audit-2026-11-24.jsonl"), line: 57, reason: "hash mismatch: the line was changed" };
    expect(formatVerifyResult(broken)).toEqual({ text: "broken: /data/audit/audit-2026-11-24.jsonl line 57: hash mismatch: the line was changed", exitCode: 1 });
  });
});
