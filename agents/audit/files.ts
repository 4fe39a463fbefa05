import { readdirSync } from "node:fs";
import { open, readdir, type FileHandle } from "node:fs/promises";

const FILE_NAME = /^audit-\d{4}-\d{2}-\d{2}\.jsonl$/;
const NEWLINE = 0x0a;
const CHUNK_BYTES = 1024 * 1024;

/** `audit-YYYY-MM-DD.jsonl` for the UTC day of an ISO timestamp. */
export function auditFileName(loggedAt: string): string {
  return `audit-${loggedAt.slice(0, 10)}.jsonl`;
}

/** The audit files of `dir`, oldest first: the names sort by date. */
export async function listAuditFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => FILE_NAME.test(name)).sort();
}

/** listAuditFiles, for readers that are synchronous (the trace index runs inside SQLite transactions). */
export function listAuditFilesSync(dir: string): string[] {
  return readdirSync(dir).filter((name) => FILE_NAME.test(name)).sort();
}

/**
 * The lines of a file, without their "\n", as bytes: hashes are over bytes, and a torn line may end inside a
 * UTF-8 sequence. A last line without "\n" is yielded too. A line is valid until the next one is asked for.
 */
export async function* readLines(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
        yield data.subarray(start, end);
        start = end + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0) yield carry;
  } finally {
    await file.close();
  }
}

export interface FileTail {
  /** The last lines, oldest first, without their "\n". */
  lines: Buffer[];
  /** Every line of the file is in `lines`. */
  whole: boolean;
  size: number;
  /** Empty, or its last byte is "\n"; otherwise a write was torn. */
  terminated: boolean;
}

/** Up to `count` last lines of a file, read backwards in chunks so a large file costs only its tail. */
export async function readTail(path: string, count: number): Promise<FileTail> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const chunks: Buffer[] = [];
    let start = size;
    let newlines = 0;
    // One newline more than lines wanted: the line before the first wanted one must end inside what was read.
    while (start > 0 && newlines <= count) {
      const from = Math.max(0, start - CHUNK_BYTES);
      const chunk = await readAt(file, from, start - from);
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) newlines++;
      chunks.unshift(chunk);
      start = from;
    }
    const data = Buffer.concat(chunks);
    const terminated = size === 0 || data[data.length - 1] === NEWLINE;
    const lines = splitLines(terminated ? data.subarray(0, -1) : data, size > 0);
    if (start > 0) lines.shift(); // begins mid-line
    const whole = start === 0 && lines.length <= count;
    return { lines: whole ? lines : lines.slice(-count), whole, size, terminated };
  } finally {
    await file.close();
  }
}

function splitLines(data: Buffer, nonEmpty: boolean): Buffer[] {
  const lines: Buffer[] = [];
  if (!nonEmpty) return lines;
  let start = 0;
  for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
    lines.push(data.subarray(start, end));
    start = end + 1;
  }
  lines.push(data.subarray(start));
  return lines;
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
