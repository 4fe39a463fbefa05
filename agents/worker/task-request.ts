import type { TraceContext } from "../../src/events/index.ts";

/**
 * The contract between a worker and the program that does the work, the same over HTTP and in-process:
 * the request it gets, and what it may answer.
 */

/** What a handler is asked to do: the JSON body POSTed to AGENT_HANDLER_URL, or a built-in handler's argument. */
export interface TaskRequest {
  task_id: string;
  agent_type: string;
  /** 1 the first time; more when the orchestrator dispatches it again after a retriable failure. */
  attempt: number;
  input: Record<string, unknown>;
  correlation_id: string;
  /** When the worker stops waiting for the answer (ISO 8601, UTC). */
  deadline: string;
}

/** How a handler run ended, as the worker reports it. */
export type HandlerOutcome =
  | { kind: "completed"; output: unknown }
  /** `retriable`: whether running it again (later, maybe elsewhere) can help. */
  | { kind: "failed"; reason: string; retriable: boolean };

export interface HandlerContext {
  /** The same on every delivery of one assignment: the handler may use it to do its effects once. */
  idempotencyKey: string;
  /** Aborted at the deadline, or when the worker stops or loses the task's partition. */
  signal: AbortSignal;
  /** The span of this call, a child of the assignment's: sent as `traceparent` so the handler continues the trace. */
  trace?: TraceContext;
}

/**
 * A handler living in this repository (agents/worker/builtin/): answers like the HTTP contract, `{output}`
 * or `{error}` (a failure that running again will not fix). Throwing is treated like an HTTP 5xx: retried,
 * then reported as a retriable failure.
 */
export type TaskHandler = (request: TaskRequest, context: HandlerContext) => Promise<{ output: unknown } | { error: string }>;
