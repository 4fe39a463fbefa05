import { describe, expect, test } from "bun:test";
import { causationTree, flatten, isFailure, type TracedEvent } from "./causation-tree.ts";

function event(eventId: string, causationId: string | undefined, at: number, eventType = "task.created"): TracedEvent {
  return {
    eventId,
    eventType,
    source: "test",
    occurredAt: new Date(Date.UTC(2026, 10, 24, 12, 0, 0, at)).toISOString(),
    correlationId: "req-1",
    causationId,
    json: JSON.stringify({ event_id: eventId }),
  };
}

describe("causationTree", () => {
  test("puts each event under the event that caused it, with the gap since its cause", () => {
    const tree = causationTree([event("c", "b", 30), event("a", "api-create-1", 0), event("b", "a", 12)]);
    expect(tree).toHaveLength(1);
    expect(tree[0]!.event.eventId).toBe("a");
    expect(tree[0]!.gapMs).toBeUndefined();
    expect(tree[0]!.children[0]!.event.eventId).toBe("b");
    expect(tree[0]!.children[0]!.gapMs).toBe(12);
    expect(tree[0]!.children[0]!.children[0]!.gapMs).toBe(18);
  });

  test("orders siblings by time, whatever order the events came in", () => {
    const tree = causationTree([event("late", "root", 50), event("root", undefined, 0), event("early", "root", 5)]);
    expect(tree[0]!.children.map((child) => child.event.eventId)).toEqual(["early", "late"]);
  });

  test("makes an event whose cause is not in the story a root", () => {
    const tree = causationTree([event("a", "elsewhere", 0), event("b", "also-elsewhere", 1)]);
    expect(tree.map((node) => node.event.eventId)).toEqual(["a", "b"]);
  });

  test("keeps every event of a causation cycle instead of losing it", () => {
    const tree = causationTree([event("x", "y", 0), event("y", "x", 1)]);
    expect(flatten(tree).map(({ node }) => node.event.eventId).sort()).toEqual(["x", "y"]);
  });

  test("shows an event logged twice once", () => {
    expect(flatten(causationTree([event("a", undefined, 0), event("a", undefined, 0)]))).toHaveLength(1);
  });
});

describe("flatten", () => {
  test("lists the tree depth first with each event's depth", () => {
    const tree = causationTree([event("a", undefined, 0), event("b", "a", 1), event("c", "b", 2), event("d", "a", 3)]);
    expect(flatten(tree).map(({ node, depth }) => `${node.event.eventId}${depth}`)).toEqual(["a0", "b1", "c2", "d1"]);
  });
});

describe("isFailure", () => {
  test("marks failed events and dead letters, and nothing else", () => {
    expect(isFailure(event("a", undefined, 0, "task.failed"))).toBe(true);
    expect(isFailure({ ...event("a", undefined, 0), deadLetter: { reason: "invalid", error: "x", topic: "tasks", group: "g" } })).toBe(true);
    expect(isFailure(event("a", undefined, 0, "task.completed"))).toBe(false);
  });
});
