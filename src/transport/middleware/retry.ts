import { UnavailableError } from "../../errors.ts";
import { abortableSleep } from "../abortable-sleep.ts";
import { PermanentError, type Middleware } from "../types.ts";

export interface RetryOptions {
  /** Attempts after the first; 0 disables retrying. */
  maxRetries: number;
  /** Delay before the first retry; doubles each time, with ±20% jitter, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs?: number;
  /** For tests: what waits. It is given the delivery's signal, which a stop aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Retries a failing handler with exponential backoff. A PermanentError is passed on at once, and so is an
 * UnavailableError (a full disk): the consume loop keeps the whole batch and tries it again, so spending
 * the event's retries on it would only dead-letter an event that nothing is wrong with. A stop (the
 * delivery's signal) ends the retries with the last error.
 */
export function retry(options: RetryOptions): Middleware {
  const { maxRetries, initialDelayMs, maxDelayMs = 30_000, sleep = abortableSleep } = options;
  return (next) =>
    async function retrying(delivery) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await next(delivery);
        } catch (error) {
          if (error instanceof PermanentError || error instanceof UnavailableError || attempt >= maxRetries) throw error;
          if (delivery.signal.aborted) throw error;
          const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
          delivery.logger.warn({ err: error, attempt: attempt + 1, delayMs: Math.round(delay) }, "handler failed; retrying");
          await sleep(delay, delivery.signal);
          if (delivery.signal.aborted) throw error;
        }
      }
    };
}
