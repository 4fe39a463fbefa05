import { basename, join } from "node:path";
import { chainHash, GENESIS, parseLine } from "./chain.ts";
import { listAuditFiles, readLines } from "./files.ts";

/** Where a line is: `file` is its path, `line` counts from 1. */
export interface LineLocation {
  file: string;
  line: number;
}

export type VerifyResult =
  /** `torn`: lines that are no record (left by an interrupted write) but that the next record chains over. */
  | { ok: true; files: number; lines: number; torn: LineLocation[] }
  | { ok: false; file: string; line: number; reason: string };

/** How many torn lines formatVerifyResult names before it only counts the rest. */
const TORN_LISTED = 10;

/**
 * Walks the audit files of `dir` in date order along the hash chain (chain.ts) and names the first line that
 * breaks it: `file` is its path, `line` counts from 1. A line that is not a record passes only when the next
 * record chains over it, which is what the agent does after a torn write; such lines are listed in `torn`,
 * since a reader of the files meets them too. Throws if `dir` cannot be read.
 */
export async function verifyAuditDir(dir: string): Promise<VerifyResult> {
  const names = await listAuditFiles(dir);
  const torn: LineLocation[] = [];
  let expected = GENESIS;
  let lines = 0;
  // The non-records since the last record: the first is the break unless the next record covers them.
  let uncovered: Array<LineLocation & { reason: string }> = [];
  for (const name of names) {
    const file = join(dir, name);
    let line = 0;
    for await (const bytes of readLines(file)) {
      line++;
      lines++;
      const parsed = parseLine(bytes);
      if (!parsed.ok) {
        uncovered.push({ file, line, reason: parsed.reason });
        expected = chainHash(expected, bytes);
        continue;
      }
      const { prev, hash, record } = parsed.entry;
      if (chainHash(prev, record) !== hash) return { ok: false, file, line, reason: "hash mismatch: the line was changed" };
      if (prev !== expected) {
        return uncovered[0] === undefined
          ? { ok: false, file, line, reason: `prev mismatch: a line before it was removed, changed or moved (expected ${expected}, found ${prev})` }
          : { ok: false, ...uncovered[0] };
      }
      for (const { file, line } of uncovered) torn.push({ file, line });
      uncovered = [];
      expected = hash;
    }
  }
  return uncovered[0] === undefined ? { ok: true, files: names.length, lines, torn } : { ok: false, ...uncovered[0] };
}

/**
 * The verdict for a person, and the exit code for a script: torn lines are reported but pass, as the chain
 * shows nothing was changed there; they are named by file name, the directory being the one asked about.
 */
export function formatVerifyResult(result: VerifyResult): { text: string; exitCode: 0 | 1 } {
  if (!result.ok) return { text: `broken: ${result.file} line ${result.line}: ${result.reason}`, exitCode: 1 };
  const text = `ok (${count(result.files, "file")}, ${count(result.lines, "line")})`;
  if (result.torn.length === 0) return { text, exitCode: 0 };
  return { text: `${text}; ${tornSummary(result.torn)}`, exitCode: 0 };
}

function tornSummary(torn: readonly LineLocation[]): string {
  const what = torn.length === 1 ? "1 torn line from an interrupted write" : `${torn.length} torn lines from interrupted writes`;
  const listed = torn.slice(0, TORN_LISTED).map(({ file, line }) => `${basename(file)} line ${line}`);
  if (torn.length > TORN_LISTED) listed.push(`and ${torn.length - TORN_LISTED} more`);
  return `${what}, covered by the chain: ${listed.join(", ")}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
