import { describe, expect, test } from "bun:test";
import { DiskError } from "../../errors.ts";
import { silentLogger } from "../../log.ts";
import { PermanentError, type Delivery } from "../types.ts";
import { retry } from "./retry.ts";

function deliveryWith(signal = new AbortController().signal): Delivery {
  return { logger: silentLogger, signal } as unknown as Delivery;
}

function failing(times: number, error: () => Error = () => new Error("flaky")) {
  let calls = 0;
  const handler = async () => {
    calls++;
    if (calls <= times) throw error();
  };
  return { handler, calls: () => calls };
}

describe("retry middleware", () => {
  test("retries a failing handler until it succeeds, with doubling delays", async () => {
    const delays: number[] = [];
    const { handler, calls } = failing(3);
    await retry({ maxRetries: 5, initialDelayMs: 100, sleep: async (ms) => void delays.push(ms) })(handler)(deliveryWith());
    expect(calls()).toBe(4);
    expect(delays).toHaveLength(3);
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(100 * 2 ** i * 0.8);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i * 1.2);
    });
  });

  test("gives up after maxRetries and throws the last error", async () => {
    const { handler, calls } = failing(10);
    const run = retry({ maxRetries: 2, initialDelayMs: 1, sleep: async () => {} })(handler)(deliveryWith());
    await expect(run).rejects.toThrow("flaky");
    expect(calls()).toBe(3);
  });

  test("does not retry a PermanentError", async () => {
    const { handler, calls } = failing(10, () => new PermanentError("bad data"));
    await expect(retry({ maxRetries: 5, initialDelayMs: 1, sleep: async () => {} })(handler)(deliveryWith())).rejects.toThrow(
      PermanentError,
    );
    expect(calls()).toBe(1);
  });

  test("passes an UnavailableError (a full disk) up at once, leaving the batch to the consume loop", async () => {
    const { handler, calls } = failing(10, () => new DiskError("/data/email-processed.sqlite", "SQLITE_FULL"));
    const run = retry({ maxRetries: 5, initialDelayMs: 1, sleep: async () => {} })(handler)(deliveryWith());
    await expect(run).rejects.toBeInstanceOf(DiskError);
    expect(calls()).toBe(1);
  });

  test("doubles the delay until the cap, then waits exactly the cap", async () => {
    const delays: number[] = [];
    const { handler } = failing(6);
    await retry({ maxRetries: 6, initialDelayMs: 1000, maxDelayMs: 3000, sleep: async (ms) => void delays.push(ms) })(handler)(
      deliveryWith(),
    );
    // 1000 and 2000 (±20 % jitter) below the cap, then 4000, 8000, ... capped at 3000.
    expect(delays).toHaveLength(6);
    expect(delays[0]).toBeLessThan(1300);
    expect(delays[1]).toBeGreaterThan(1500);
    expect(delays.slice(2)).toEqual([3000, 3000, 3000, 3000]);
  });

  test("a stop ends the retries with the last error, without waiting out the backoff", async () => {
    const stop = new AbortController();
    const { handler, calls } = failing(10);
    const run = retry({
      maxRetries: 5,
      initialDelayMs: 1000,
      sleep: async (_ms, signal) => {
        stop.abort();
        expect(signal.aborted).toBe(true);
      },
    })(handler)(deliveryWith(stop.signal));
    await expect(run).rejects.toThrow("flaky");
    expect(calls()).toBe(1);
  });
});
