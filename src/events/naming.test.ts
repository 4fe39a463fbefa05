import { describe, expect, test } from "bun:test";
import { EVENT_TYPES } from "./catalog/index.ts";
import { checkEventTypeName, NAMING_EXCEPTIONS } from "./naming.ts";

describe("the naming rule", () => {
  // Adding a command-like name such as task.create to the catalog fails here.
  test.each(EVENT_TYPES.map((type) => [type]))("holds for catalog type %s", (type) => {
    expect(checkEventTypeName(type)).toEqual({ ok: true });
  });

  test("names every exception it allows, each with a reason, and each in the catalog", () => {
    for (const [type, reason] of Object.entries(NAMING_EXCEPTIONS)) {
      expect(reason.length).toBeGreaterThan(20);
      expect(EVENT_TYPES).toContain(type as (typeof EVENT_TYPES)[number]);
    }
  });

  test.each([
    ["task.create", "not a past-tense verb"],
    ["agent.heartbeats", "not a past-tense verb"],
    ["notification.send", "not a past-tense verb"],
    ["task", "lower-case dot-separated"],
    ["Task.Created", "lower-case dot-separated"],
    ["task..created", "lower-case dot-separated"],
    ["task.created.", "lower-case dot-separated"],
    ["task-created", "lower-case dot-separated"],
    ["task.1created", "lower-case dot-separated"],
  ])("refuses %s", (type, reason) => {
    const check = checkEventTypeName(type);
    expect(check.ok ? "accepted" : check.reason).toContain(reason);
  });

  test("refuses a name over 128 characters", () => {
    const check = checkEventTypeName(`task.${"a".repeat(122)}ed`);
    expect(check.ok ? "accepted" : check.reason).toContain("longer than 128");
  });

  test.each(["task.created", "agent.task.accepted", "notification.sent", "build.built", "report_job.run"])(
    "accepts %s",
    (type) => expect(checkEventTypeName(type)).toEqual({ ok: true }),
  );
});
