import { describe, expect, test } from "bun:test";
import type { DomainEvent } from "./catalog/index.ts";
import { DEFAULT_MAX_EVENT_BYTES } from "./envelope.ts";
import { parseEvent, type ParseResult } from "./parse.ts";

// The spec's example event.
const specEvent = {
  event_id: "e7c5a8f2-3b4d-4e6a-9f1c-2d8e7a6b5c4d",
  event_type: "task.created",
  occurred_at: "2025-01-15T14:30:22.456Z",
  data: { task_id: "task-123", title: "Review quarterly report", owner_id: "user-456", priority: 2 },
  metadata: { correlation_id: "req-abc-123", causation_id: "api-call-789", source: "task-api" },
} satisfies DomainEvent;

type Json = Record<string, unknown>;

function issuesOf(result: ParseResult) {
  return result.ok ? "accepted" : result.error.issues;
}

/** The spec's event with `changes` applied; `undefined` removes a key. Dotted keys reach into nested objects. */
function variantOf(changes: Json, base: Json = specEvent): string {
  const event = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(".");
    const parent = keys.slice(0, -1).reduce((object, key) => object[key] as Json, event);
    if (value === undefined) delete parent[keys.at(-1)!];
    else parent[keys.at(-1)!] = value;
  }
  return JSON.stringify(event);
}

/** The spec's event turned into an event of another type. */
function eventOfType(event_type: string, data: Json): Json {
  return { ...specEvent, event_type, data };
}

const heartbeat = eventOfType("agent.heartbeat", {
  agent_id: "a-1",
  agent_type: "summarizer",
  status: "idle",
  in_flight: 0,
  completed: 12,
  failed: 1,
});
const assigned = eventOfType("task.assigned", {
  task_id: "task-123",
  agent_type: "summarizer",
  attempt: 1,
  input: { text: "Review quarterly report" },
});
const skill = { id: "summarize", name: "Summarize", description: "A document in one paragraph", tags: ["text"] };
const registered = eventOfType("agent.registered", {
  agent_id: "a-1",
  agent_type: "summarizer",
  name: "Summarizer",
  version: "1.4.0",
  skills: [skill],
  concurrency: 4,
  host: "worker-1",
});
const deregistered = eventOfType("agent.deregistered", { agent_id: "a-1", agent_type: "summarizer" });
const report = { task_id: "task-123", agent_id: "a-1", agent_type: "summarizer", attempt: 2 };
const accepted = eventOfType("agent.task.accepted", report);
const completed = eventOfType("agent.task.completed", { ...report, output: { summary: "Fine" }, duration_ms: 950 });
const failed = eventOfType("agent.task.failed", { ...report, reason: "model timed out", retriable: true });

/** A task input of exactly `bytes` bytes as UTF-8 JSON: `{"text":"xx…"}`, or `"éé…"` (2 bytes a character). */
function inputOfBytes(bytes: number, character: "x" | "é" = "x"): Json {
  const characters = (bytes - JSON.stringify({ text: "" }).length) / new TextEncoder().encode(character).length;
  if (!Number.isInteger(characters)) throw new Error(`no input of ${bytes} bytes is made of ${character}`);
  return { text: character.repeat(characters) };
}

