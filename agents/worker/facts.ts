import { AGENT_CORRELATION_PREFIX, createChildEvent, createEvent, type DomainEvent } from "../../src/events/index.ts";
import { derivedId } from "../../src/transport/derived-id.ts";
import type { HandlerOutcome } from "./task-request.ts";

type Assignment = DomainEvent<"task.assigned">;

/** Who reports: the worker's id and type, also the events' source. */
export interface Reporter {
  agentId: string;
  agentType: string;
}

/**
 * The facts a worker reports about one assignment. Their ids are derived from the assignment, so a
 * redelivered assignment reports the same facts again (the same events), which consumers deduplicate.
 */
export function acceptedFact(assignment: Assignment, reporter: Reporter): DomainEvent<"agent.task.accepted"> {
  return createChildEvent(assignment, "agent.task.accepted", taskFields(assignment, reporter), reporter.agentId, {
    eventId: derivedId(assignment.event_id, "agent.task.accepted"),
  });
}

/** agent.task.completed or agent.task.failed, caused by the acceptance. */
export function outcomeFact(
  assignment: Assignment,
  accepted: DomainEvent<"agent.task.accepted">,
  outcome: HandlerOutcome,
  durationMs: number,
  reporter: Reporter,
): DomainEvent<"agent.task.completed" | "agent.task.failed"> {
  const fields = taskFields(assignment, reporter);
  const duration_ms = Math.max(0, Math.round(durationMs));
  if (outcome.kind === "completed") {
    return createChildEvent(accepted, "agent.task.completed", { ...fields, output: outcome.output, duration_ms }, reporter.agentId, {
      eventId: derivedId(assignment.event_id, "agent.task.completed"),
    });
  }
  return createChildEvent(
    accepted,
    "agent.task.failed",
    { ...fields, reason: outcome.reason.slice(0, 2000), retriable: outcome.retriable, duration_ms },
    reporter.agentId,
    { eventId: derivedId(assignment.event_id, "agent.task.failed") },
  );
}

function taskFields(assignment: Assignment, { agentId, agentType }: Reporter) {
  const { task_id, attempt, workflow_id, step_id } = assignment.data;
  return {
    task_id,
    agent_id: agentId,
    agent_type: agentType,
    attempt,
    ...(workflow_id !== undefined ? { workflow_id } : {}),
    ...(step_id !== undefined ? { step_id } : {}),
  };
}

/** Facts about the agent itself start their own chain: nothing caused them but the agent's life. */
export function agentMetadata(reporter: Reporter, cause: string) {
  return { correlation_id: `${AGENT_CORRELATION_PREFIX}${reporter.agentId}`, causation_id: cause, source: reporter.agentId };
}

export function registeredFact(
  reporter: Reporter,
  card: { name: string; version: string; skills: DomainEvent<"agent.registered">["data"]["skills"] },
  concurrency: number,
  host: string,
): DomainEvent<"agent.registered"> {
  return createEvent(
    "agent.registered",
    { agent_id: reporter.agentId, agent_type: reporter.agentType, name: card.name, version: card.version, skills: card.skills, concurrency, host },
    agentMetadata(reporter, "start"),
  );
}

export function heartbeatFact(
  reporter: Reporter,
  counts: { inFlight: number; completed: number; failed: number },
  draining: boolean,
  heartbeatMs?: number,
): DomainEvent<"agent.heartbeat"> {
  const status = draining ? "draining" : counts.inFlight > 0 ? "busy" : "idle";
  return createEvent(
    "agent.heartbeat",
    {
      agent_id: reporter.agentId,
      agent_type: reporter.agentType,
      status,
      in_flight: counts.inFlight,
      completed: counts.completed,
      failed: counts.failed,
      ...(heartbeatMs !== undefined ? { heartbeat_ms: heartbeatMs } : {}),
    },
    agentMetadata(reporter, "heartbeat"),
  );
}

export function deregisteredFact(reporter: Reporter, reason: string): DomainEvent<"agent.deregistered"> {
  return createEvent("agent.deregistered", { agent_id: reporter.agentId, agent_type: reporter.agentType, reason }, agentMetadata(reporter, "stop"));
}
