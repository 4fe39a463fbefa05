import { describe, expect, test } from "bun:test";
import { Unacknowledged } from "./unacknowledged.ts";

const at = (offset: number, partition = 0, topic = "agent-results") => ({ topic, partition, offset });

describe("Unacknowledged: where facts in flight hold a topic-partition's commit back", () => {
  test("the first open offset is the lowest one whose facts are not all acknowledged", () => {
    const open = new Unacknowledged();
    open.add(at(4));
    open.add(at(7));
    open.add(at(9));
    expect(open.firstOpen("agent-results", 0)).toBe(4);
    open.acknowledged(at(7));
    expect(open.firstOpen("agent-results", 0)).toBe(4);
    open.acknowledged(at(4));
    expect(open.firstOpen("agent-results", 0)).toBe(9);
    open.acknowledged(at(9));
    expect(open.firstOpen("agent-results", 0)).toBeUndefined();
  });

  test("an event with several sends stays open until the last is acknowledged", () => {
    const open = new Unacknowledged();
    open.add(at(5));
    open.add(at(5));
    expect(open.size).toBe(2);
    open.acknowledged(at(5));
    expect(open.firstOpen("agent-results", 0)).toBe(5);
    open.acknowledged(at(5));
    expect(open.firstOpen("agent-results", 0)).toBeUndefined();
    expect(open.size).toBe(0);
  });

  test("topic-partitions are apart", () => {
    const open = new Unacknowledged();
    open.add(at(3, 0));
    open.add(at(1, 1));
    open.add(at(2, 0, "task-events"));
    expect([open.firstOpen("agent-results", 0), open.firstOpen("agent-results", 1), open.firstOpen("task-events", 0)]).toEqual([3, 1, 2]);
    expect(open.firstOpen("task-events", 1)).toBeUndefined();
  });

  test("says once which topic-partitions were acknowledged into, so their commit can move on", () => {
    const open = new Unacknowledged();
    open.add(at(3, 0));
    open.add(at(1, 1));
    open.acknowledged(at(3, 0));
    expect(open.takeMoved().map((o) => o.partition)).toEqual([0]);
    expect(open.takeMoved()).toEqual([]);
  });

  test("an acknowledgement for nothing open changes nothing", () => {
    const open = new Unacknowledged();
    open.acknowledged(at(3));
    expect(open.size).toBe(0);
    expect(open.takeMoved()).toEqual([]);
  });
});
