import { PermanentError, type Middleware } from "../types.ts";

export interface RetryOptions {
  /** Attempts after the first; 0 disables retrying. */
  maxRetries: number;
  /** Delay before the first retry; doubles each time, with ±20% jitter, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs?: number;
  /** For tests: what waits. */
  sleep?: (ms: number) => Promise<void>;
}

/** Retries a failing handler with exponential backoff; a PermanentError is passed on at once. */
export function retry(options: RetryOptions): Middleware {
  const { maxRetries, initialDelayMs, maxDelayMs = 30_000, sleep = Bun.sleep } = options;
  return (next) =>
    async function retrying(delivery) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await next(delivery);
        } catch (error) {
          if (error instanceof PermanentError || attempt >= maxRetries) throw error;
          const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
          delivery.logger.warn({ err: error, attempt: attempt + 1, delayMs: Math.round(delay) }, "handler failed; retrying");
          await sleep(delay);
        }
      }
    };
}
