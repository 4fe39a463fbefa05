import { formatTraceparent, TRACEPARENT, TRACESTATE } from "../../src/events/index.ts";
import { abortableSleep } from "../../src/transport/abortable-sleep.ts";
import type { HandlerContext, HandlerOutcome, TaskRequest } from "./task-request.ts";

/** A reply larger than this is refused: it would not fit in an event, and a handler sending it is broken. */
export const MAX_REPLY_BYTES = 1024 * 1024;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export interface HttpHandlerOptions {
  url: string;
  /** Attempts after the first, for 5xx answers and connection errors. */
  retries: number;
  /** For tests: what waits between attempts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Whether an attempt's answer is final, or worth another attempt. */
type Attempt = { final: HandlerOutcome } | { retry: string };

/**
 * Calls an agent written in any language over HTTP: POST the task as JSON with an Idempotency-Key that is
 * the same on every delivery of the assignment. 200 `{"output": …}` completes it; a 4xx or `{"error": …}`
 * fails it for good; a 5xx, a refused or dropped connection is tried again with backoff, then reported as
 * a retriable failure; no answer by the deadline is a retriable failure too. Nothing the handler sends
 * (not JSON, too large, the wrong shape) can do more than fail the task with a reason that says so.
 */
export async function callHttpHandler(request: TaskRequest, context: HandlerContext, options: HttpHandlerOptions): Promise<HandlerOutcome> {
  const sleep = options.sleep ?? abortableSleep;
  let last = "";
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await sleep(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1)), context.signal);
    if (context.signal.aborted) break;
    const result = await attemptOnce(request, context, options.url);
    if ("final" in result) return result.final;
    last = result.retry;
  }
  if (context.signal.aborted) return timedOut(request, context);
  return { kind: "failed", reason: `handler failed ${options.retries + 1} times; last: ${last}`, retriable: true };
}

async function attemptOnce(request: TaskRequest, context: HandlerContext, url: string): Promise<Attempt> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: requestHeaders(request, context),
      body: JSON.stringify(request),
      signal: context.signal,
    });
  } catch (error) {
    if (context.signal.aborted) return { final: timedOut(request, context) };
    return { retry: `cannot reach ${url}: ${(error as Error).message}` };
  }
  let body: string;
  try {
    body = await readLimited(response, MAX_REPLY_BYTES);
  } catch (error) {
    if (context.signal.aborted) return { final: timedOut(request, context) };
    if (error instanceof TooLarge) return { final: { kind: "failed", reason: error.message, retriable: false } };
    return { retry: `the reply broke off: ${(error as Error).message}` };
  }
  if (response.status >= 500) return { retry: `HTTP ${response.status}: ${snippet(body)}` };
  if (response.status >= 400) return { final: { kind: "failed", reason: `handler refused the task: HTTP ${response.status}: ${snippet(body)}`, retriable: false } };
  if (response.status !== 200) return { final: { kind: "failed", reason: `handler answered HTTP ${response.status}; the contract is 200 with {"output": …} or {"error": …}`, retriable: false } };
  return { final: outcomeOf(body) };
}

function requestHeaders(request: TaskRequest, context: HandlerContext): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Idempotency-Key": context.idempotencyKey,
    "X-Correlation-ID": request.correlation_id,
  };
  if (context.trace) {
    headers[TRACEPARENT] = formatTraceparent(context.trace);
    if (context.trace.tracestate) headers[TRACESTATE] = context.trace.tracestate;
  }
  return headers;
}

/** A 200's body: `{"output": …}` completes, `{"error": …}` fails for good, anything else is a broken reply. */
export function outcomeOf(body: string): HandlerOutcome {
  let reply: unknown;
  try {
    reply = JSON.parse(body);
  } catch {
    return { kind: "failed", reason: `handler's reply is not JSON: ${snippet(body)}`, retriable: false };
  }
  if (typeof reply === "object" && reply !== null && !Array.isArray(reply)) {
    if ("error" in reply && reply.error !== undefined && reply.error !== null) {
      const error = typeof reply.error === "string" ? reply.error : JSON.stringify(reply.error);
      return { kind: "failed", reason: `handler reported an error: ${error.slice(0, 1900)}`, retriable: false };
    }
    if ("output" in reply) return { kind: "completed", output: reply.output };
  }
  return { kind: "failed", reason: `handler's reply has neither "output" nor "error": ${snippet(body)}`, retriable: false };
}

function timedOut(request: TaskRequest, context: HandlerContext): HandlerOutcome {
  const reason = String(context.signal.reason ?? "");
  return { kind: "failed", reason: `no answer from the handler by the deadline ${request.deadline}${reason ? ` (${reason})` : ""}`, retriable: true };
}

class TooLarge extends Error {}

/** The body as text, refusing it once it passes `limit` bytes without reading the rest. */
async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new TooLarge(`handler's reply is over ${limit / 1024 / 1024} MiB`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || "(empty)";
}
