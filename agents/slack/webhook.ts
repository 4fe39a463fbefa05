import { AppError } from "../../src/errors.ts";
import { PermanentError } from "../../src/transport/types.ts";
import type { SlackMessage } from "./message.ts";

export interface WebhookOptions {
  /** A secret: it must not reach a log line or an error message. */
  url: string;
  sleep: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /** Requests that may fail (5xx, network, timeout) before giving up. */
  maxAttempts?: number;
  /** Delay after the first failure; doubles after each further one. */
  backoffMs?: number;
  /** 429 answers honoured per post; they do not count as failures, but a stuck limit must not hang a partition. */
  maxRateLimitWaits?: number;
}

/** Slack failed in a way that may pass (5xx, unreachable, rate limited too long); the handler may be retried. */
export class SlackWebhookError extends AppError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const RETRY_AFTER_DEFAULT_MS = 1_000;
const RETRY_AFTER_MAX_MS = 60_000;

/** Slack sends `Retry-After` in whole seconds; anything else gets the default wait, and long waits are capped. */
export function retryAfterMs(header: string | null): number {
  const value = header?.trim() ?? "";
  if (!/^\d+$/.test(value)) return RETRY_AFTER_DEFAULT_MS;
  return Math.min(Number(value) * 1000, RETRY_AFTER_MAX_MS);
}

/**
 * Posts one message to an incoming webhook. Resolves once Slack answered 2xx. A 429 waits for `Retry-After`;
 * 5xx and network failures are tried again with backoff, then throw SlackWebhookError; any other answer
 * (400 invalid_payload, 403, 404 no_service, a redirect) cannot get better by retrying and throws PermanentError.
 */
export async function postToWebhook(message: SlackMessage, options: WebhookOptions): Promise<void> {
  const { url, sleep, timeoutMs = 10_000, maxAttempts = 3, backoffMs = 500, maxRateLimitWaits = 10 } = options;
  const body = JSON.stringify(message);
  let failures = 0;
  let rateLimitWaits = 0;
  for (;;) {
    let outcome: { status: number; detail: string; retryAfter: string | null };
    try {
      // redirect: "manual" — a webhook that redirects is misconfigured; the message must not follow it elsewhere.
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      let detail = "";
      if (response.ok) await response.body?.cancel();
      else detail = (await response.text()).slice(0, 200);
      outcome = { status: response.status, detail, retryAfter: response.headers.get("retry-after") };
    } catch (error) {
      // Only the error's name and code: Bun puts the request URL (the secret) in fetch errors' `path`.
      outcome = { status: 0, detail: describeNetworkError(error), retryAfter: null };
    }
    const { status, detail } = outcome;
    if (status >= 200 && status < 300) return;
    if (status === 429) {
      if (++rateLimitWaits > maxRateLimitWaits) {
        throw new SlackWebhookError(`Slack kept rate limiting after ${maxRateLimitWaits} waits`, 429);
      }
      await sleep(retryAfterMs(outcome.retryAfter));
      continue;
    }
    if (status === 0 || status >= 500) {
      if (++failures >= maxAttempts) {
        const what = status === 0 ? `unreachable (${detail})` : `answered ${status} ${detail}`.trim();
        throw new SlackWebhookError(`Slack webhook ${what}, ${failures} attempts`, status || undefined);
      }
      await sleep(backoffMs * 2 ** (failures - 1));
      continue;
    }
    throw new PermanentError(`Slack webhook refused the message: ${status} ${detail}`.trim());
  }
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${error.name} ${code}` : error.name;
}
