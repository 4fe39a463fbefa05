import { join } from "node:path";
import { chainHash, GENESIS, parseLine } from "./chain.ts";
import { listAuditFiles, readLines } from "./files.ts";

export type VerifyResult =
  | { ok: true; files: number; lines: number }
  | { ok: false; file: string; line: number; reason: string };

interface Break {
  file: string;
  line: number;
  reason: string;
}

/**
 * Walks the audit files of `dir` in date order along the hash chain (chain.ts) and names the first line that
 * breaks it: `file` is its path, `line` counts from 1. A line that is not a record passes only when the next
 * record chains over it, which is what the agent does after a torn write. Throws if `dir` cannot be read.
 */
export async function verifyAuditDir(dir: string): Promise<VerifyResult> {
  const names = await listAuditFiles(dir);
  let expected = GENESIS;
  let lines = 0;
  // The first of the non-records since the last record: it is the break unless the next record covers it.
  let uncovered: Break | undefined;
  for (const name of names) {
    const file = join(dir, name);
    let line = 0;
    for await (const bytes of readLines(file)) {
      line++;
      lines++;
      const parsed = parseLine(bytes);
      if (!parsed.ok) {
        uncovered ??= { file, line, reason: parsed.reason };
        expected = chainHash(expected, bytes);
        continue;
      }
      const { prev, hash, record } = parsed.entry;
      if (chainHash(prev, record) !== hash) return { ok: false, file, line, reason: "hash mismatch: the line was changed" };
      if (prev !== expected) {
        return uncovered === undefined
          ? { ok: false, file, line, reason: `prev mismatch: a line before it was removed, changed or moved (expected ${expected}, found ${prev})` }
          : { ok: false, ...uncovered };
      }
      uncovered = undefined;
      expected = hash;
    }
  }
  return uncovered === undefined ? { ok: true, files: names.length, lines } : { ok: false, ...uncovered };
}
