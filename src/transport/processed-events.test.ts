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
    expect(await store.once("event-1", async () => void runs++)).toBe("done");
    expect(await store.once("event-1", async () => void runs++)).toBe("skipped");
    store.close();
    const reopened = new ProcessedEvents(path);
    expect(await reopened.once("event-1", async () => void runs++)).toBe("skipped");
    expect(await reopened.once("event-2", async () => void runs++)).toBe("done");
    reopened.close();
    expect(runs).toBe(2);
  });

  test("does not record a key whose effect failed, so the redelivery tries again", async () => {
    const store = new ProcessedEvents(":memory:");
    await expect(store.once("event-1", async () => Promise.reject(new Error("smtp down")))).rejects.toThrow("smtp down");
    expect(store.has("event-1")).toBe(false);
  });
});
