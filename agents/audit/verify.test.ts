import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chainHash, formatLine, parseLine } from "./chain.ts";
import { verifyAuditDir } from "./verify.ts";
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
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 3, lines: 9 });
    expect(await verifyAuditDir(tempDir())).toEqual({ ok: true, files: 0, lines: 0 });
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
