import { describe, expect, test } from "bun:test";
import { ReplayPoints } from "./replay-points.ts";

const TASKS = "tasks";
const RESULTS = "agent-results";

/** Records each entity's event at its offset on tasks/0, and reads up to the last one. */
function readOn(points: ReplayPoints, events: Array<[key: string, offset: number]>, topic = TASKS, partition = 0): void {
  for (const [key, offset] of events) {
    points.record(key, { topic, partition, offset });
    points.processedUpTo({ topic, partition, offset });
  }
}

const none = () => false;
const only = (...keys: string[]) => (key: string) => keys.includes(key);

describe("ReplayPoints.point: the offset to commit", () => {
  test("is undefined before anything was read on the topic-partition", () => {
    const points = new ReplayPoints();
    expect(points.point(TASKS, 0, none, [])).toBeUndefined();
    readOn(points, [["a", 5]], TASKS, 1);
    expect(points.point(TASKS, 0, none, [])).toBeUndefined();
    expect(points.point(RESULTS, 1, none, [])).toBeUndefined();
  });

  test("is undefined when entities were recorded but nothing was marked as read", () => {
    const points = new ReplayPoints();
    points.record("a", { topic: TASKS, partition: 0, offset: 3 });
    expect(points.point(TASKS, 0, only("a"), [])).toBeUndefined();
  });

  test("is the offset after the last one read when no entity is still needed", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4], ["a", 7]]);
    expect(points.point(TASKS, 0, none, [])?.offset).toBe(8);
  });

  test("is the offset after the last one read even when that event recorded no entity", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3]]);
    points.processedUpTo({ topic: TASKS, partition: 0, offset: 9 });
    expect(points.point(TASKS, 0, none, [])?.offset).toBe(10);
  });

  test("is the first offset of the oldest entity still needed", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4], ["c", 6], ["b", 7]]);
    expect(points.point(TASKS, 0, only("b", "c"), [])?.offset).toBe(4);
    expect(points.point(TASKS, 0, only("c"), [])?.offset).toBe(6);
  });

  test("stays at the first event whose facts are not acknowledged, which counts as not processed", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4], ["c", 6]]);
    expect(points.point(TASKS, 0, only("a"), [], 6)).toEqual({ offset: 3, metadata: "p1:5" });
    expect(points.point(TASKS, 0, none, [], 4)).toEqual({ offset: 4, metadata: "p1:3" });
    expect(points.point(TASKS, 0, none, [], 9)).toEqual({ offset: 7, metadata: "p1:6" });
  });

  test("an entity read again keeps its first offset", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["a", 8], ["a", 12]]);
    expect(points.point(TASKS, 0, only("a"), [])?.offset).toBe(3);
  });

  test("entities no longer needed stop holding it back, and are forgotten even if needed again later", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4], ["c", 6]]);
    expect(points.point(TASKS, 0, only("c"), [])?.offset).toBe(6);
    expect(points.point(TASKS, 0, only("a", "b", "c"), [])?.offset).toBe(6);
    expect(points.keysOf(0)).toEqual(new Set(["c"]));
  });

  test("entities after the oldest one still needed are kept, whether needed or not", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4], ["c", 6]]);
    expect(points.point(TASKS, 0, only("a"), [])?.offset).toBe(3);
    expect(points.keysOf(0)).toEqual(new Set(["a", "b", "c"]));
    expect(points.point(TASKS, 0, only("c"), [])?.offset).toBe(6);
  });

  test("does not move back when an earlier offset is marked as read", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 9]]);
    points.processedUpTo({ topic: TASKS, partition: 0, offset: 4 });
    expect(points.point(TASKS, 0, none, [])).toEqual({ offset: 10, metadata: "p1:9" });
  });

  test("is kept apart per topic and per partition", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 10]], TASKS, 0);
    readOn(points, [["a", 20], ["c", 21]], TASKS, 1);
    readOn(points, [["a", 100], ["d", 101]], RESULTS, 0);
    expect(points.point(TASKS, 0, only("a"), [])?.offset).toBe(3);
    expect(points.point(TASKS, 1, only("c"), [])?.offset).toBe(21);
    expect(points.point(RESULTS, 0, only("a"), [])?.offset).toBe(100);
    expect(points.point(RESULTS, 0, none, [])?.offset).toBe(102);
  });
});

describe("ReplayPoints.point: the metadata", () => {
  test("is p1: and the last offset read", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4]]);
    expect(points.point(TASKS, 0, only("a"), [])).toEqual({ offset: 3, metadata: "p1:4" });
  });

  test("lists the undecided offsets up to the last one read", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4], ["c", 5]]);
    expect(points.point(TASKS, 0, none, [4, 3, 8])).toEqual({ offset: 6, metadata: "p1:5;u:3,4" });
  });
});

describe("ReplayPoints.forget", () => {
  test("drops what was read of one topic-partition, and nothing else", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3]], TASKS, 0);
    readOn(points, [["b", 4]], TASKS, 1);
    readOn(points, [["c", 5]], RESULTS, 0);
    points.forget(TASKS, 0);
    expect(points.point(TASKS, 0, only("a"), [])).toBeUndefined();
    expect(points.keysOf(0)).toEqual(new Set(["c"]));
    expect(points.point(TASKS, 1, only("b"), [])?.offset).toBe(4);
    expect(points.point(RESULTS, 0, only("c"), [])?.offset).toBe(5);
  });

  test("reading the topic-partition again afterwards starts afresh", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 9]]);
    points.forget(TASKS, 0);
    readOn(points, [["b", 12]]);
    expect(points.point(TASKS, 0, only("a", "b"), [])).toEqual({ offset: 12, metadata: "p1:12" });
  });
});

describe("ReplayPoints.keysOf", () => {
  test("is every entity read on a partition number, on any topic", () => {
    const points = new ReplayPoints();
    readOn(points, [["a", 3], ["b", 4]], TASKS, 0);
    readOn(points, [["b", 7], ["c", 8]], RESULTS, 0);
    readOn(points, [["d", 1]], TASKS, 1);
    expect(points.keysOf(0)).toEqual(new Set(["a", "b", "c"]));
    expect(points.keysOf(1)).toEqual(new Set(["d"]));
  });

  test("is empty for a partition nothing was read on", () => {
    expect(new ReplayPoints().keysOf(3)).toEqual(new Set());
  });
});
