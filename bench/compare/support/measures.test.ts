import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerGcPauses } from "./broker-gc.ts";
import { percentile } from "./stats.ts";

const dir = mkdtempSync(join(tmpdir(), "bench-measures-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("percentile", () => {
  test("is the nearest-rank value, so p99 of 100 values is the 99th smallest", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([percentile(values, 50), percentile(values, 99), percentile(values, 100)]).toEqual([50, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("broker GC pauses", () => {
  test("are read from the JVM's gc log with their time, only within the window asked for", () => {
    const log = join(dir, "gc.log");
    writeFileSync(
      log,
      [
        "[2026-11-24T03:06:29.419+0000] Using Parallel",
        "[2026-11-24T03:06:30.447+0000] GC(0) Pause Young (Metadata GC Threshold) 82M->8M(981M) 10.740ms",
        "[2026-11-24T04:06:31.000+0100] GC(1) Pause Full (Ergonomics) 600M->200M(981M) 412.500ms",
        "[2026-11-24T03:07:00.000+0000] GC(2) Pause Young (Allocation Failure) 300M->50M(981M) 3.100ms",
        "",
      ].join("\n"),
    );
    const from = Date.parse("2026-11-24T03:06:30.000Z");
    const to = Date.parse("2026-11-24T03:06:59.000Z");
    expect(brokerGcPauses(log, from, to)).toEqual([
      { at: Date.parse("2026-11-24T03:06:30.447Z"), ms: 10.74 },
      { at: Date.parse("2026-11-24T03:06:31.000Z"), ms: 412.5 },
    ]);
  });

  test("are none when the broker wrote no log", () => {
    expect(brokerGcPauses(join(dir, "missing.log"), 0, Date.now())).toEqual([]);
  });
});
