import { createHash } from "node:crypto";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import * as v from "valibot";
import {
  createEvent,
  CORRELATION_ID_HEADER,
  formatTraceparent,
  linkCause,
  parseTraceparent,
  SafeId,
  startChain,
  TRACEPARENT,
  TRACESTATE,
  type TraceContext,
} from "../events/index.ts";
import { boundedText, jsonObject } from "../events/catalog/fields.ts";
import { MAX_TASK_INPUT_BYTES } from "../events/catalog/task.ts";
import { isPlainObject } from "../events/envelope.ts";
import type { Logger } from "../log.ts";
import { HEADERS_ONLY, type Tracer } from "../telemetry/tracer.ts";
import { derivedId } from "../transport/derived-id.ts";
import type { Publisher } from "../transport/types.ts";
import type { IdempotencyStore } from "./idempotency-store.ts";
import { problemResponse, type Problem } from "./problem.ts";
import { checkTarget, type TaskTargetFields, type TaskTargets } from "./task-target.ts";
import { tokenAuth } from "./token-auth.ts";

/** A task's input may be 64 KiB of JSON; the rest of the body is a few short fields. */
export const MAX_BODY_BYTES = MAX_TASK_INPUT_BYTES + 8 * 1024;
const SOURCE = "task-api";
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The body of POST /tasks, as in the spec; unknown fields are refused so a typo is not silently ignored. */
export const CreateTaskRequest = v.strictObject({
  title: boundedText(1, 500),
  owner_id: SafeId,
  priority: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, "must be 1-5"),
      v.maxValue(5, "must be 1-5"),
    ),
    1,
  ),
  /** Work for an agent of this type (the orchestrator assigns it), or a run of this workflow, with its input. */
  agent_type: v.optional(SafeId),
  workflow: v.optional(SafeId),
  input: v.optional(jsonObject(MAX_TASK_INPUT_BYTES)),
});

export interface TasksRouteOptions {
  publisher: Publisher;
  idempotency: IdempotencyStore;
  logger: Logger;
  /** How long the broker may take to acknowledge before the client gets 503. */
  publishTimeoutMs: number;
  /** What keeps a publish from succeeding now (no topics yet, no broker): non-empty means 503 at once. */
  unavailable?: () => string[];
  /** The agent types and workflows a task may name; without it, naming either is refused. */
  targets?: TaskTargets;
  /** Bearer tokens for POST /tasks; empty or absent leaves it open. */
  tokens?: readonly string[];
  /** A stop refuses new requests once begun, and answers those still waiting when its grace is over. */
  shutdown?: { begun: AbortSignal; graceOver: AbortSignal };
  /** Spans of requests; without it only the `traceparent` of task.created is written. */
  tracer?: Tracer;
}

const RETRY_AFTER_SECONDS = "5";

/**
 * POST /tasks answers 201 only after the broker acknowledged task.created on all in-sync replicas. If it
 * cannot within publishTimeoutMs the answer is 503 with Retry-After and nothing is claimed.
 */