// [what is wrong, input, expected path, fragment of the expected message]
const badInputs: [string, string | Uint8Array, string, string][] = [
  ["truncated JSON", '{"event_id": "e7c5', "", "is not valid JSON"],
  ["empty input", "", "", "is not valid JSON"],
  ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "", "is not valid UTF-8"],
  ["a JSON array", "[]", "", "must be a JSON object, not an array"],
  ["JSON null", "null", "", "must be a JSON object, not null"],
  ["a JSON string", '"task.created"', "", "not a string"],
  ["a JSON number", "42", "", "not a number"],
  ["missing event_id", variantOf({ event_id: undefined }), "event_id", "is required"],
  ["event_id not a string", variantOf({ event_id: 42 }), "event_id", "must be a string"],
  ["event_id not a UUID", variantOf({ event_id: "evt-task-created-1" }), "event_id", "must be a UUID"],
  ["event_id a UUID in braces", variantOf({ event_id: `{${specEvent.event_id}}` }), "event_id", "must be a UUID"],
  ["missing event_type", variantOf({ event_type: undefined }), "event_type", "is required"],
  ["event_type not a string", variantOf({ event_type: ["task", "created"] }), "event_type", "must be a string"],
  ["event_type in capitals", variantOf({ event_type: "Task.Created" }), "event_type", "lower-case dot-separated"],
  ["event_type of one segment", variantOf({ event_type: "created" }), "event_type", "lower-case dot-separated"],
  ["event_type with spaces", variantOf({ event_type: "task created" }), "event_type", "lower-case dot-separated"],
  ["missing occurred_at", variantOf({ occurred_at: undefined }), "occurred_at", "is required"],
  ["occurred_at without offset", variantOf({ occurred_at: "2025-01-15T14:30:22" }), "occurred_at", "explicit UTC"],
  ["occurred_at on 30 February", variantOf({ occurred_at: "2025-02-30T14:30:22Z" }), "occurred_at", "RFC 3339"],
  ["occurred_at as epoch millis", variantOf({ occurred_at: 1736951422456 }), "occurred_at", "must be a string"],
  ["occurred_at in words", variantOf({ occurred_at: "yesterday" }), "occurred_at", "RFC 3339"],
  ["occurred_at a date only", variantOf({ occurred_at: "2025-01-15" }), "occurred_at", "RFC 3339"],
  ["missing data", variantOf({ data: undefined }), "data", "is required"],
  ["data an array", variantOf({ data: [] }), "data", "must be an object"],
  ["data null", variantOf({ data: null }), "data", "must be an object"],
  ["missing data.task_id", variantOf({ "data.task_id": undefined }), "data.task_id", "is required"],
  ["data.title empty", variantOf({ "data.title": "" }), "data.title", "must be 1-500 characters"],
  ["data.title 501 characters", variantOf({ "data.title": "é".repeat(501) }), "data.title", "must be 1-500"],
  ["data.title a number", variantOf({ "data.title": 7 }), "data.title", "must be a string"],
  ["data.owner_id with a space", variantOf({ "data.owner_id": "user 456" }), "data.owner_id", "may only contain"],
  ["data.owner_id an address", variantOf({ "data.owner_id": "a@b.com" }), "data.owner_id", "may only contain"],
  ["data.owner_id 129 characters", variantOf({ "data.owner_id": "u".repeat(129) }), "data.owner_id", "at most 128"],
  ["data.priority a word", variantOf({ "data.priority": "high" }), "data.priority", "must be a number"],
  ["data.priority 0", variantOf({ "data.priority": 0 }), "data.priority", "must be 1-5"],
  ["data.priority 6", variantOf({ "data.priority": 6 }), "data.priority", "must be 1-5"],
  ["data.priority 2.5", variantOf({ "data.priority": 2.5 }), "data.priority", "must be an integer"],
  ["data.priority a boolean", variantOf({ "data.priority": true }), "data.priority", "must be a number"],
  ["missing metadata", variantOf({ metadata: undefined }), "metadata", "is required"],
  ["metadata a string", variantOf({ metadata: "req-abc-123" }), "metadata", "must be an object"],
  ["metadata empty, as Python writes it", variantOf({ metadata: {} }), "metadata.correlation_id", "is required"],
  ["missing causation_id", variantOf({ "metadata.causation_id": undefined }), "metadata.causation_id", "is required"],
  ["empty correlation_id", variantOf({ "metadata.correlation_id": "" }), "metadata.correlation_id", "not be empty"],
  ["source not a string", variantOf({ "metadata.source": null }), "metadata.source", "must be a string"],
  ["source 257 characters", variantOf({ "metadata.source": "s".repeat(257) }), "metadata.source", "at most 256"],
  ["heartbeat without status", variantOf({ "data.status": undefined }, heartbeat), "data.status", "is required"],
  ["heartbeat status unknown", variantOf({ "data.status": "asleep" }, heartbeat), "data.status", "idle, busy or"],
  [
    "heartbeat without agent_type",
    variantOf({ "data.agent_type": undefined }, heartbeat),
    "data.agent_type",
    "is required",
  ],
  [
    "heartbeat without in_flight",
    variantOf({ "data.in_flight": undefined }, heartbeat),
    "data.in_flight",
    "is required",
  ],
  ["heartbeat in_flight negative", variantOf({ "data.in_flight": -1 }, heartbeat), "data.in_flight", "0 or more"],
  ["heartbeat completed 1.5", variantOf({ "data.completed": 1.5 }, heartbeat), "data.completed", "must be an integer"],
  ["heartbeat failed a string", variantOf({ "data.failed": "3" }, heartbeat), "data.failed", "must be a number"],
  [
    "task.assigned without agent_type",
    variantOf({ "data.agent_type": undefined }, assigned),
    "data.agent_type",
    "is required",
  ],
  ["task.assigned without attempt", variantOf({ "data.attempt": undefined }, assigned), "data.attempt", "is required"],
  ["task.assigned attempt 0", variantOf({ "data.attempt": 0 }, assigned), "data.attempt", "must be at least 1"],
  ["task.assigned attempt 1001", variantOf({ "data.attempt": 1001 }, assigned), "data.attempt", "must be at most 1000"],
  ["task.assigned attempt 1.5", variantOf({ "data.attempt": 1.5 }, assigned), "data.attempt", "must be an integer"],
  ["task.assigned without input", variantOf({ "data.input": undefined }, assigned), "data.input", "is required"],
  ["task.assigned input an array", variantOf({ "data.input": [] }, assigned), "data.input", "must be a JSON object"],
  ["task.assigned input null", variantOf({ "data.input": null }, assigned), "data.input", "must be a JSON object"],
  ["task.assigned input a string", variantOf({ "data.input": "{}" }, assigned), "data.input", "must be a JSON object"],
  [
    "task.assigned input over 64 KiB",
    variantOf({ "data.input": inputOfBytes(64 * 1024 + 1) }, assigned),
    "data.input",
    "must be at most 64 KiB as JSON",
  ],
  [
    "task.assigned input over 64 KiB in UTF-8 bytes, though not in characters",
    variantOf({ "data.input": inputOfBytes(64 * 1024 + 1, "é") }, assigned),
    "data.input",
    "must be at most 64 KiB as JSON",
  ],
  [
    "task.assigned deadline without offset",
    variantOf({ "data.deadline": "2025-01-15T15:00:00" }, assigned),
    "data.deadline",
    "explicit UTC",
  ],
  [
    "task.assigned agent_id with a space",
    variantOf({ "data.agent_id": "a 1" }, assigned),
    "data.agent_id",
    "may only contain",
  ],
  [
    "agent.registered without skills",
    variantOf({ "data.skills": undefined }, registered),
    "data.skills",
    "is required",
  ],
  [
    "agent.registered with the old capabilities instead of skills",
    variantOf({ "data.skills": undefined, "data.capabilities": ["summarize"] }, registered),
    "data.skills",
    "is required",
  ],
  [
    "agent.registered skills an object",
    variantOf({ "data.skills": skill }, registered),
    "data.skills",
    "must be an array",
  ],
  [
    "agent.registered 65 skills",
    variantOf({ "data.skills": Array(65).fill(skill) }, registered),
    "data.skills",
    "at most 64",
  ],
  [
    "agent.registered skill without id",
    variantOf({ "data.skills.0.id": undefined }, registered),
    "data.skills.0.id",
    "is required",
  ],
  [
    "agent.registered skill tags a string",
    variantOf({ "data.skills.0.tags": "text" }, registered),
    "data.skills.0.tags",
    "must be an array",
  ],
  [
    "agent.registered skill with 33 tags",
    variantOf({ "data.skills.0.tags": Array(33).fill("text") }, registered),
    "data.skills.0.tags",
    "at most 32",
  ],
  [
    "agent.registered concurrency 0",
    variantOf({ "data.concurrency": 0 }, registered),
    "data.concurrency",
    "must be at least 1",
  ],
  [
    "agent.registered without version",
    variantOf({ "data.version": undefined }, registered),
    "data.version",
    "is required",
  ],
  ["agent.registered host empty", variantOf({ "data.host": "" }, registered), "data.host", "must be 1-255 characters"],
  [
    "agent.deregistered without agent_type",
    variantOf({ "data.agent_type": undefined }, deregistered),
    "data.agent_type",
    "is required",
  ],
  ["agent.deregistered reason empty", variantOf({ "data.reason": "" }, deregistered), "data.reason", "must be 1-2000"],
  [
    "agent.task.accepted without attempt",
    variantOf({ "data.attempt": undefined }, accepted),
    "data.attempt",
    "is required",
  ],
  [
    "agent.task.accepted without agent_type",
    variantOf({ "data.agent_type": undefined }, accepted),
    "data.agent_type",
    "is required",
  ],
  [
    "agent.task.completed with the old summary instead of output",
    variantOf({ "data.output": undefined, "data.summary": "Fine" }, completed),
    "data.output",
    "is required",
  ],
  [
    "agent.task.completed without duration_ms",
    variantOf({ "data.duration_ms": undefined }, completed),
    "data.duration_ms",
    "is required",
  ],
  [
    "agent.task.completed duration_ms negative",
    variantOf({ "data.duration_ms": -5 }, completed),
    "data.duration_ms",
    "0 or more",
  ],
  [
    "agent.task.failed without attempt",
    variantOf({ "data.attempt": undefined }, failed),
    "data.attempt",
    "is required",
  ],
  [
    "agent.task.failed retriable a string",
    variantOf({ "data.retriable": "yes" }, failed),
    "data.retriable",
    "must be a boolean",
  ],
  [
    "agent.task.failed duration_ms 2.5",
    variantOf({ "data.duration_ms": 2.5 }, failed),
    "data.duration_ms",
    "must be an integer",
  ],
  ["unknown type, data an array", variantOf({ event_type: "task.archived", data: [1] }), "data", "must be an object"],
];

