import { describe, expect, test } from "bun:test";
import { parseEvent } from "./parse.ts";
import { serializeEvent } from "./serialize.ts";
import { childMetadata, createChildEvent, startChain } from "./tracing.ts";
import { createEvent } from "./create.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const apiCall = { causationId: "api-create-task-1", source: "task-api" };

describe("startChain", () => {
  test("keeps a valid X-Correlation-ID", () => {
    expect(startChain("req-123", apiCall)).toEqual({
      ok: true,
      generated: false,
      metadata: { correlation_id: "req-123", causation_id: "api-create-task-1", source: "task-api" },
    });
  });

  test.each([null, undefined, ""])("generates a UUID when the header is %p", (header) => {
    const start = startChain(header, apiCall);
    expect(start.ok && start.generated).toBe(true);
    expect(start.ok && start.metadata.correlation_id).toMatch(UUID);
  });

  test.each([
    ["x".repeat(129), "at most 128 characters, got 129"],
    ["req 123", "may only contain"],
    ["req-123\r\nX-Admin: 1", "may only contain"],
    ["<script>", "may only contain"],
    ["réq-123", "may only contain"],
  ])("refuses %p with a clear message instead of throwing", (header, message) => {
    const start = startChain(header, apiCall);
    if (start.ok) throw new Error("accepted");
    expect(start.error.issues).toEqual([{ path: "X-Correlation-ID", message: expect.stringContaining(message) }]);
  });

  test("accepts exactly 128 characters", () => expect(startChain("x".repeat(128), apiCall).ok).toBe(true));
});

describe("a chain of events", () => {
  test("request → task.created → notification.sent: one correlation id, each caused by the one before", () => {
    // The API receives the request and records the task.
    const start = startChain("req-123", { causationId: "api-create-task-123", source: "task-api" });
    if (!start.ok) throw start.error;
    const created = createEvent(
      "task.created",
      { task_id: "task-123", title: "Review quarterly report", owner_id: "user-456", priority: 2 },
      start.metadata,
    );
    // The notification service reads it from Kafka and records what it did.
    const received = parseEvent(serializeEvent(created));
    if (!received.ok) throw received.error;
    const sent = createChildEvent(
      received.event,
      "notification.sent",
      { channel: "email", task_id: "task-123", recipient: "user-456@company.com" },
      "notification-email",
    );

    expect(created.metadata).toEqual({
      correlation_id: "req-123",
      causation_id: "api-create-task-123",
      source: "task-api",
    });
    expect(sent.metadata).toEqual({
      correlation_id: "req-123",
      causation_id: created.event_id,
      source: "notification-email",
    });
    expect(sent.event_id).not.toBe(created.event_id);
    expect(new Set([created.event_id, sent.event_id].map((id) => UUID.test(id)))).toEqual(new Set([true]));
  });

  test("childMetadata takes the parent's correlation id and points at the parent", () => {
    const parent = createEvent("workflow.started", { workflow_id: "wf-1", name: "Quarterly" }, {
      correlation_id: "req-9",
      causation_id: "cron-7",
      source: "orchestrator",
    });
    expect(childMetadata(parent, "worker-3")).toEqual({
      correlation_id: "req-9",
      causation_id: parent.event_id,
      source: "worker-3",
    });
  });
});