export function tasksRoute(options: TasksRouteOptions): Hono {
  const { publisher, idempotency, logger, publishTimeoutMs, unavailable = () => [], shutdown, tracer = HEADERS_ONLY } = options;
  const app = new Hono();
  if (options.tokens && options.tokens.length > 0) app.use("/tasks", tokenAuth(options.tokens));
  app.post(
    "/tasks",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        problemResponse(c, 413, `body is larger than ${MAX_BODY_BYTES} bytes`, [
          { path: "", message: `must be at most ${MAX_BODY_BYTES} bytes` },
        ]),
    }),
    async function tracedCreateTask(c) {
      // A malformed traceparent is ignored and a new trace started, as the W3C spec says: never a 400.
      const incoming = parseTraceparent(c.req.header(TRACEPARENT), c.req.header(TRACESTATE));
      const span = tracer.start("POST /tasks", "server", incoming, tracer.exporting ? { "http.request.method": "POST", "http.route": "/tasks" } : undefined);
      // The caller finds its trace by this, whether it sent a traceparent or not.
      c.header(TRACEPARENT, formatTraceparent(span.context));
      let response: Response;
      try {
        response = await createTask(c, span.context);
      } catch (error) {
        span.end(error);
        throw error;
      }
      const status = response.status;
      span.end(status >= 500 ? `HTTP ${status}` : undefined, tracer.exporting ? { "http.response.status_code": status } : undefined);
      return response;
    },
  );
  app.all("/tasks", (c) => {
    c.header("Allow", "POST");
    return problemResponse(c, 405, `${c.req.method} is not allowed on /tasks`, [{ path: "", message: "create a task with POST" }]);
  });
  return app;

  /** POST /tasks itself, within its request span `trace`. */
  async function createTask(c: Context, trace: TraceContext): Promise<Response> {
    if (shutdown?.begun.aborted) {
      c.header("Retry-After", RETRY_AFTER_SECONDS);
      c.header("Connection", "close");
      return problemResponse(c, 503, "shutting down; send the request again (to another instance)");
    }
    const contentType = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      return problemResponse(c, 415, "Content-Type must be application/json", [
        { path: "Content-Type", message: contentType ? `got ${contentType}` : "is missing" },
      ]);
    }
    const chain = startChain(c.req.header(CORRELATION_ID_HEADER), { causationId: "", source: SOURCE });
    if (!chain.ok) return problemResponse(c, 400, "invalid header", chain.error.issues);
    const correlationId = chain.metadata.correlation_id;
    c.header(CORRELATION_ID_HEADER, correlationId);

    const key = c.req.header("Idempotency-Key");
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return problemResponse(c, 400, "invalid header", [
        { path: "Idempotency-Key", message: "must be 1-255 visible ASCII characters" },
      ]);
    }
    const raw = await c.req.text();
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return problemResponse(c, 400, "body is not valid JSON", [{ path: "", message: (error as Error).message }]);
    }
    // The schema would take an array for an object and list its indexes as unknown keys: say what it is.
    if (!isPlainObject(json)) {
      return problemResponse(c, 400, "invalid task", [{ path: "", message: `must be a JSON object, not ${kindOf(json)}` }]);
    }
    const parsed = v.safeParse(CreateTaskRequest, json);
    // What the task is for is checked even when other fields are wrong, so that one answer lists everything.
    const target = checkTarget(targetFieldsOf(json), options.targets ?? { agentTypes: () => new Set(), workflows: new Map() });
    const problems = [...(parsed.success ? [] : issuesOf(parsed.issues)), ...(target.kind === "invalid" ? target.problems : [])];
    if (!parsed.success || problems.length > 0) return problemResponse(c, 400, "invalid task", problems);
    if (target.kind === "not-known-yet") {
      c.header("Retry-After", RETRY_AFTER_SECONDS);
      return problemResponse(c, 503, "not ready to check the task's agent_type; nothing was created", [{ path: "", message: target.why }]);
    }

    if (key !== undefined) {
      const reservation = idempotency.reserve(key, createHash("sha256").update(raw).digest("hex"));
      if (reservation.kind === "conflict") {
        return problemResponse(c, 422, "Idempotency-Key was already used with a different body", [
          { path: "Idempotency-Key", message: "reuse a key only to retry the same request" },
        ]);
      }
      if (reservation.kind === "in-progress") {
        c.header("Retry-After", "1");
        return problemResponse(c, 409, "a request with this Idempotency-Key is still in progress");
      }
      if (reservation.kind === "replay") {
        c.header("Idempotent-Replayed", "true");
        return c.body(reservation.answer.body, reservation.answer.status as 201, { "Content-Type": "application/json" });
      }
    }

    const missing = unavailable();
    if (missing.length > 0) {
      if (key !== undefined) releaseKey(key);
      c.header("Retry-After", RETRY_AFTER_SECONDS);
      return problemResponse(
        c,
        503,
        "not ready to publish; nothing was created",
        missing.map((message) => ({ path: "", message })),
      );
    }

    // With an Idempotency-Key the ids are derived from it: a retry after a 503 whose write did land after
    // all publishes the same event_id, which every consumer deduplicates.
    const taskId = key !== undefined ? derivedId("task", key) : crypto.randomUUID();
    const event = createEvent(
      "task.created",
      { task_id: taskId, ...parsed.output },
      { correlation_id: correlationId, causation_id: `api-create-${taskId}`, source: SOURCE },
      key !== undefined ? { eventId: derivedId("task.created", key) } : {},
    );
    linkCause(event, trace);
    const log = logger.child({ correlation_id: correlationId, event_id: event.event_id });
    try {
      await acknowledged(publisher.publish(event), publishTimeoutMs, shutdown?.graceOver);
    } catch (error) {
      if (key !== undefined) releaseKey(key);
      log.warn({ err: error }, "task.created not acknowledged by the broker; answering 503");
      c.header("Retry-After", RETRY_AFTER_SECONDS);
      // The write timed out, not failed: librdkafka may have sent it, and the broker may still record it.
      return problemResponse(
        c,
        503,
        "the broker did not acknowledge task.created in time; it may still be recorded: retry with the same Idempotency-Key to have it created exactly once",
      );
    }
    const body = JSON.stringify({
      id: taskId,
      status: "created",
      correlation_id: correlationId,
      ...(parsed.output.workflow !== undefined ? { workflow_id: taskId } : {}),
    });
    if (key !== undefined) {
      try {
        idempotency.complete(key, { status: 201, body });
      } catch (error) {
        // The event is on the broker: 201 is the truth. A retry with this key finds it in progress until
        // the reservation expires, then publishes the same event_id again, which consumers deduplicate.
        log.error({ err: error }, "task created, but its Idempotency-Key answer could not be stored");
      }
    }
    log.info({ task_id: taskId }, "task created");
    return c.body(body, 201, { "Content-Type": "application/json" });
  }

  /** Frees a reservation so the client's retry can go ahead; a full disk leaves it to expire instead. */
  function releaseKey(key: string): void {
    try {
      idempotency.release(key);
    } catch (error) {
      logger.warn({ err: error }, "could not release an Idempotency-Key reservation; it expires by itself");
    }
  }
}

