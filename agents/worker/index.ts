import { join } from "node:path";
import { DiskError, UnavailableError } from "../../src/errors.ts";
import {
  AGENT_TASKS,
  AGENT_TYPE_HEADER,
  DEFAULT_MAX_EVENT_BYTES,
  jsonBytes,
  type AgentSkill,
  type DomainEvent,
  type EventEnvelope,
  spanOf,
} from "../../src/events/index.ts";
import type { Logger } from "../../src/log.ts";
import { HEADERS_ONLY, type Tracer } from "../../src/telemetry/tracer.ts";
import { abortableSleep } from "../../src/transport/abortable-sleep.ts";
import type { ParallelAgent } from "../../src/transport/agent.ts";
import type { Delivery, Publisher, RawMessage } from "../../src/transport/types.ts";
import { acceptedFact, deregisteredFact, heartbeatFact, outcomeFact, registeredFact, type Reporter } from "./facts.ts";
import { FinishedAssignments } from "./finished-assignments.ts";
import { callHttpHandler } from "./http-handler.ts";
import { runBuiltIn } from "./run-built-in.ts";
import type { HandlerOutcome, TaskHandler, TaskRequest } from "./task-request.ts";

/** An output that leaves less than this of the event's 1 MiB for the rest does not fit. */
const ENVELOPE_ROOM = 16 * 1024;
const DEREGISTER_TIMEOUT_MS = 1_000;

export interface WorkerCard {
  name: string;
  version: string;
  skills: AgentSkill[];
}

export interface WorkerMetrics {
  finished(agentType: string, outcome: "completed" | "failed", seconds: number): void;
  inFlight(agentType: string, count: number): void;
}

export interface WorkerOptions {
  type: string;
  id: string;
  concurrency: number;
  taskTimeoutMs: number;
  heartbeatMs: number;
  /** An HTTP endpoint (any language), or a handler in this repository. */
  handler: { url: string; retries: number } | { builtIn: TaskHandler; retries: number };
  card: WorkerCard;
  host: string;
  /** Holds `worker-<type>-finished.sqlite`. */
  dataDir: string;
  publisher: Publisher;
  logger: Logger;
  metrics?: WorkerMetrics;
  /** The handler call's span; without it only the `traceparent` header of the call is made. */
  tracer?: Tracer;
}

export interface Worker {
  agent: ParallelAgent;
  /** Says the agent is here (agent.registered) and starts its heartbeats; call once its topics exist. */
  announce(): Promise<void>;
  /** Readiness: what the disk refused, if anything. */
  problem(): string | undefined;
}

