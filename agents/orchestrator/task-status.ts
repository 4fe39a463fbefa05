import type { DomainEvent } from "../../src/events/index.ts";
import { stepTaskId } from "./facts.ts";

/** What a task (or a workflow run, or a step of one) is known to be, from its events so far. */
export interface TaskStatus {
  task_id: string;
  /** task: a plain task; agent-task: one for an agent type; workflow: a run; step: a run's step. */
  kind: "task" | "agent-task" | "workflow" | "step";
  status: "created" | "pending" | "assigned" | "running" | "retrying" | "completed" | "failed";
  title?: string;
  agent_type?: string;
  workflow?: string;
  workflow_id?: string;
  step_id?: string;
  /** The latest attempt assigned. */
  attempts: number;
  agent_id?: string;
  output?: unknown;
  error?: string;
  correlation_id?: string;
  created_at?: string;
  /** When its first attempt was assigned, and its latest attempt accepted. */
  assigned_at?: string;
  started_at?: string;
  finished_at?: string;
  /** A run's step ids, its outputs, and the step it failed at. */
  steps?: string[];
  failed_step?: string;
}

const RANK: Record<TaskStatus["status"], number> = { created: 0, pending: 0, assigned: 1, running: 2, retrying: 2, completed: 3, failed: 3 };

/** The task (or run) an event is about, and so whose story it belongs to. */
export function subjectOf(event: DomainEvent): string | undefined {
  const data = event.data as { task_id?: unknown; workflow_id?: unknown };
  if (event.event_type.startsWith("workflow.")) return typeof data.workflow_id === "string" ? data.workflow_id : undefined;
  return typeof data.task_id === "string" ? data.task_id : undefined;
}

/**
 * The status after one more event. Events arrive from three topics in any order, so a later attempt wins over
 * an earlier one, a further stage of one attempt over an earlier stage, and a verdict (completed, failed) over
 * everything. Pure: the status view stores what this returns.
 */
export function nextStatus(current: TaskStatus | undefined, event: DomainEvent): TaskStatus {
  const status: TaskStatus = current ? { ...current } : { task_id: subjectOf(event) ?? "", kind: "task", status: "created", attempts: 0 };
  const at = event.occurred_at;
  // Whether the event moves the task on: a later attempt, or a further stage of the same one.
  const advance = (to: TaskStatus["status"], attempt: number) => {
    if (RANK[status.status] === 3) return false;
    if (attempt < status.attempts || (attempt === status.attempts && RANK[to] <= RANK[status.status] && to !== "retrying")) return false;
    status.status = to;
    status.attempts = Math.max(status.attempts, attempt);
    return true;
  };
  switch (event.event_type) {
    case "task.created": {
      const { title, agent_type, workflow } = event.data;
      Object.assign(status, { title, correlation_id: event.metadata.correlation_id, created_at: at });
      if (workflow !== undefined) Object.assign(status, { kind: "workflow", workflow, workflow_id: status.task_id });
      else if (agent_type !== undefined) Object.assign(status, { kind: status.kind === "step" ? "step" : "agent-task", agent_type });
      if (status.status === "created" && (workflow !== undefined || agent_type !== undefined)) status.status = "pending";
      break;
    }
    case "task.assigned": {
      const { agent_type, attempt, workflow_id, step_id } = event.data;
      Object.assign(status, { agent_type, correlation_id: status.correlation_id ?? event.metadata.correlation_id });
      if (workflow_id !== undefined) Object.assign(status, { kind: "step", workflow_id, step_id });
      else if (status.kind === "task") status.kind = "agent-task";
      if (status.assigned_at === undefined || at < status.assigned_at) status.assigned_at = at;
      const earlier = status.attempts;
      if (advance("assigned", attempt)) status.created_at ??= at;
      // A new attempt starts clean, whichever was read first: the earlier one's agent and failure are in the events.
      if (status.attempts > earlier) Object.assign(status, { error: undefined, agent_id: undefined, started_at: undefined });
      break;
    }
    case "agent.task.accepted":
    case "task.started": {
      const attempt = event.data.attempt ?? status.attempts;
      if (advance("running", attempt)) Object.assign(status, { agent_id: event.data.agent_id, started_at: at });
      break;
    }
    case "agent.task.failed":
      if (event.data.attempt >= status.attempts && RANK[status.status] < 3) {
        status.error = event.data.reason;
        if (event.data.retriable) advance("retrying", event.data.attempt);
      }
      break;
    case "task.completed":
      if (RANK[status.status] < 3) {
        Object.assign(status, { status: "completed", output: event.data.output, finished_at: at, error: undefined });
        if (event.data.agent_id) status.agent_id = event.data.agent_id;
        if (event.data.attempt !== undefined) status.attempts = Math.max(status.attempts, event.data.attempt);
      }
      break;
    case "task.failed":
      if (RANK[status.status] < 3) {
        Object.assign(status, { status: "failed", error: event.data.reason, finished_at: at });
        if (event.data.agent_id) status.agent_id = event.data.agent_id;
      }
      break;
    case "workflow.started":
      Object.assign(status, { kind: "workflow", workflow: event.data.name, workflow_id: event.data.workflow_id, steps: event.data.steps ?? status.steps });
      status.started_at ??= at;
      if (RANK[status.status] < 2) status.status = "running";
      break;
    case "workflow.completed":
      if (RANK[status.status] < 3) Object.assign(status, { kind: "workflow", status: "completed", output: event.data.outputs, finished_at: at });
      break;
    case "workflow.failed":
      if (RANK[status.status] < 3) Object.assign(status, { kind: "workflow", status: "failed", error: event.data.reason, failed_step: event.data.step_id, finished_at: at });
      break;
  }
  return status;
}