/** The fields naming what the task is for, where they have the right type (the schema reports the rest). */
function targetFieldsOf(json: Record<string, unknown>): TaskTargetFields {
  const fields: TaskTargetFields = {
    agent_type: typeof json.agent_type === "string" && v.is(SafeId, json.agent_type) ? json.agent_type : undefined,
    workflow: typeof json.workflow === "string" && v.is(SafeId, json.workflow) ? json.workflow : undefined,
    input: isPlainObject(json.input) ? json.input : undefined,
  };
  // An input beside an agent_type or workflow of the wrong type: that field's own problem says enough.
  const named = json.agent_type !== undefined || json.workflow !== undefined;
  if (named && fields.agent_type === undefined && fields.workflow === undefined) fields.input = undefined;
  return fields;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function issuesOf(issues: readonly v.BaseIssue<unknown>[]): Problem[] {
  return issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: messageOf(issue) }));
}

/** valibot's words for a missing or an unknown field, said the way the field checks say theirs. */
function messageOf(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "strict_object" && issue.expected === "never") return `is not a field of a task (${TASK_FIELDS})`;
  if (issue.type === "strict_object" && issue.input === undefined) return "is required";
  return issue.message;
}

const TASK_FIELDS = Object.keys(CreateTaskRequest.entries).join(", ");

/** The publish, or a rejection when `ms` pass or a stop's grace ends first. */
function acknowledged<T>(work: Promise<T>, ms: number, graceOver?: AbortSignal): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
    onAbort = () => reject(new Error("the process is stopping and the broker did not acknowledge in time"));
    if (graceOver?.aborted) onAbort();
    graceOver?.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
    if (onAbort) graceOver?.removeEventListener("abort", onAbort);
  });
}
