import { describe, expect, test } from "bun:test";
import { decidedBefore, decodeProcessed, encodeProcessed, type ProcessedMark } from "./processed-mark.ts";

describe("encodeProcessed", () => {
  test("with nothing undecided, is p1: and the last offset decided on", () => {
    expect(encodeProcessed(41)).toBe("p1:41");
    expect(encodeProcessed(41, [])).toBe("p1:41");
  });

  test("lists the undecided offsets after ;u:, in ascending order", () => {
    expect(encodeProcessed(50, [44, 12, 30])).toBe("p1:50;u:12,30,44");
  });

  test("lists an undecided offset equal to the mark", () => {
    expect(encodeProcessed(50, [50])).toBe("p1:50;u:50");
  });

  test("leaves out undecided offsets above the mark", () => {
    expect(encodeProcessed(50, [51, 20, 99])).toBe("p1:50;u:20");
    expect(encodeProcessed(50, [51, 99])).toBe("p1:50");
  });

  test("when the list would be too long for the broker, moves the mark back to just before the first undecided offset", () => {
    const undecided = Array.from({ length: 1_000 }, (_, i) => 1_000_000 + i * 2).reverse();
    const metadata = encodeProcessed(2_000_000, undecided);
    expect(metadata).toBe("p1:999999");
  });

  test("a long list that still fits is kept whole", () => {
    const undecided = Array.from({ length: 500 }, (_, i) => 1_000 + i);
    const metadata = encodeProcessed(9_999, undecided);
    expect(metadata).toBe(`p1:9999;u:${undecided.join(",")}`);
  });

  test("never writes more than the broker keeps by default (4096 characters), however many are undecided", () => {
    for (const count of [0, 500, 690, 700, 710, 1_000, 10_000]) {
      const undecided = Array.from({ length: count }, (_, i) => 1_000 + i);
      expect(encodeProcessed(100_000, undecided).length).toBeLessThanOrEqual(4_096);
    }
  });
});

describe("decodeProcessed", () => {
  test("reads back a mark with nothing undecided", () => {
    expect(decodeProcessed(encodeProcessed(41))).toEqual({ processed: 41, undecided: new Set() });
  });

  test("reads back a mark with its undecided offsets", () => {
    expect(decodeProcessed(encodeProcessed(50, [44, 12, 30]))).toEqual({ processed: 50, undecided: new Set([12, 30, 44]) });
  });

  test("reads back the mark before anything, -1", () => {
    expect(decodeProcessed(encodeProcessed(-1))).toEqual({ processed: -1, undecided: new Set() });
  });

  test("gives undefined for metadata written by anything else, or none", () => {
    expect(decodeProcessed(undefined)).toBeUndefined();
    expect(decodeProcessed("")).toBeUndefined();
    expect(decodeProcessed("f1:12")).toBeUndefined();
    expect(decodeProcessed("f1:12;u:3")).toBeUndefined();
    expect(decodeProcessed("12")).toBeUndefined();
  });

  test("gives undefined for a mark that is not an offset", () => {
    expect(decodeProcessed("p1:abc")).toBeUndefined();
    expect(decodeProcessed("p1:1.5")).toBeUndefined();
    expect(decodeProcessed("p1:-2")).toBeUndefined();
    expect(decodeProcessed("p1:")).toBeUndefined();
    expect(decodeProcessed("p1:;u:3")).toBeUndefined();
  });
});

describe("decidedBefore", () => {
  const mark: ProcessedMark = { processed: 50, undecided: new Set([12, 30]) };

  test("an offset up to the mark and not listed was decided on before", () => {
    expect(decidedBefore(mark, 0)).toBe(true);
    expect(decidedBefore(mark, 13)).toBe(true);
    expect(decidedBefore(mark, 50)).toBe(true);
  });

  test("an offset past the mark is fresh", () => {
    expect(decidedBefore(mark, 51)).toBe(false);
  });

  test("an offset listed as undecided is fresh", () => {
    expect(decidedBefore(mark, 12)).toBe(false);
    expect(decidedBefore(mark, 30)).toBe(false);
  });

  test("with no mark, every offset is fresh", () => {
    expect(decidedBefore(undefined, 0)).toBe(false);
  });

  test("after a mark moved back because the list was too long, the undecided offsets and everything after are fresh again", () => {
    const undecided = Array.from({ length: 1_000 }, (_, i) => 1_000_000 + i * 2);
    const moved = decodeProcessed(encodeProcessed(2_000_000, undecided));
    expect(decidedBefore(moved, 999_999)).toBe(true);
    expect(decidedBefore(moved, 1_000_000)).toBe(false);
    expect(decidedBefore(moved, 1_000_001)).toBe(false);
    expect(decidedBefore(moved, 2_000_000)).toBe(false);
  });
});
