import { createChildEvent, type DomainEvent, type EventEnvelope } from "../../src/events/index.ts";
import { derivedId } from "../../src/transport/derived-id.ts";

export const SOURCE = "orchestrator";

/** Where a task stands in a workflow run, when it is a step of one. */
export interface StepRef {
  workflowId: string;
  stepId: string;
}

/**
 * The orchestrator's facts. Each id is derived from what caused it (and, for an assignment, from the task and
 * attempt), so the orchestrator replaying its input after a crash, or a second member taking a partition
 * over, publishes the same events again, which every consumer deduplicates. Their time is the decision's.
 */
export function assignment(
  cause: EventEnvelope,
  task: { taskId: string; agentType: string; attempt: number; input: Record<string, unknown>; deadline: number },
  step: StepRef | undefined,
  at: number,
): DomainEvent<"task.assigned"> {
  return createChildEvent(
    cause,
    "task.assigned",
    {
      task_id: task.taskId,
      agent_type: task.agentType,
      attempt: task.attempt,
      input: task.input,
      deadline: new Date(task.deadline).toISOString(),
      ...stepFields(step),
    },
    SOURCE,
    { eventId: derivedId(task.taskId, "task.assigned", String(task.attempt)), occurredAt: new Date(at) },
  );
}

export function started(cause: DomainEvent<"agent.task.accepted">, step: StepRef | undefined, at: number): DomainEvent<"task.started"> {
  const { task_id, agent_id, attempt } = cause.data;
  return createChildEvent(cause, "task.started", { task_id, agent_id, attempt, ...stepFields(step) }, SOURCE, {
    eventId: derivedId(cause.event_id, "task.started"),
    occurredAt: new Date(at),
  });
}

export function completed(cause: DomainEvent<"agent.task.completed">, step: StepRef | undefined, at: number): DomainEvent<"task.completed"> {
  const { task_id, agent_id, attempt, output } = cause.data;
  return createChildEvent(cause, "task.completed", { task_id, agent_id, attempt, output, ...stepFields(step) }, SOURCE, {
    eventId: derivedId(cause.event_id, "task.completed"),
    occurredAt: new Date(at),
  });
}

export function failed(
  cause: EventEnvelope,
  task: { taskId: string; agentType: string; attempt: number; agentId?: string; reason: string },
  step: StepRef | undefined,
  at: number,
): DomainEvent<"task.failed"> {
  return createChildEvent(
    cause,
    "task.failed",
    {
      task_id: task.taskId,
      agent_type: task.agentType,
      attempt: task.attempt,
      ...(task.agentId ? { agent_id: task.agentId } : {}),
      reason: task.reason.slice(0, 2000),
      ...stepFields(step),
    },
    SOURCE,
    { eventId: derivedId(task.taskId, "task.failed"), occurredAt: new Date(at) },
  );
}

export function workflowStarted(cause: DomainEvent<"task.created">, name: string, steps: string[], at: number): DomainEvent<"workflow.started"> {
  return createChildEvent(cause, "workflow.started", { workflow_id: cause.data.task_id, name, steps }, SOURCE, {
    eventId: derivedId(cause.event_id, "workflow.started"),
    occurredAt: new Date(at),
  });
}

/** Caused by the step's task.completed. */
export function stepCompleted(
  cause: DomainEvent<"task.completed">,
  step: StepRef & { name: string },
  at: number,
): DomainEvent<"workflow.step.completed"> {
  const { task_id, agent_id, output } = cause.data;
  return createChildEvent(
    cause,
    "workflow.step.completed",
    { workflow_id: step.workflowId, step_id: step.stepId, step_name: step.name, task_id, agent_id, output },
    SOURCE,
    { eventId: derivedId(step.workflowId, "workflow.step.completed", step.stepId), occurredAt: new Date(at) },
  );
}

export function workflowCompleted(cause: EventEnvelope, workflowId: string, outputs: Record<string, unknown>, at: number): DomainEvent<"workflow.completed"> {
  return createChildEvent(cause, "workflow.completed", { workflow_id: workflowId, outputs }, SOURCE, {
    eventId: derivedId(workflowId, "workflow.completed"),
    occurredAt: new Date(at),
  });
}

export function workflowFailed(cause: EventEnvelope, workflowId: string, stepId: string | undefined, reason: string, at: number): DomainEvent<"workflow.failed"> {
  return createChildEvent(
    cause,
    "workflow.failed",
    { workflow_id: workflowId, ...(stepId ? { step_id: stepId } : {}), reason: reason.slice(0, 2000) },
    SOURCE,
    { eventId: derivedId(workflowId, "workflow.failed"), occurredAt: new Date(at) },
  );
}

/** A step's task id: the run's id and the step's, so it is the same every time the run is replayed. */
export function stepTaskId(workflowId: string, stepId: string): string {
  return `${workflowId}.${stepId}`.slice(0, 128);
}

function stepFields(step: StepRef | undefined) {
  return step ? { workflow_id: step.workflowId, step_id: step.stepId } : {};
}
