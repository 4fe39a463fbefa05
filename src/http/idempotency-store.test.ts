import { describe, expect, test } from "bun:test";
import { IdempotencyStore } from "./idempotency-store.ts";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

/** A store in memory whose clock the test moves. */
function store() {
  let now = 1_750_000_000_000;
  const keys = new IdempotencyStore(":memory:", () => now);
  return { keys, advance: (ms: number) => void (now += ms) };
}

describe("idempotency store", () => {
  test("a new key is reserved, and the same request meanwhile is told it is in progress", () => {
    const { keys } = store();
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "new" });
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "in-progress" });
  });

  test("a reservation never completed nor released stays in progress for 5 minutes, then a retry takes it over", () => {
    const { keys, advance } = store();
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "new" });
    advance(5 * MINUTE);
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "in-progress" });
    advance(1);
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "new" });
    // Taken over: the retry's own reservation now counts, from now.
    advance(4 * MINUTE);
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "in-progress" });
  });

  test("a completed request is replayed with its answer, also long after the 5 minutes", () => {
    const { keys, advance } = store();
    keys.reserve("key-1", "hash-a");
    keys.complete("key-1", { status: 202, body: '{"event_id":"e-1"}' });
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "replay", answer: { status: 202, body: '{"event_id":"e-1"}' } });
    advance(23 * HOUR);
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "replay", answer: { status: 202, body: '{"event_id":"e-1"}' } });
  });

  test("the same key with a different body conflicts, whether in progress or completed", () => {
    const { keys } = store();
    keys.reserve("key-1", "hash-a");
    expect(keys.reserve("key-1", "hash-b")).toEqual({ kind: "conflict" });
    keys.complete("key-1", { status: 202, body: "{}" });
    expect(keys.reserve("key-1", "hash-b")).toEqual({ kind: "conflict" });
  });

  test("a different body conflicts even with a reservation abandoned for over 5 minutes", () => {
    const { keys, advance } = store();
    keys.reserve("key-1", "hash-a");
    advance(10 * MINUTE);
    expect(keys.reserve("key-1", "hash-b")).toEqual({ kind: "conflict" });
  });

  test("a released reservation lets the retry go ahead at once", () => {
    const { keys } = store();
    keys.reserve("key-1", "hash-a");
    keys.release("key-1");
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "new" });
  });

  test("releasing does not remove a completed answer", () => {
    const { keys } = store();
    keys.reserve("key-1", "hash-a");
    keys.complete("key-1", { status: 202, body: "{}" });
    keys.release("key-1");
    expect(keys.reserve("key-1", "hash-a")).toEqual({ kind: "replay", answer: { status: 202, body: "{}" } });
  });

  test("keys are kept 24 hours: after that the same key is new, even with another body, and pruning removes them", () => {
    const { keys, advance } = store();
    keys.reserve("key-1", "hash-a");
    keys.complete("key-1", { status: 202, body: "{}" });
    keys.reserve("key-2", "hash-a");
    keys.complete("key-2", { status: 202, body: "{}" });
    advance(24 * HOUR + 1);
    expect(keys.reserve("key-1", "hash-b")).toEqual({ kind: "new" });
    expect(keys.pruneExpired()).toBe(1);
  });
});
