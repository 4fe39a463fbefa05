import { abortableSleep } from "../../src/transport/abortable-sleep.ts";
import type { HandlerContext, HandlerOutcome, TaskHandler, TaskRequest } from "./task-request.ts";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/**
 * Runs a handler of this repository under the HTTP contract's rules: `{output}` completes, `{error}` fails
 * for good, a throw is retried like a 5xx and then reported as a retriable failure, and no answer by the
 * deadline is a retriable failure.
 */
export async function runBuiltIn(
  handler: TaskHandler,
  request: TaskRequest,
  context: HandlerContext,
  retries: number,
  sleep: (ms: number, signal: AbortSignal) => Promise<void> = abortableSleep,
): Promise<HandlerOutcome> {
  let last = "";
  for (let attempt = 0; attempt <= retries && !context.signal.aborted; attempt++) {
    if (attempt > 0) await sleep(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1)), context.signal);
    try {
      const answer = await Promise.race([handler(request, context), aborted(context.signal)]);
      if ("error" in answer) return { kind: "failed", reason: `handler reported an error: ${answer.error}`, retriable: false };
      return { kind: "completed", output: answer.output };
    } catch (error) {
      if (context.signal.aborted) break;
      last = error instanceof Error ? error.message : String(error);
    }
  }
  if (context.signal.aborted) return { kind: "failed", reason: `no answer from the handler by the deadline ${request.deadline}`, retriable: true };
  return { kind: "failed", reason: `handler failed ${retries + 1} times; last: ${last}`, retriable: true };
}

/** Rejects when `signal` aborts, so a handler that ignores its signal cannot hold the task past its deadline. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
