import { describe, expect, test } from "bun:test";
import { RecentIds } from "./recent-ids.ts";

describe("recent ids", () => {
  test("forget the oldest id once past capacity", () => {
    const ids = new RecentIds(3);
    for (const id of ["a", "b", "b", "c", "d"]) ids.add(id);
    expect(["a", "b", "c", "d"].map((id) => ids.has(id))).toEqual([false, true, true, true]);
    expect(ids.size).toBe(3);
  });
});
