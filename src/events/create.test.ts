import { describe, expect, test } from "bun:test";
import { createEvent } from "./create.ts";
import { ValidationError } from "./errors.ts";
import { serializeEvent } from "./serialize.ts";
import { AppError } from "../errors.ts";

const metadata = { correlation_id: "req-abc-123", causation_id: "api-call-789", source: "task-api" };
const taskData = { task_id: "task-123", title: "Review quarterly report", owner_id: "user-456", priority: 2 };

describe("createEvent", () => {
  test("fills in a random UUID and the current time to the millisecond, in UTC", () => {
    const before = Date.now();
    const event = createEvent("task.created", taskData, metadata);
    expect(event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(event.occurred_at)).toBeGreaterThanOrEqual(before);
    expect(createEvent("task.created", taskData, metadata).event_id).not.toBe(event.event_id);
  });

  test("writes the spec's example byte for byte, keys in the spec's order", () => {
    const event = createEvent("task.created", taskData, metadata, {
      eventId: "e7c5a8f2-3b4d-4e6a-9f1c-2d8e7a6b5c4d",
      occurredAt: new Date("2025-01-15T14:30:22.456Z"),
    });
    expect(new TextDecoder().decode(serializeEvent(event))).toBe(
      '{"event_id":"e7c5a8f2-3b4d-4e6a-9f1c-2d8e7a6b5c4d","event_type":"task.created",' +
        '"occurred_at":"2025-01-15T14:30:22.456Z","data":{"task_id":"task-123","title":"Review quarterly report",' +
        '"owner_id":"user-456","priority":2},"metadata":{"correlation_id":"req-abc-123",' +
        '"causation_id":"api-call-789","source":"task-api"}}',
    );
  });

  test("refuses data the compiler cannot see is wrong, listing every problem", () => {
    const attempt = () => createEvent("task.created", { ...taskData, title: "x".repeat(501), priority: 9 }, metadata);
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as ValidationError).nested).toEqual({
        "data.title": ["must be 1-500 characters"],
        "data.priority": ["must be 1-5"],
      });
    }
  });

  test("refuses empty metadata", () => {
    expect(() => createEvent("task.created", taskData, { ...metadata, source: "" })).toThrow("metadata.source");
  });
});

// Checked by tsc (test/typecheck.test.ts runs it over the project), never run: each @ts-expect-error fails the
// type check if the call below it compiles, and each plain line fails it if the type is not what it claims.
function typeLevelChecks() {
  // Refuses, at compile time, data that does not match the type.
  // @ts-expect-error priority must be a number
  createEvent("task.created", { ...taskData, priority: "high" }, metadata);
  // @ts-expect-error title is required
  createEvent("task.created", { task_id: "t", owner_id: "u", priority: 1 }, metadata);
  // @ts-expect-error a command, not a fact: not in the catalog
  createEvent("task.create", taskData, metadata);
  // @ts-expect-error channel is email or slack
  createEvent("notification.sent", { channel: "sms", task_id: "t", recipient: "r" }, metadata);

  // @ts-expect-error a heartbeat says how many tasks are in flight
  createEvent("agent.heartbeat", { agent_id: "a-1", agent_type: "summarizer", status: "idle" }, metadata);

  // Narrows data by event_type: a heartbeat's data has a status and nothing of a task's.
  const heartbeat = createEvent(
    "agent.heartbeat",
    { agent_id: "a-1", agent_type: "summarizer", status: "idle", in_flight: 0, completed: 0, failed: 0 },
    metadata,
  );
  const status: "idle" | "busy" | "draining" = heartbeat.data.status;
  // The union, not just the status given above, and not any string.
  const draining: typeof heartbeat.data.status = "draining";
  // @ts-expect-error asleep is not a status
  const asleep: typeof heartbeat.data.status = "asleep";
  // @ts-expect-error a heartbeat has no priority
  const priority: number = heartbeat.data.priority;
  return [status, draining, asleep, priority];
}
void typeLevelChecks;
