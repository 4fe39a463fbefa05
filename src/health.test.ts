import { describe, expect, test } from "bun:test";
import { Health } from "./health.ts";

describe("readiness checks", () => {
  test("is ready with no checks at all", () => {
    expect(new Health().report()).toEqual({ ready: true, checks: {}, missing: [] });
  });

  test("lists each check by name, and what each failing one says is missing", () => {
    const health = new Health();
    health.add("broker", () => "broker unreachable for 12 s: Connect to 127.0.0.1:9092 failed: Connection refused");
    health.add("consumer-group", () => undefined);
    health.add("disk", () => "disk full or failing: /data/email-processed.sqlite: database or disk is full");
    expect(health.report()).toEqual({
      ready: false,
      checks: { broker: false, "consumer-group": true, disk: false },
      missing: [
        "broker unreachable for 12 s: Connect to 127.0.0.1:9092 failed: Connection refused",
        "disk full or failing: /data/email-processed.sqlite: database or disk is full",
      ],
    });
  });

  test("asks each check again on every report, so a cured problem clears", () => {
    const health = new Health();
    let problem: string | undefined = "disk full or failing: /data/audit.log: ENOSPC";
    health.add("disk", () => problem);
    expect(health.report().ready).toBe(false);
    problem = undefined;
    expect(health.report()).toEqual({ ready: true, checks: { disk: true }, missing: [] });
  });

  test("refuses a second check under a name already taken, keeping the first", () => {
    const health = new Health();
    health.add("broker", () => undefined);
    expect(() => health.add("broker", () => "broker unreachable")).toThrow("readiness check broker is already registered");
    expect(health.report()).toEqual({ ready: true, checks: { broker: true }, missing: [] });
  });
});