describe("parseEvent refuses", () => {
  // Each kind of bad input is its own test: refused, with an issue at the path the table names whose message
  // holds the table's fragment.
  test.each(badInputs)("%s", (_, input, path, fragment) => {
    const result = parseEvent(input);
    if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.event)}`);
    const issue = result.error.issues.find((i) => i.path === path && i.message.includes(fragment));
    expect(issue, `issues: ${JSON.stringify(result.error.issues)}`).toBeDefined();
  });

  test("input over the limit before decoding it, so a huge message costs no JSON.parse", () => {
    const huge = new Uint8Array(DEFAULT_MAX_EVENT_BYTES + 1).fill(0x7b); // "{{{{...": not JSON either
    const result = parseEvent(huge);
    expect(issuesOf(result)).toEqual([{ path: "", message: "is over the 1048576-byte limit" }]);
  });

  test("input over a limit the caller sets, counting UTF-8 bytes of a string", () => {
    const text = variantOf({ "data.title": "€".repeat(100) }); // 3 bytes each
    expect(parseEvent(text, { maxBytes: text.length + 100 }).ok).toBe(false);
    expect(parseEvent(text, { maxBytes: text.length + 200 }).ok).toBe(true);
  });
});

describe("parseEvent lists", () => {
  test("every problem at once, each with its path", () => {
    const result = parseEvent(
      variantOf({ event_id: "x", occurred_at: "soon", "data.priority": 9, "data.title": "", "metadata.source": "" }),
    );
    if (result.ok) throw new Error("accepted");
    expect(result.error.issues.map((issue) => issue.path).sort()).toEqual(
      ["data.priority", "data.title", "event_id", "metadata.source", "occurred_at"],
    );
    expect(result.error.message).toContain("data.priority: must be 1-5");
  });

  test("problems in data with the data. prefix when the envelope is fine", () => {
    const result = parseEvent(variantOf({ "data.priority": "urgent", "data.owner_id": undefined }));
    if (result.ok) throw new Error("accepted");
    expect(result.error.nested).toEqual({
      "data.owner_id": ["is required"],
      "data.priority": ["must be a number"],
    });
  });
});

describe("parseEvent accepts", () => {
  test("the spec's example event, as a known task.created", () => {
    expect(parseEvent(JSON.stringify(specEvent))).toEqual({ ok: true, known: true, event: specEvent });
  });

  test.each([heartbeat, assigned, registered, deregistered, accepted, completed, failed].map((e) => [e.event_type, e]))(
    "a valid %s, so each row above is refused for the one change it makes",
    (_, event) => {
      expect(issuesOf(parseEvent(JSON.stringify(event)))).toBe("accepted");
    },
  );

  test("a task input of exactly 64 KiB as UTF-8 JSON, and optional fields of an assignment", () => {
    const text = variantOf(
      {
        "data.input": inputOfBytes(64 * 1024),
        "data.deadline": "2025-01-15T15:00:00.000Z",
        "data.agent_id": "a-1",
        "data.workflow_id": "wf-1",
        "data.step_id": "draft",
      },
      assigned,
    );
    const result = parseEvent(text);
    expect(result.ok && result.known && result.event).toEqual(JSON.parse(text));
  });

  test("a deadline with Python's offset, normalised like occurred_at", () => {
    const result = parseEvent(variantOf({ "data.deadline": "2025-01-15T16:00:00.5+01:00" }, assigned));
    expect(result.ok && result.event.data).toMatchObject({ deadline: "2025-01-15T15:00:00.500Z" });
  });

  test("any JSON value as a completed task's output, null included", () => {
    for (const output of [null, "done", 42, [1, "two"], { nested: { deep: true } }]) {
      const text = variantOf({ "data.output": output }, completed);
      const result = parseEvent(text);
      expect(result.ok && result.known && result.event).toEqual(JSON.parse(text));
    }
  });

  test("bytes as well as text", () => {
    const bytes = new TextEncoder().encode(JSON.stringify(specEvent));
    expect(parseEvent(bytes)).toEqual({ ok: true, known: true, event: specEvent });
  });

  test("an unknown type as an envelope with its data untouched, flagged so consumers skip it", () => {
    const data = { report_id: 7, nested: { anything: [1, "two"] } };
    const result = parseEvent(variantOf({ event_type: "report.archived", data }));
    expect(result).toEqual({ ok: true, known: false, event: { ...specEvent, event_type: "report.archived", data } });
  });

  test("unknown keys in data, kept for consumers that know them", () => {
    const result = parseEvent(variantOf({ "data.due_at": "2025-02-01", "data.tags": ["q1"] }));
    expect(result.ok && result.event.data).toEqual({ ...specEvent.data, due_at: "2025-02-01", tags: ["q1"] });
  });

  test("unknown keys beside the envelope, dropped so what we write back is exactly the spec's shape", () => {
    const result = parseEvent(variantOf({ schema_version: 2, "metadata.user_agent": "curl" }));
    expect(result).toEqual({ ok: true, known: true, event: specEvent });
  });

  test("Python's timestamps, normalised to milliseconds and Z", () => {
    const result = parseEvent(variantOf({ occurred_at: "2025-01-15T14:30:22.456789+00:00" }));
    expect(result.ok && result.event.occurred_at).toBe("2025-01-15T14:30:22.456Z");
  });

  test("a title of 500 characters outside the BMP (1000 UTF-16 units)", () => {
    const title = "😀".repeat(500);
    const result = parseEvent(variantOf({ "data.title": title }));
    expect(result.ok && result.known && result.event.event_type === "task.created" && result.event.data.title).toBe(
      title,
    );
  });
});
