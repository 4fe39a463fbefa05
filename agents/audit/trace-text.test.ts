import { describe, expect, test } from "bun:test";
import { causationTree, type TracedEvent } from "../../src/trace/causation-tree.ts";
import { traceText } from "./trace-text.ts";

function event(eventId: string, causationId: string, at: number, eventType: string, extra: Partial<TracedEvent> = {}): TracedEvent {
  return {
    eventId,
    eventType,
    source: `${eventType.split(".")[0]}-svc`,
    occurredAt: new Date(Date.UTC(2026, 10, 24, 15, 46, 51, at)).toISOString(),
    correlationId: "req-1",
    causationId,
    json: "{}",
    ...extra,
  };
}

describe("traceText", () => {
  test("draws each event under its cause with type, source, time and gap, marking failures and dead letters", () => {
    const tree = causationTree([
      event("a", "api-call", 0, "task.created"),
      event("b", "a", 11, "task.assigned"),
      event("c", "b", 20, "agent.task.failed"),
      event("d", "b", 30, "agent.task.completed"),
      event("e", "a", 71, "notification.sent"),
      event("f", "a", 172, "task.created", { deadLetter: { reason: "invalid", error: "x", topic: "task-events", group: "notification-email" } }),
    ]);
    expect(traceText(tree)).toBe(
      [
        "task.created  task-svc  2026-11-24T15:46:51.000Z",
        "├─ task.assigned  task-svc  2026-11-24T15:46:51.011Z  +11ms",
        "│  ├─ ✗ agent.task.failed  agent-svc  2026-11-24T15:46:51.020Z  +9ms",
        "│  └─ agent.task.completed  agent-svc  2026-11-24T15:46:51.030Z  +19ms",
        "├─ notification.sent  notification-svc  2026-11-24T15:46:51.071Z  +71ms",
        "└─ ✗ task.created  task-svc  2026-11-24T15:46:51.172Z  +172ms  [dead-lettered by notification-email: invalid]",
      ].join("\n"),
    );
  });

  test("keeps a column open only while the ancestor has siblings to come", () => {
    const tree = causationTree([event("a", "x", 0, "task.created"), event("b", "a", 1, "task.assigned"), event("c", "b", 2, "agent.task.accepted"), event("d", "c", 3, "agent.task.completed")]);
    expect(traceText(tree).split("\n").slice(1)).toEqual([
      "└─ task.assigned  task-svc  2026-11-24T15:46:51.001Z  +1ms",
      "   └─ agent.task.accepted  agent-svc  2026-11-24T15:46:51.002Z  +1ms",
      "      └─ agent.task.completed  agent-svc  2026-11-24T15:46:51.003Z  +1ms",
    ]);
  });
});
