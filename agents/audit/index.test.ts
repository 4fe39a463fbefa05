import { afterAll, describe, expect, spyOn, test } from "bun:test";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { AUDIT_TOPICS, eventToJson } from "../../src/events/index.ts";
import type { Delivery } from "../../src/transport/types.ts";
import { GENESIS, verifyAuditDir } from "./index.ts";
import { auditAgent, cleanUp, clock, delivery, fileLines, taskCreated, tasksCreated, tempDir } from "./testing.ts";

afterAll(cleanUp);

const LINE = /^\{"logged_at":"[^"]+","event":\{.*\},"prev":"[0-9a-f]{64}","hash":"[0-9a-f]{64}"\}$/;
const SPEC_KEYS = ["event_id", "event_type", "occurred_at", "data", "metadata"];

describe("audit agent", () => {
  test("is the audit-log group on every coordination topic and its dead-letter topic", () => {
    const agent = auditAgent(tempDir());
    expect([agent.name, agent.group, agent.topics]).toEqual(["audit", "audit-log", [...AUDIT_TOPICS, ...AUDIT_TOPICS.map((t) => `${t}.dlq`)]]);
    expect(AUDIT_TOPICS).toHaveLength(4);
  });

  test("appends one chained line per event, in order, with logged_at and the event as the spec writes it", async () => {
    const dir = tempDir();
    const batch = tasksCreated(3);
    expect(await auditAgent(dir, clock("2025-01-15T14:30:22.456Z")).handle(batch)).toEqual([]);

    const lines = fileLines(join(dir, "audit-2025-01-15.jsonl"));
    expect(lines).toHaveLength(3);
    const records = lines.map((line) => JSON.parse(line));
    expect(records.map((r) => r.logged_at)).toEqual(["2025-01-15T14:30:22.456Z", "2025-01-15T14:30:22.457Z", "2025-01-15T14:30:22.458Z"]);
    lines.forEach((line, i) => {
      expect(line).toMatch(LINE);
      expect(line).toContain(`"event":${eventToJson(batch[i]!.event)},`);
    });
    expect(records.map((r) => r.prev)).toEqual([GENESIS, records[0].hash, records[1].hash]);
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 1, lines: 3, torn: [] });
  });

  test("writes lines that Python's json.loads reads as the spec's event dicts", async () => {
    const dir = tempDir();
    const batch = [taskCreated("Überprüfung 季度报告 ✅ 😀"), ...tasksCreated(2)];
    await auditAgent(dir, clock("2025-01-15T00:00:00.000Z")).handle(batch);
    const script = [
      "import json, sys",
      "events = [json.loads(line)['event'] for line in open(sys.argv[1], encoding='utf-8')]",
      "print(json.dumps({'ids': [e['event_id'] for e in events], 'keys': [list(e) for e in events], 'events': events}))",
    ].join("\n");
    const python = Bun.spawnSync(["python3", "-c", script, join(dir, "audit-2025-01-15.jsonl")]);
    expect(python.stderr.toString()).toBe("");
    const read = JSON.parse(python.stdout.toString());
    expect(read.ids).toEqual(batch.map((d) => d.event.event_id));
    expect(read.keys).toEqual([SPEC_KEYS, SPEC_KEYS, SPEC_KEYS]);
    expect(read.events).toEqual(batch.map((d) => JSON.parse(eventToJson(d.event))));
  });

  test("creates the directory with mode 0750 and its files with mode 0640", async () => {
    const dir = join(tempDir(), "audit");
    // A strict umask would take the group bits away if the modes were left to open and mkdir.
    const umask = process.umask(0o077);
    try {
      await auditAgent(dir, clock("2025-01-15T12:00:00.000Z")).handle(tasksCreated(1));
    } finally {
      process.umask(umask);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o750);
    expect(statSync(join(dir, "audit-2025-01-15.jsonl")).mode & 0o777).toBe(0o640);
  });

  test("logs events of types it does not know", async () => {
    const dir = tempDir();
    const archived = {
      event_id: crypto.randomUUID(),
      event_type: "task.archived",
      occurred_at: "2025-01-15T14:30:22.456Z",
      data: { task_id: "task-123", archived_by: "user-456" },
      metadata: { correlation_id: "req-abc-123", causation_id: "api-call-789", source: "archiver" },
    };
    const unknown = delivery(archived);
    expect(unknown.known).toBe(false);
    await auditAgent(dir, clock("2025-01-15T15:00:00.000Z")).handle([unknown]);
    const [line] = fileLines(join(dir, "audit-2025-01-15.jsonl"));
    expect(JSON.parse(line!).event).toEqual(archived);
  });

  test("logs the message's bytes as received: key order, unknown fields and Python's timestamps kept", async () => {
    const dir = tempDir();
    const sent =
      `{"metadata":{"source":"py-agent","correlation_id":"req-1","causation_id":"api-1","trace":"t-9"},` +
      `"event_type":"task.created","event_id":"${crypto.randomUUID()}","occurred_at":"2025-01-15T14:30:22.456789+00:00",` +
      `"data":{"task_id":"task-1","title":"Caf\\u00e9 \u{1F600}","owner_id":"user-1","priority":2},"schema":3}  `;
    const received = delivery(JSON.parse(sent), sent);
    expect(received.known).toBe(true);
    await auditAgent(dir, clock("2025-01-15T15:00:00.000Z")).handle([received]);
    const [line] = fileLines(join(dir, "audit-2025-01-15.jsonl"));
    expect(line).toStartWith(`{"logged_at":"2025-01-15T15:00:00.000Z","event":${sent},"prev":"${GENESIS}","hash":"`);
    expect(JSON.parse(line!).event).toEqual(JSON.parse(sent));
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 1, lines: 1, torn: [] });
  });

  test("writes the event as serialized when its bytes would not sit on one line", async () => {
    const dir = tempDir();
    const deliveries = [
      (json: string) => JSON.stringify(JSON.parse(json), null, 2),
      (json: string) => `\uFEFF${json}`,
      (json: string) => ` ${json}`,
      (json: string) => `${json}\r`,
    ].map((reformat) => {
      const event = tasksCreated(1)[0]!.event;
      return delivery(event, reformat(JSON.stringify(event)));
    });
    await auditAgent(dir, clock("2025-01-15T15:00:00.000Z")).handle(deliveries);
    const lines = fileLines(join(dir, "audit-2025-01-15.jsonl"));
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => expect(line).toContain(`"event":${eventToJson(deliveries[i]!.event)},"prev"`));
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 1, lines: 4, torn: [] });
  });

  test("skips a redelivered batch, also from a new instance over the same directory", async () => {
    const dir = tempDir();
    const file = join(dir, "audit-2025-01-15.jsonl");
    const batch = tasksCreated(5);
    const first = auditAgent(dir, clock("2025-01-15T10:00:00.000Z"));
    await first.handle(batch);
    const written = readFileSync(file);
    await first.handle(batch);
    expect(readFileSync(file)).toEqual(written);
    await first.close();

    const restarted = auditAgent(dir, clock("2025-01-15T11:00:00.000Z"));
    await restarted.handle(batch.slice(2));
    expect(readFileSync(file)).toEqual(written);
    const fresh = taskCreated("New after restart");
    await restarted.handle([...batch, fresh]);
    expect(fileLines(file).map((line) => JSON.parse(line).event.event_id)).toEqual([...batch, fresh].map((d) => d.event.event_id));
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 1, lines: 6, torn: [] });
  });

  test("returns an event it cannot serialize as a failure, and writes the rest", async () => {
    const dir = tempDir();
    const [good, other] = tasksCreated(2);
    // Only a hand-made delivery without usable bytes gets here: the consume loop's events always serialize.
    const message = { ...other!.message, value: null };
    const broken = { ...other!, message, event: { ...other!.event, occurred_at: "yesterday" } } as Delivery;
    const failures = await auditAgent(dir, clock("2025-01-15T10:00:00.000Z")).handle([broken, good!]);
    expect(failures.map((f) => f.delivery)).toEqual([broken]);
    expect(fileLines(join(dir, "audit-2025-01-15.jsonl")).map((line) => JSON.parse(line).event.event_id)).toEqual([good!.event.event_id]);
  });

  test("writes an event repeated within one batch once", async () => {
    const dir = tempDir();
    const [a, b] = tasksCreated(2);
    await auditAgent(dir, clock("2025-01-15T10:00:00.000Z")).handle([a!, b!, a!, b!, a!]);
    expect(fileLines(join(dir, "audit-2025-01-15.jsonl"))).toHaveLength(2);
  });

  test("splits a batch that spans midnight UTC over two files and chains across them, also after a restart", async () => {
    const dir = tempDir();
    await auditAgent(dir, clock("2025-01-15T23:59:59.998Z")).handle(tasksCreated(4));
    const day1 = fileLines(join(dir, "audit-2025-01-15.jsonl")).map((line) => JSON.parse(line));
    const day2 = fileLines(join(dir, "audit-2025-01-16.jsonl")).map((line) => JSON.parse(line));
    expect(day1.map((r) => r.logged_at)).toEqual(["2025-01-15T23:59:59.998Z", "2025-01-15T23:59:59.999Z"]);
    expect(day2.map((r) => r.logged_at)).toEqual(["2025-01-16T00:00:00.000Z", "2025-01-16T00:00:00.001Z"]);
    expect(day2[0].prev).toBe(day1[1].hash);

    await auditAgent(dir, clock("2025-01-18T08:00:00.000Z")).handle(tasksCreated(1));
    const day4 = fileLines(join(dir, "audit-2025-01-18.jsonl")).map((line) => JSON.parse(line));
    expect(day4[0].prev).toBe(day2[1].hash);
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 3, lines: 5, torn: [] });
  });

  test("never writes a logged_at earlier than the line before, when the clock steps back", async () => {
    const dir = tempDir();
    await auditAgent(dir, clock("2025-01-16T00:00:05.000Z")).handle(tasksCreated(1));
    await auditAgent(dir, clock("2025-01-15T23:59:00.000Z")).handle(tasksCreated(1));
    expect(readdirSync(dir).filter((name) => name.endsWith(".jsonl"))).toEqual(["audit-2025-01-16.jsonl"]);
    expect(fileLines(join(dir, "audit-2025-01-16.jsonl")).map((line) => JSON.parse(line).logged_at)).toEqual([
      "2025-01-16T00:00:05.000Z",
      "2025-01-16T00:00:05.000Z",
    ]);
  });

  test("writes each file a batch touches with one write and one fsync, and resolves only after them", async () => {
    const dir = tempDir();
    const agent = auditAgent(dir, clock("2025-01-15T23:59:59.500Z"));
    await agent.handle([]); // reads the (empty) log back first
    // The agent's file handles share this prototype, so spying on it sees their writes and fsyncs in order.
    const probe = await open(join(tempDir(), "probe"), "w");
    const prototype: FileHandle = Object.getPrototypeOf(probe);
    await probe.close();
    const calls: string[] = [];
    const { write, sync } = prototype;
    const spies = [
      spyOn(prototype, "write").mockImplementation(function (this: FileHandle, ...args: unknown[]) {
        calls.push("write");
        return Reflect.apply(write, this, args);
      }),
      spyOn(prototype, "sync").mockImplementation(function (this: FileHandle) {
        calls.push("fsync");
        return Reflect.apply(sync, this, []);
      }),
    ];
    try {
      await agent.handle(tasksCreated(1000)); // 500 before midnight, 500 after: two new files
      calls.push("resolved");
      await agent.handle(tasksCreated(10));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // A new file's fsync is followed by its directory's.
    expect(calls).toEqual(["write", "fsync", "fsync", "write", "fsync", "fsync", "resolved", "write", "fsync"]);
    expect(fileLines(join(dir, "audit-2025-01-16.jsonl"))).toHaveLength(510);
  });

  test("only ever appends: across runs the file grows and its earlier bytes stay as they were", async () => {
    const dir = tempDir();
    const file = join(dir, "audit-2025-01-15.jsonl");
    const batch = tasksCreated(3);
    let before = Buffer.alloc(0);
    for (let run = 0; run < 3; run++) {
      await auditAgent(dir, clock(`2025-01-15T0${run}:00:00.000Z`)).handle([...batch, ...tasksCreated(2, `run ${run}`)]);
      const after = readFileSync(file);
      expect(after.length).toBeGreaterThan(before.length);
      expect(after.subarray(0, before.length)).toEqual(before);
      before = after;
    }
    expect(fileLines(file)).toHaveLength(3 + 3 * 2);
  });

  test("throws when it cannot write, and writes the redelivered batch once the disk works again", async () => {
    const dir = tempDir();
    const file = join(dir, "audit-2025-01-15.jsonl");
    const agent = auditAgent(dir, clock("2025-01-15T10:00:00.000Z"));
    const first = tasksCreated(2);
    await agent.handle(first);
    const batch = tasksCreated(3, "after the failure");
    // Two days on, the day's file cannot be opened; a directory in its place fails even for root.
    const blocked = auditAgent(dir, clock("2025-01-17T10:00:00.000Z"));
    await blocked.handle([]); // reads the log back first, so what fails below is the write
    mkdirSync(join(dir, "audit-2025-01-17.jsonl"));
    await expect(blocked.handle(batch)).rejects.toThrow("cannot append");
    rmdirSync(join(dir, "audit-2025-01-17.jsonl"));

    expect(await blocked.handle(batch)).toEqual([]);
    expect(fileLines(join(dir, "audit-2025-01-17.jsonl"))).toHaveLength(3);
    expect(fileLines(file)).toHaveLength(2);
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 2, lines: 5, torn: [] });
  });

  test("continues the chain over a line torn by a crash, and writes the torn events again", async () => {
    const dir = tempDir();
    const file = join(dir, "audit-2025-01-15.jsonl");
    const [first, torn] = [tasksCreated(2), taskCreated("torn")];
    await auditAgent(dir, clock("2025-01-15T10:00:00.000Z")).handle(first);
    appendFileSync(file, `{"logged_at":"2025-01-15T10:00:01.000Z","event":${eventToJson(torn.event).slice(0, 40)}`);
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: false, file, line: 3, reason: "bad JSON" });

    await auditAgent(dir, clock("2025-01-15T10:05:00.000Z")).handle([...first, torn]);
    const lines = fileLines(file);
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[3]!).event.event_id).toBe(torn.event.event_id);
    expect(await verifyAuditDir(dir)).toEqual({ ok: true, files: 1, lines: 4, torn: [{ file, line: 3 }] });
  });

  test("after a restart remembers the last 10,000 events, reading back into the previous day's file", async () => {
    const dir = tempDir();
    const events = tasksCreated(10_000, "Remembered");
    const writer = auditAgent(dir, clock("2025-01-15T23:59:59.000Z", 0.2));
    for (let i = 0; i < events.length; i += 500) await writer.handle(events.slice(i, i + 500));
    await writer.close();
    const sizes = () => readdirSync(dir).filter((name) => name.endsWith(".jsonl")).map((name) => statSync(join(dir, name)).size);
    const before = sizes();
    expect(before).toHaveLength(2);

    const restarted = auditAgent(dir, clock("2025-01-16T09:00:00.000Z"));
    for (let i = 0; i < events.length; i += 500) await restarted.handle(events.slice(i, i + 500));
    expect(sizes()).toEqual(before);
  });
});
