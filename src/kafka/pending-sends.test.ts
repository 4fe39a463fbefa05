import { describe, expect, test } from "bun:test";
import { PendingSends } from "./pending-sends.ts";

describe("pending sends", () => {
  test("each id finds its send exactly once, and never 0 (a NULL opaque)", () => {
    const pending = new PendingSends<string>();
    const ids = ["a", "b", "c"].map((send) => pending.add(send));
    expect(ids).not.toContain(0);
    expect(pending.take(ids[1]!)).toBe("b");
    expect(pending.take(ids[1]!)).toBeUndefined();
    expect(pending.size).toBe(2);
  });

  test("ids are reused only after their send was taken", () => {
    const pending = new PendingSends<number>();
    const live = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const id = pending.add(i);
      expect(live.has(id)).toBe(false);
      live.add(id);
      if (i % 3 === 0) {
        const [first] = live;
        pending.take(first!);
        live.delete(first!);
      }
    }
    expect(pending.size).toBe(live.size);
  });
});