/** A step of a run as GET /workflows/{id} shows it. */
export interface StepRow {
  step_id: string;
  agent_type?: string;
  status: TaskStatus["status"] | "waiting";
  agent_id?: string;
  attempts: number;
  assigned_at?: string;
  started_at?: string;
  finished_at?: string;
  /** From the first assignment to the verdict. */
  duration_ms?: number;
  output?: unknown;
  error?: string;
}

/** The run's steps in their defined order; a step with no task yet waits for its dependencies. */
export function stepRows(run: TaskStatus, stepTasks: ReadonlyMap<string, TaskStatus>, definedTypes: ReadonlyMap<string, string> = new Map()): StepRow[] {
  const ids = run.steps ?? [...definedTypes.keys()];
  return ids.map((stepId) => {
    const task = stepTasks.get(stepTaskId(run.task_id, stepId));
    if (!task) return { step_id: stepId, agent_type: definedTypes.get(stepId), status: "waiting", attempts: 0 };
    const begun = task.assigned_at ?? task.started_at;
    const duration = begun && task.finished_at ? Date.parse(task.finished_at) - Date.parse(begun) : undefined;
    return {
      step_id: stepId,
      agent_type: task.agent_type ?? definedTypes.get(stepId),
      status: task.status,
      agent_id: task.agent_id,
      attempts: task.attempts,
      assigned_at: task.assigned_at,
      started_at: task.started_at,
      finished_at: task.finished_at,
      duration_ms: duration,
      output: task.output,
      error: task.error,
    };
  });
}

/** The steps as a plain-text table, for people at a terminal. */
export function stepsTable(run: TaskStatus, rows: readonly StepRow[]): string {
  const header = ["STEP", "AGENT TYPE", "STATUS", "AGENT", "ATTEMPTS", "STARTED", "DURATION"];
  const lines = rows.map((row) => [
    row.step_id,
    row.agent_type ?? "-",
    row.status,
    row.agent_id ?? "-",
    String(row.attempts),
    row.started_at ?? row.assigned_at ?? "-",
    row.duration_ms === undefined ? "-" : `${row.duration_ms} ms`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  const title = `workflow ${run.workflow ?? "?"} ${run.task_id}: ${run.status}${run.failed_step ? ` at step ${run.failed_step}` : ""}`;
  const failure = run.status === "failed" && run.error ? [`reason: ${run.error}`] : [];
  return [title, format(header), ...lines.map(format), ...failure].join("\n") + "\n";
}
