// Events cross between our TypeScript and the spec's Python code in both directions.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChildEvent, createEvent, parseEvent, serializeEvent, startChain } from "../src/events/index.ts";

const FIXTURES = join(import.meta.dir, "fixtures", "events");
const PYTHON_WRITTEN = join(FIXTURES, "python-written");

function pythonWritten(directory: string): [string, string][] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(".json"))
    .map((name) => [name, readFileSync(join(directory, name), "utf8")]);
}

/** Python's `datetime.isoformat()` in UTC (`...22.456789+00:00`) as we write it (`...22.456Z`). */
function asWeWriteIt(pythonTimestamp: string): string {
  const match = /^(.{19})(?:\.(\d+))?\+00:00$/.exec(pythonTimestamp);
  if (match === null) throw new Error(`not a Python UTC timestamp: ${pythonTimestamp}`);
  return `${match[1]}.${(match[2] ?? "").padEnd(3, "0").slice(0, 3)}Z`;
}

describe("events written by the spec's Python code", () => {
  const valid = pythonWritten(PYTHON_WRITTEN);
  const invalid = pythonWritten(join(PYTHON_WRITTEN, "invalid"));

  // The tests below are made one per file listed: without this guard an emptied folder would run none.
  test.each([
    ["python-written", 5, valid],
    ["python-written/invalid", 1, invalid],
  ] as const)("%s holds at least %d fixture(s)", (_, expected, fixtures) => {
    expect(fixtures.length).toBeGreaterThanOrEqual(expected);
  });

  test("are all present", () => {
    expect(valid.map(([name]) => name).sort()).toEqual([
      "agent-heartbeat-domain-event.json",
      "notification-sent-domain-event.json",
      "task-created-by-api.json",
      "task-created-unicode-title.json",
      "unknown-type-domain-event.json",
    ]);
  });

  test.each(valid)("parse: %s", (name, text) => {
    const original = JSON.parse(text);
    const result = parseEvent(new TextEncoder().encode(text));
    if (!result.ok) throw result.error;
    expect(result.known).toBe(name !== "unknown-type-domain-event.json");
    expect(result.event).toEqual({ ...original, occurred_at: asWeWriteIt(original.occurred_at) });
  });

  test("decode escaped non-ASCII, surrogate pairs included", () => {
    const text = readFileSync(join(PYTHON_WRITTEN, "task-created-unicode-title.json"), "utf8");
    const result = parseEvent(text);
    expect(result.ok && result.known && result.event.event_type === "task.created" && result.event.data.title).toBe(
      "Überprüfung 季度报告 ✅ 😀",
    );
  });

  test.each(invalid)("are refused when they carry no tracing: %s", (_, text) => {
    const result = parseEvent(text);
    expect(result.ok || result.error.issues.map((issue) => issue.path)).toEqual([
      "metadata.correlation_id",
      "metadata.causation_id",
      "metadata.source",
    ]);
  });
});

describe("events we write", () => {
  test("are read by the spec's e-mail and audit consumers with json.loads and dict access", () => {
    const start = startChain("req-123", { causationId: "api-create-task-123", source: "task-api" });
    if (!start.ok) throw start.error;
    const created = createEvent(
      "task.created",
      { task_id: "task-123", title: 'Überprüfung 季度报告 ✅ 😀 "quoted"', owner_id: "user-456", priority: 2 },
      start.metadata,
    );
    const sent = createChildEvent(
      created,
      "notification.sent",
      { channel: "email", task_id: "task-123", recipient: "user-456@company.com" },
      "notification-email",
    );
    const events = [created, sent];
    const logDir = mkdtempSync(join(tmpdir(), "audit-"));
    try {
      const messages = events.map((event) => Buffer.from(serializeEvent(event)).toString("base64"));
      const run = Bun.spawnSync(["python3", join(FIXTURES, "python", "consume.py"), logDir], {
        stdin: new TextEncoder().encode(messages.join("\n")),
      });
      expect(run.exitCode, run.stderr.toString()).toBe(0);

      // The e-mail agent acted on task.created only, and read every field it needs.
      const emails = run.stdout.toString().trim().split("\n").map((line) => JSON.parse(line));
      expect(emails).toEqual([
        {
          to: "user-456@company.com",
          subject: 'New task: Überprüfung 季度报告 ✅ 😀 "quoted"',
          body: "Task ID: task-123\nCorrelation: req-123",
        },
      ]);

      // The audit agent logged both events exactly, keys in the spec's order.
      const [logFile, ...others] = readdirSync(logDir);
      expect(others).toEqual([]);
      const logged = readFileSync(join(logDir, logFile!), "utf8").trim().split("\n").map((line) => JSON.parse(line));
      expect(logged.map((entry) => entry.event)).toEqual(events);
      for (const { event } of logged) {
        expect(Object.keys(event)).toEqual(["event_id", "event_type", "occurred_at", "data", "metadata"]);
        expect(Object.keys(event.metadata)).toEqual(["correlation_id", "causation_id", "source"]);
      }
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
