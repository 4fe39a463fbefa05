import { existsSync, readFileSync } from "node:fs";

/** The JVM option that makes the broker log each GC pause with its wall-clock time, for brokerGcPauses. */
export function gcLogOption(path: string): string {
  return `-Xlog:gc:file=${path}:time`;
}

export interface GcPause {
  /** When the pause was logged (its end), ms since the epoch. */
  at: number;
  ms: number;
}

// [2026-11-24T03:10:00.123+0000] GC(12) Pause Young (Allocation Failure) 300M->50M(981M) 12.345ms
const PAUSE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})([+-]\d{4})\] GC\(\d+\) Pause .* ([\d.]+)ms$/;

/**
 * The broker's GC pauses logged between `fromMs` and `toMs`: a stop of the broker stalls every produce and
 * fetch at once, which is what a latency tail of hundreds of milliseconds across all requests looks like.
 */
export function brokerGcPauses(path: string, fromMs: number, toMs: number): GcPause[] {
  if (!existsSync(path)) return [];
  const pauses: GcPause[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = PAUSE.exec(line);
    if (!match) continue;
    const zone = `${match[2]!.slice(0, 3)}:${match[2]!.slice(3)}`;
    const at = Date.parse(`${match[1]}${zone}`);
    if (at >= fromMs && at <= toMs) pauses.push({ at, ms: Number(match[3]) });
  }
  return pauses;
}
