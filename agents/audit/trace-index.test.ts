import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { AuditLog } from "./audit-log.ts";
import { cleanUp, clock, tempDir } from "./testing.ts";
import { INDEX_FILE } from "./trace-index-schema.ts";
import { TraceIndex } from "./trace-index.ts";

afterAll(cleanUp);

const opened: TraceIndex[] = [];
afterAll(() => opened.forEach((index) => index.close()));

function openIndex(dir: string): TraceIndex {
  const index = TraceIndex.open(dir);
  opened.push(index);
  return index;
}

interface Spec {
  id: string;
  type: string;
  cause: string;
  at: number;
  data?: Record<string, unknown>;
}

/** One story's events as JSON envelopes: a task created by the api, assigned and completed, or as given. */
function story(correlation: string, taskId: string, specs?: Spec[]) {
  const events = specs ?? [
    { id: `${taskId}-created`, type: "task.created", cause: "api-call", at: 0, data: { title: `Task ${taskId}` } },
    { id: `${taskId}-assigned`, type: "task.assigned", cause: `${taskId}-created`, at: 5 },
    { id: `${taskId}-failed`, type: "task.failed", cause: `${taskId}-assigned`, at: 9 },
  ];
  return events.map(({ id, type, cause, at, data }) => ({
    eventId: id,
    event: new TextEncoder().encode(
      JSON.stringify({
        event_id: id,
        event_type: type,
        occurred_at: new Date(Date.UTC(2026, 10, 24, 12, 0, 0, at)).toISOString(),
        data: { task_id: taskId, ...data },
        metadata: { correlation_id: correlation, causation_id: cause, source: "test" },
      }),
    ),
  }));
}

async function writeLog(dir: string, entries: ReturnType<typeof story>, start = "2026-11-24T12:00:00.000Z") {
  const log = new AuditLog({ dir, logger: silentLogger, now: clock(start) });
  await log.append(entries);
  await log.close();
}

const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId).sort();