/**
 * A worker agent: takes the task.assigned events of its type from agent-tasks, many at once, runs each through
 * its handler, and reports agent.task.accepted, then agent.task.completed or agent.task.failed, on
 * agent-results. A finished assignment that is delivered again is not run again; its facts are reported again.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { type, id, logger, publisher, tracer = HEADERS_ONLY } = options;
  const reporter: Reporter = { agentId: id, agentType: type };
  const finished = new FinishedAssignments(join(options.dataDir, `worker-${type}-finished.sqlite`), logger);
  const counts = { inFlight: 0, completed: 0, failed: 0 };
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let beating = false;
  let draining = false;

  async function publish(facts: readonly EventEnvelope[]): Promise<void> {
    try {
      for (const fact of facts) await publisher.publish(fact);
    } catch (error) {
      // The broker away is not the task's fault: the loop tries again later instead of dead-lettering it.
      throw new UnavailableError(`cannot publish ${facts.map((f) => f.event_type).join(", ")}: ${(error as Error).message}`, { cause: error });
    }
  }

  async function run(assignment: DomainEvent<"task.assigned">, delivery: Delivery): Promise<HandlerOutcome> {
    const now = Date.now();
    const requested = assignment.data.deadline ? Date.parse(assignment.data.deadline) : Number.POSITIVE_INFINITY;
    const deadline = Math.min(requested, now + options.taskTimeoutMs);
    if (deadline <= now) {
      return { kind: "failed", reason: `its deadline ${assignment.data.deadline} passed before the task started`, retriable: false };
    }
    const request: TaskRequest = {
      task_id: assignment.data.task_id,
      agent_type: type,
      attempt: assignment.data.attempt,
      input: assignment.data.input,
      correlation_id: assignment.metadata.correlation_id,
      deadline: new Date(deadline).toISOString(),
    };
    const signal = AbortSignal.any([delivery.signal, AbortSignal.timeout(deadline - now)]);
    const { handler } = options;
    const overHttp = "url" in handler;
    const attributes = tracer.exporting ? { task_id: request.task_id, attempt: request.attempt, "url.full": overHttp ? handler.url : undefined } : undefined;
    const span = tracer.start(`${overHttp ? "call handler" : "run built-in"} ${type}`, overHttp ? "client" : "internal", spanOf(assignment), attributes);
    const context = { idempotencyKey: assignment.event_id, signal, trace: span.context };
    let outcome: HandlerOutcome;
    try {
      outcome =
        "url" in handler
          ? await callHttpHandler(request, context, { url: handler.url, retries: handler.retries })
          : await runBuiltIn(handler.builtIn, request, context, handler.retries);
    } catch (error) {
      span.end(error);
      throw error;
    }
    span.end(outcome.kind === "failed" ? outcome.reason : undefined);
    // Given up (a stop, a revoke): nothing is reported, and the assignment is delivered again.
    if (delivery.signal.aborted) throw new Error("the task was given up before it finished");
    return fitsAnEvent(outcome);
  }

  /** Assignments being run, by event id: the same assignment published again waits for the run in hand. */
  const running = new Map<string, Promise<void>>();

  async function handleOne(delivery: Delivery): Promise<void> {
    if (!delivery.known || delivery.event.event_type !== "task.assigned") return;
    const assignment = delivery.event;
    if (assignment.data.agent_type !== type) return;
    // Asked of one agent by name: the others of its type leave it alone.
    if (assignment.data.agent_id !== undefined && assignment.data.agent_id !== id) return;
    const key = assignment.event_id;
    const inHand = running.get(key);
    if (inHand) return inHand.catch(() => {});
    const reported = finished.get(key);
    if (reported) {
      delivery.logger.debug({ task_id: assignment.data.task_id }, "assignment finished before; reporting its facts again");
      return publish(reported);
    }
    const run = runAssignment(assignment, delivery, key);
    running.set(key, run);
    try {
      await run;
    } finally {
      running.delete(key);
    }
  }

  async function runAssignment(assignment: DomainEvent<"task.assigned">, delivery: Delivery, key: string): Promise<void> {
    const accepted = acceptedFact(assignment, reporter);
    // Sent before the handler runs and not awaited before the outcome is sent: both are keyed by the task, so
    // the idempotent producer keeps them in order, and neither the handler nor the outcome waits a round trip
    // to the broker.
    const acceptance = publish([accepted]);
    // Observed now: a task given up before the outcome (a stop) never awaits it.
    acceptance.catch(() => {});
    counts.inFlight++;
    options.metrics?.inFlight(type, counts.inFlight);
    const started = performance.now();
    let outcome: HandlerOutcome;
    try {
      outcome = await run(assignment, delivery);
    } finally {
      counts.inFlight--;
      options.metrics?.inFlight(type, counts.inFlight);
    }
    const duration = performance.now() - started;
    const fact = outcomeFact(assignment, accepted, outcome, duration, reporter);
    counts[outcome.kind === "completed" ? "completed" : "failed"]++;
    options.metrics?.finished(type, outcome.kind, duration / 1000);
    // A line per completed task would cost more than the task itself at thousands a second; failures stand out.
    delivery.logger[outcome.kind === "completed" ? "debug" : "warn"](
      { task_id: assignment.data.task_id, outcome: outcome.kind, duration_ms: Math.round(duration), ...(outcome.kind === "failed" ? { reason: outcome.reason } : {}) },
      `task ${outcome.kind}`,
    );
    try {
      await finished.record(key, [accepted, fact]);
    } catch (error) {
      // Kept in memory: this process will not run it again, and readiness names the disk.
      if (!(error instanceof DiskError)) throw error;
    }
    const report = publish([fact]);
    report.catch(() => {}); // observed now, awaited below
    if (await acceptance.then(() => true, () => false)) return report;
    // The acceptance did not get through: both are reported again, in order, once the outcome's own send has
    // settled (a copy that did get through has the same id, which consumers drop). The handler is not run again.
    await report.then(
      () => {},
      () => {},
    );
    await publish([accepted, fact]);
  }

  const agent: ParallelAgent = {
    kind: "parallel",
    name: `worker:${type}`,
    group: `agent-${type}`,
    topics: [AGENT_TASKS],
    concurrency: options.concurrency,
    accepts: (message) => acceptsType(message, type),
    handleOne,
    async close() {
      draining = true;
      if (heartbeat) clearInterval(heartbeat);
      await Promise.race([publish([deregisteredFact(reporter, "stopped")]).catch(() => {}), abortableSleep(DEREGISTER_TIMEOUT_MS)]);
      finished.close();
    },
  };

  return {
    agent,
    problem: () => finished.problem(),
    async announce() {
      await publish([registeredFact(reporter, options.card, options.concurrency, options.host)]);
      logger.info({ agent_id: id, concurrency: options.concurrency }, "worker registered");
      heartbeat = setInterval(() => {
        if (beating || draining) return;
        beating = true;
        void publish([heartbeatFact(reporter, counts, draining, options.heartbeatMs)])
          .catch((error) => logger.debug({ err: error }, "heartbeat not published"))
          .finally(() => (beating = false));
      }, options.heartbeatMs);
      heartbeat.unref();
    },
  };
}

/** By the agent_type header alone; a message without one is parsed and checked by type. */
function acceptsType(message: RawMessage, type: string): boolean {
  for (const [name, value] of message.headers) {
    if (name === AGENT_TYPE_HEADER) return value !== null && Buffer.from(value).toString() === type;
  }
  return true;
}

/** An output too large for an event fails the task instead of failing the report. */
function fitsAnEvent(outcome: HandlerOutcome): HandlerOutcome {
  if (outcome.kind !== "completed") return outcome;
  const bytes = jsonBytes(outcome.output);
  if (bytes <= DEFAULT_MAX_EVENT_BYTES - ENVELOPE_ROOM) return outcome;
  return { kind: "failed", reason: `the handler's output of ${bytes} bytes does not fit in an event (at most about 1 MiB)`, retriable: false };
}
