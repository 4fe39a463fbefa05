import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../log.ts";
import { PermanentError, type Delivery } from "../types.ts";
import { retry } from "./retry.ts";

const delivery = { logger: silentLogger } as unknown as Delivery;

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
    await retry({ maxRetries: 5, initialDelayMs: 100, sleep: async (ms) => void delays.push(ms) })(handler)(delivery);
    expect(calls()).toBe(4);
    expect(delays).toHaveLength(3);
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(100 * 2 ** i * 0.8);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i * 1.2);
    });
  });

  test("gives up after maxRetries and throws the last error", async () => {
    const { handler, calls } = failing(10);
    const run = retry({ maxRetries: 2, initialDelayMs: 1, sleep: async () => {} })(handler)(delivery);
    await expect(run).rejects.toThrow("flaky");
    expect(calls()).toBe(3);
  });

  test("does not retry a PermanentError", async () => {
    const { handler, calls } = failing(10, () => new PermanentError("bad data"));
    await expect(retry({ maxRetries: 5, initialDelayMs: 1, sleep: async () => {} })(handler)(delivery)).rejects.toThrow(
      PermanentError,
    );
    expect(calls()).toBe(1);
  });

  test("caps the delay at maxDelayMs", async () => {
    const delays: number[] = [];
    const { handler } = failing(6);
    await retry({ maxRetries: 6, initialDelayMs: 1000, maxDelayMs: 3000, sleep: async (ms) => void delays.push(ms) })(handler)(
      delivery,
    );
    expect(Math.max(...delays)).toBeLessThanOrEqual(3000);
  });
});
