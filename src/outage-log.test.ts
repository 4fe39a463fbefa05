import { describe, expect, test } from "bun:test";
import type { Logger } from "./log.ts";
import { OutageLog } from "./outage-log.ts";

interface Line {
  level: "warn" | "info";
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps each call; OutageLog writes warn and info lines only. */
function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const record = (level: Line["level"]) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  const logger = { warn: record("warn"), info: record("info"), child: () => logger };
  return { logger: logger as unknown as Logger, lines };
}

/** An OutageLog whose clock the test moves, starting at an arbitrary moment. */
function outageLog() {
  const { logger, lines } = recordingLogger();
  let now = 1_750_000_000_000;
  const log = new OutageLog(logger, { name: "broker", recovered: "broker reachable" }, () => now);
  return { log, lines, advance: (ms: number) => void (now += ms), now: () => now };
}

describe("outage log", () => {
  test("logs one warning when an outage begins", () => {
    const { log, lines } = outageLog();
    log.began("broker unreachable: Connect to 127.0.0.1:9092 failed: Connection refused");
    expect(lines).toEqual([
      { level: "warn", fields: { outage: "broker" }, message: "broker unreachable: Connect to 127.0.0.1:9092 failed: Connection refused" },
    ]);
    expect(log.active).toBe(true);
  });

  test("logs nothing more within 30 s, however often the failure is reported", () => {
    const { log, lines, advance } = outageLog();
    log.began("broker unreachable");
    for (let i = 0; i < 100; i++) {
      advance(290);
      log.began("broker unreachable");
      log.still("broker unreachable");
    }
    // 29 s after the first line.
    expect(lines).toHaveLength(1);
  });

  test("logs again once 30 s have passed, saying for how long, then not again for another 30 s", () => {
    const { log, lines, advance } = outageLog();
    log.began("broker unreachable");
    advance(30_000);
    log.still("broker unreachable");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ level: "warn", fields: { outage: "broker", outage_seconds: 30 }, message: "broker unreachable (for 30 s)" });

    advance(20_000);
    log.began("broker unreachable");
    expect(lines).toHaveLength(2);
    advance(10_000);
    log.began("broker unreachable");
    expect(lines).toHaveLength(3);
    expect(lines[2]!.message).toBe("broker unreachable (for 60 s)");
  });

  test("logs once when the outage ends, saying how long it lasted", () => {
    const { log, lines, advance } = outageLog();
    log.began("broker unreachable");
    advance(12_400);
    log.ended();
    log.ended();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ level: "info", fields: { outage: "broker", outage_seconds: 12 }, message: "broker reachable again after 12 s" });
    expect(log.active).toBe(false);
    expect(log.since).toBeUndefined();
  });

  test("logs nothing when there was no outage", () => {
    const { log, lines, advance } = outageLog();
    log.still("broker unreachable");
    advance(60_000);
    log.still("broker unreachable");
    log.ended();
    expect(lines).toEqual([]);
    expect(log.active).toBe(false);
  });

  test("says when the outage began, and a new outage after the end begins with a line of its own", () => {
    const { log, lines, advance, now } = outageLog();
    log.began("broker unreachable");
    const first = now();
    expect(log.since).toBe(first);
    advance(5_000);
    log.ended();
    advance(1_000);
    log.began("broker unreachable");
    expect(log.since).toBe(first + 6_000);
    expect(lines.map((line) => line.level)).toEqual(["warn", "info", "warn"]);
    expect(lines[2]!.fields).toEqual({ outage: "broker" });
  });
});
