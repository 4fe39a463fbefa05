import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";

const NEWLINE = 0x0a;
const CHUNK = 4 * 1024 * 1024;

/** Counts the lines of the audit-*.jsonl files in a directory, reading only what was appended since last time. */
export class AuditLineCounter {
  private readonly offsets = new Map<string, number>();
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private lines = 0;

  constructor(private readonly dir: string) {}

  count(): number {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => /^audit-.*\.jsonl$/.test(n));
    } catch {
      return 0;
    }
    for (const name of names) {
      const fd = openSync(join(this.dir, name), "r");
      try {
        let offset = this.offsets.get(name) ?? 0;
        for (;;) {
          const n = readSync(fd, this.buffer, 0, CHUNK, offset);
          if (n === 0) break;
          // Only whole lines count; a partly written last line is read again next time.
          const lastNewline = this.buffer.lastIndexOf(NEWLINE, n - 1);
          if (lastNewline < 0) break;
          for (let i = this.buffer.indexOf(NEWLINE); i >= 0 && i <= lastNewline; i = this.buffer.indexOf(NEWLINE, i + 1)) {
            this.lines++;
          }
          offset += lastNewline + 1;
          if (n < CHUNK) break;
        }
        this.offsets.set(name, offset);
      } finally {
        closeSync(fd);
      }
    }
    return this.lines;
  }
}

/** Events our audit agent has handled (written and fsynced before the handler returns), from its /metrics. */
export async function auditHandled(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("agent_events_handled_total{")) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** Sum of agent_events_consumer_lag over every partition. */
export async function consumerLag(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("agent_events_consumer_lag{")) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