describe("TraceIndex", () => {
  test("finds a story by its correlation, task, workflow or event id, and nothing for an unknown id", async () => {
    const dir = tempDir();
    const run = story("req-2", "wf-1", [
      { id: "w1", type: "workflow.started", cause: "api", at: 0, data: { workflow_id: "wf-1" } },
      { id: "w2", type: "task.assigned", cause: "w1", at: 3, data: { workflow_id: "wf-1", task_id: "step-1" } },
    ]);
    await writeLog(dir, [...story("req-1", "task-1"), ...run]);
    const index = openIndex(dir);
    expect(await index.catchUp()).toEqual({ indexed: 5 });
    const expected = ["task-1-assigned", "task-1-created", "task-1-failed"];
    for (const id of ["req-1", "task-1", "task-1-assigned"]) expect(ids(index.story(id))).toEqual(expected);
    expect(ids(index.story("wf-1"))).toEqual(["w1", "w2"]);
    expect(ids(index.story("step-1"))).toEqual(["w1", "w2"]);
    expect(index.story("no-such-id")).toEqual([]);
  });

  test("gives each event its type, source, time, cause and JSON as the log holds it", async () => {
    const dir = tempDir();
    await writeLog(dir, story("req-1", "task-1"));
    const index = openIndex(dir);
    await index.catchUp();
    const created = index.story("task-1").find((e) => e.eventType === "task.created")!;
    expect(created).toMatchObject({
      eventId: "task-1-created",
      source: "test",
      occurredAt: "2026-11-24T12:00:00.000Z",
      correlationId: "req-1",
      causationId: "api-call",
    });
    expect(readFileSync(join(dir, "audit-2026-11-24.jsonl"), "utf8")).toContain(`"event":${created.json},"prev"`);
  });

  test("catches up with lines appended since, indexing each once", async () => {
    const dir = tempDir();
    await writeLog(dir, story("req-1", "task-1"));
    const index = openIndex(dir);
    await index.catchUp();
    await writeLog(dir, story("req-2", "task-2"), "2026-11-24T13:00:00.000Z");
    expect(await index.catchUp()).toEqual({ indexed: 3 });
    expect(await index.catchUp()).toEqual({ indexed: 0 });
    expect(ids(index.story("req-2"))).toHaveLength(3);
    expect(ids(index.story("req-1"))).toHaveLength(3);
  });

  test("leaves a line that is still being written for the next catch-up", async () => {
    const dir = tempDir();
    await writeLog(dir, story("req-1", "task-1"));
    const file = join(dir, "audit-2026-11-24.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    truncateSync(file, lines[0]!.length + 1 + 20);
    const index = openIndex(dir);
    expect(await index.catchUp()).toEqual({ indexed: 1 });
    writeFileSync(file, `${lines.slice(0, 3).join("\n")}\n`);
    expect(await index.catchUp()).toEqual({ indexed: 2 });
    expect(ids(index.story("req-1"))).toHaveLength(3);
  });

  test("is rebuilt from the log when its file is missing", async () => {
    const dir = tempDir();
    await writeLog(dir, story("req-1", "task-1"));
    openIndex(dir).close();
    rmSync(join(dir, INDEX_FILE));
    const index = openIndex(dir);
    expect(await index.catchUp()).toEqual({ indexed: 3 });
    expect(ids(index.story("task-1"))).toHaveLength(3);
  });

  test("is rebuilt when a log file was rewritten, shortened or removed under it", async () => {
    const dir = tempDir();
    await writeLog(dir, story("req-1", "task-1"));
    const index = openIndex(dir);
    await index.catchUp();
    // Same length, other bytes: the log was replaced by another of the same size.
    const file = join(dir, "audit-2026-11-24.jsonl");
    writeFileSync(file, readFileSync(file, "utf8").replaceAll("task-1", "task-9"));
    expect(await index.catchUp()).toEqual({ indexed: 3 });
    expect(index.story("task-1")).toEqual([]);
    expect(ids(index.story("task-9"))).toHaveLength(3);

    truncateSync(file, 0);
    await writeLog(dir, story("req-3", "task-3").slice(0, 1));
    expect(await index.catchUp()).toEqual({ indexed: 1 });
    expect(index.story("task-9")).toEqual([]);

    rmSync(file);
    await writeLog(dir, story("req-4", "task-4"), "2026-11-25T00:00:00.000Z");
    expect(await index.catchUp()).toEqual({ indexed: 3 });
    expect(index.story("task-3")).toEqual([]);
    expect(ids(index.story("task-4"))).toHaveLength(3);
  });

  test("skips a torn line and indexes the lines after it", async () => {
    const dir = tempDir();
    await writeLog(dir, story("req-1", "task-1").slice(0, 1));
    appendFileSync(join(dir, "audit-2026-11-24.jsonl"), '{"logged_at":"2026-11-24T12:00:00.001Z","event":{"event_id":"half\n');
    await writeLog(dir, story("req-1", "task-1").slice(1), "2026-11-24T12:00:01.000Z");
    const index = openIndex(dir);
    expect(await index.catchUp()).toEqual({ indexed: 4 });
    expect(ids(index.story("req-1"))).toHaveLength(3);
  });

  test("lists the stories that went on latest first (by their last event, not when they were logged), with their size, failures and the task's title", async () => {
    const dir = tempDir();
    await writeLog(dir, [...story("req-1", "task-1"), ...story("req-2", "task-2").slice(0, 2)]);
    const index = openIndex(dir);
    await index.catchUp();
    expect(index.recent(10)).toEqual([
      { correlationId: "req-1", firstAt: "2026-11-24T12:00:00.000Z", lastAt: "2026-11-24T12:00:00.009Z", events: 3, failures: 1, title: "Task task-1" },
      { correlationId: "req-2", firstAt: "2026-11-24T12:00:00.000Z", lastAt: "2026-11-24T12:00:00.005Z", events: 2, failures: 0, title: "Task task-2" },
    ]);
    expect(index.recent(1)).toHaveLength(1);
  });

  test("lists the agents' own stories apart from the requests', so heartbeats do not crowd the requests out", async () => {
    const dir = tempDir();
    const heartbeats = story("agent:summarizer-1", "beat", [
      { id: "r1", type: "agent.registered", cause: "start", at: 0 },
      { id: "h1", type: "agent.heartbeat", cause: "r1", at: 50 },
    ]);
    await writeLog(dir, [...story("req-1", "task-1"), ...heartbeats]);
    const index = openIndex(dir);
    await index.catchUp();
    expect(index.recent(10).map((r) => r.correlationId)).toEqual(["req-1"]);
    expect(index.recent(10, "agents").map((r) => r.correlationId)).toEqual(["agent:summarizer-1"]);
  });

  test("two indexes of one directory catching up together index each line once", async () => {
    const dir = tempDir();
    await writeLog(dir, Array.from({ length: 200 }, (_, i) => story(`req-${i}`, `task-${i}`)).flat());
    const [a, b] = [openIndex(dir), openIndex(dir)];
    const [ra, rb] = await Promise.all([a.catchUp(), b.catchUp()]);
    expect(ra.indexed + rb.indexed).toBe(600);
    expect(ids(a.story("task-7"))).toHaveLength(3);
    expect(b.recent(1000)).toHaveLength(200);
  });

  test("refuses a directory that does not exist", () => {
    expect(() => TraceIndex.open(join(tempDir(), "missing"))).toThrow("no such audit directory");
    expect(existsSync(join(tempDir(), "missing"))).toBe(false);
  });
});
