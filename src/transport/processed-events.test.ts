import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tmpfsDisk, type TmpfsDisk } from "../../test/support/tmpfs.ts";
import { DiskError } from "../errors.ts";
import { ProcessedEvents } from "./processed-events.ts";

/**
 * Runs `work` on a small tmpfs of its own, so that the disk can really fill up under SQLite (and be given
 * room again by a remount). Mounting needs root, as the test containers run.
 */
async function onSmallDisk(work: (disk: TmpfsDisk) => Promise<void>): Promise<void> {
  const disk = tmpfsDisk("256k");
  try {
    await work(disk);
  } finally {
    disk.remove();
  }
}

/** Writes a file until the disk refuses more. */
function fill(dir: string): void {
  const chunk = new Uint8Array(1024);
  try {
    for (;;) appendFileSync(join(dir, "filler"), chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
  }
}

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

  test("an effect done while its row cannot be written is not done again, and its row is written once there is room", async () => {
    await onSmallDisk(async (disk) => {
      const path = join(disk.dir, "store.sqlite");
      let runs = 0;
      const effect = async () => void runs++;
      let doneAt: Date | undefined;
      const store = new ProcessedEvents(path);
      try {
        expect((await store.once("event-0", effect)).outcome).toBe("done");
        fill(disk.dir);

        // The effect (an email) happened, but the row saying so cannot be written: the caller must not commit.
        const error = await store.once("event-1", effect).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DiskError);
        expect((error as DiskError).path).toBe(path);
        expect((error as DiskError).message).toContain(path);
        expect(runs).toBe(2);

        // The batch is tried again while the disk is still full: the effect is not repeated.
        await expect(store.once("event-1", effect)).rejects.toBeInstanceOf(DiskError);
        expect(runs).toBe(2);
        doneAt = store.doneAt("event-1");
        expect(doneAt).toBeInstanceOf(Date);

        disk.resize("1m");
        expect(await store.once("event-1", effect)).toEqual({ outcome: "skipped", doneAt: doneAt! });
        expect(runs).toBe(2);
      } finally {
        store.close();
      }

      // The row is on disk, with the time the effect was done: a redelivery after a restart skips it.
      const reopened = new ProcessedEvents(path);
      try {
        expect(reopened.doneAt("event-1")).toEqual(doneAt!);
        expect((await reopened.once("event-1", effect)).outcome).toBe("skipped");
        expect(runs).toBe(2);
      } finally {
        reopened.close();
      }
    });
  });
});
