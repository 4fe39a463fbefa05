import { describe, expect, test } from "bun:test";
import { decodeFinished, encodeFinished, MAX_METADATA_CHARS, OffsetTracker } from "./offset-tracker.ts";

const P = "agent-tasks\u00000";

function started(metadata?: string, committed?: number): OffsetTracker {
  const tracker = new OffsetTracker();
  tracker.start(P, metadata, committed);
  return tracker;
}

describe("offset tracker", () => {
  test("commits up to the lowest unfinished offset, whatever order the work finishes in", () => {
    const tracker = started();
    for (const offset of [10, 11, 12, 13]) expect(tracker.take(P, offset)).toBe("run");
    expect(tracker.commitPoint(P)?.offset).toBe(10);
    tracker.finish(P, 12);
    tracker.finish(P, 11);
    expect(tracker.commitPoint(P)).toEqual({ offset: 10, metadata: "f1:1-2" });
    tracker.finish(P, 10);
    expect(tracker.commitPoint(P)).toEqual({ offset: 13, metadata: "f1:" });
    tracker.finish(P, 13);
    expect(tracker.commitPoint(P)).toEqual({ offset: 14, metadata: "f1:" });
  });

  test("counts only offsets taken: a gap (compaction, transaction markers) does not hold the commit back", () => {
    const tracker = started();
    tracker.take(P, 5);
    tracker.take(P, 9);
    tracker.finish(P, 5);
    expect(tracker.commitPoint(P)?.offset).toBe(9);
    expect(tracker.unfinished(P)).toEqual([9]);
  });

  test("has nothing to commit before anything was taken", () => {
    expect(started().commitPoint(P)).toBeUndefined();
  });

  test("skips offsets the metadata of the last commit lists as finished, so a new owner does not run them again", () => {
    const before = started();
    for (const offset of [20, 21, 22, 23, 24]) before.take(P, offset);
    for (const offset of [21, 23, 24]) before.finish(P, offset);
    const point = before.commitPoint(P)!;
    expect(point.offset).toBe(20);

    const after = started(point.metadata, point.offset);
    expect([20, 21, 22, 23, 24].map((offset) => after.take(P, offset))).toEqual(["run", "skip", "run", "skip", "skip"]);
    after.finish(P, 20);
    expect(after.commitPoint(P)).toEqual({ offset: 22, metadata: "f1:1-2" });
    after.finish(P, 22);
    expect(after.commitPoint(P)?.offset).toBe(25);
  });

  test("ignores metadata it did not write, and a finish for a partition it no longer has", () => {
    const tracker = started("written by another client", 7);
    expect(tracker.take(P, 7)).toBe("run");
    tracker.forget(P);
    tracker.finish(P, 7);
    expect(tracker.commitPoint(P)).toBeUndefined();
  });

  test("encodes runs of offsets as ranges relative to the commit point, and decodes them back", () => {
    const offsets = [101, 102, 103, 110, 140, 141];
    const text = encodeFinished(offsets, 100);
    expect(text).toBe("f1:1-3,a,14-15");
    expect([...decodeFinished(text, 100)]).toEqual(offsets);
    expect(decodeFinished("f1:3-1", 0).size).toBe(0);
    expect(decodeFinished("f1:x-!", 0).size).toBe(0);
  });

  test("keeps the metadata within Kafka's default limit, dropping what does not fit (it only runs again)", () => {
    const scattered = Array.from({ length: 5000 }, (_, i) => 2 * i + 1);
    const text = encodeFinished(scattered, 0);
    expect(text.length).toBeLessThanOrEqual(MAX_METADATA_CHARS);
    const kept = [...decodeFinished(text, 0)];
    expect(kept).toEqual(scattered.slice(0, kept.length));
    expect(kept.length).toBeGreaterThan(500);
  });
});
