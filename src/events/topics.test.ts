import { describe, expect, test } from "bun:test";
import { eventCatalog, EVENT_TYPES } from "./catalog/index.ts";
import { createEvent } from "./create.ts";
import { AUDIT_TOPICS, EVENT_ROUTES, kafkaHeaders, messageKey, topicOf, TOPICS } from "./topics.ts";

const metadata = { correlation_id: "req-123", causation_id: "api-create-task-1", source: "task-api" };

describe("the Kafka mapping", () => {
  test("puts every catalog type on exactly one of the four topics", () => {
    expect(TOPICS).toEqual(["task-events", "agent-tasks", "agent-results", "audit-events"]);
    expect(Object.keys(EVENT_ROUTES).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(TOPICS.filter((topic) => topicOf(type) === topic)).toHaveLength(1);
      expect(eventCatalog[type].topic).toBe(topicOf(type));
    }
  });

  test("lets the audit agent see every event once by reading all four topics", () => {
    expect([...AUDIT_TOPICS].sort()).toEqual([...TOPICS].sort());
    const seen = EVENT_TYPES.flatMap((type) => AUDIT_TOPICS.filter((topic) => topic === topicOf(type)).map(() => type));
    expect(seen.sort()).toEqual([...EVENT_TYPES].sort());
  });

  test("sends task lifecycle to task-events and the dispatch to agent-tasks", () => {
    expect(topicOf("task.created")).toBe("task-events");
    expect(topicOf("task.completed")).toBe("task-events");
    expect(topicOf("task.assigned")).toBe("agent-tasks");
    expect(topicOf("agent.deregistered")).toBe("agent-results");
    expect(topicOf("agent.task.completed")).toBe("agent-results");
    expect(topicOf("workflow.failed")).toBe("agent-results");
    expect(topicOf("notification.sent")).toBe("audit-events");
  });

  test("keys each event by the entity it is about", () => {
    const task = createEvent("task.created", { task_id: "task-1", title: "t", owner_id: "u", priority: 1 }, metadata);
    const heartbeat = createEvent(
      "agent.heartbeat",
      { agent_id: "agent-7", agent_type: "summarizer", status: "busy", in_flight: 1, completed: 4, failed: 0 },
      metadata,
    );
    const left = createEvent("agent.deregistered", { agent_id: "agent-8", agent_type: "summarizer" }, metadata);
    const accepted = createEvent(
      "agent.task.accepted",
      { task_id: "task-1", agent_id: "agent-7", agent_type: "summarizer", attempt: 1 },
      metadata,
    );
    const step = createEvent(
      "workflow.step.completed",
      { workflow_id: "wf-2", step_id: "s1", step_name: "Draft" },
      metadata,
    );
    expect([task, heartbeat, left, accepted, step].map(messageKey)).toEqual([
      "task-1",
      "agent-7",
      "agent-8",
      "task-1",
      "wf-2",
    ]);
  });

  test("mirrors type, tracing and the agent type in headers, so routing needs no JSON parse", () => {
    const event = createEvent(
      "task.assigned",
      { task_id: "task-1", agent_type: "summarizer", attempt: 1, input: { text: "Q3 report" } },
      metadata,
    );
    expect(kafkaHeaders(event)).toEqual({
      event_type: "task.assigned",
      correlation_id: "req-123",
      causation_id: "api-create-task-1",
      source: "task-api",
      agent_type: "summarizer",
    });
  });

  test("sends no agent_type header for an event whose data has none", () => {
    const event = createEvent("task.created", { task_id: "task-1", title: "t", owner_id: "u", priority: 1 }, metadata);
    expect(kafkaHeaders(event)).toStrictEqual({
      event_type: "task.created",
      correlation_id: "req-123",
      causation_id: "api-create-task-1",
      source: "task-api",
    });
  });
});
