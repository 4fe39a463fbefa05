import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessedEvents } from "./processed-events.ts";

describe("processed events store", () => {
  test("runs an effect once per key, also across a reopen of the file", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "processed-")), "store.sqlite");
    let runs = 0;
    const store = new ProcessedEvents(path);
    const outcome = async (s: ProcessedEvents, key: string) => (await s.once(key, async () => void runs++)).outcome;
    expect(await outcome(store, "event-1")).toBe("done");
    expect(await outcome(store, "event-1")).toBe("skipped");
    store.close();
    const reopened = new ProcessedEvents(path);
    expect(await outcome(reopened, "event-1")).toBe("skipped");
    expect(await outcome(reopened, "event-2")).toBe("done");
    reopened.close();
    expect(runs).toBe(2);
  });

  test("says when the effect was done, the same time on every later call and after a reopen", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "processed-")), "store.sqlite");
    const store = new ProcessedEvents(path);
    const before = Date.now();
    const first = await store.once("event-1", async () => {});
    expect(first.doneAt.getTime()).toBeGreaterThanOrEqual(before);
    expect((await store.once("event-1", async () => {})).doneAt).toEqual(first.doneAt);
    store.close();
    const reopened = new ProcessedEvents(path);
    expect((await reopened.once("event-1", async () => {})).doneAt).toEqual(first.doneAt);
    reopened.close();
  });

  test("does not record a key whose effect failed, so the redelivery tries again", async () => {
    const store = new ProcessedEvents(":memory:");
    await expect(store.once("event-1", async () => Promise.reject(new Error("smtp down")))).rejects.toThrow("smtp down");
    expect(store.has("event-1")).toBe(false);
  });
});
