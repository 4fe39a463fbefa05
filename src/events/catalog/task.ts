import * as v from "valibot";
import { SafeId } from "../identifiers.ts";
import { Timestamp } from "../timestamp.ts";
import { Attempt, boundedText, jsonObject, Reason, Summary } from "./fields.ts";

/** A task's input is at most this much JSON, so an assignment stays far below Kafka's 1 MiB message limit. */
export const MAX_TASK_INPUT_BYTES = 64 * 1024;

// Data objects are loose: unknown keys pass through untouched, so producers can add fields before consumers
// learn about them. The known keys are still checked.

export const TaskCreated = v.looseObject({
  task_id: SafeId,
  title: boundedText(1, 500),
  owner_id: SafeId,
  priority: v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(1, "must be 1-5"),
    v.maxValue(5, "must be 1-5"),
  ),
  /** A task for some agent: the orchestrator assigns it to a worker of this type. */
  agent_type: v.optional(SafeId),
  /** A run of this workflow; its id (workflow_id) is the task's id. */
  workflow: v.optional(boundedText(1, 200)),
  /** What the agent or the workflow works on. */
  input: v.optional(jsonObject(MAX_TASK_INPUT_BYTES)),
});
export type TaskCreated = v.InferOutput<typeof TaskCreated>;

/**
 * The task is handed to a kind of agent; this is the dispatch workers consume. Whichever worker of that
 * type takes it names itself in agent.task.accepted, so `agent_id` is only set to ask for one agent.
 */
export const TaskAssigned = v.looseObject({
  task_id: SafeId,
  agent_type: SafeId,
  attempt: Attempt,
  input: jsonObject(MAX_TASK_INPUT_BYTES),
  /** When the requester stops waiting; a worker gives up by then. */
  deadline: v.optional(Timestamp),
  agent_id: v.optional(SafeId),
  workflow_id: v.optional(SafeId),
  step_id: v.optional(SafeId),
});
export type TaskAssigned = v.InferOutput<typeof TaskAssigned>;

/** Fields of the orchestrator's task reports: which attempt, and the workflow step the task is, if any. */
const reportFields = {
  task_id: SafeId,
  attempt: v.optional(Attempt),
  workflow_id: v.optional(SafeId),
  step_id: v.optional(SafeId),
};

export const TaskStarted = v.looseObject({ ...reportFields, agent_id: SafeId });
export type TaskStarted = v.InferOutput<typeof TaskStarted>;

export const TaskCompleted = v.looseObject({ ...reportFields, agent_id: SafeId, summary: v.optional(Summary), output: v.optional(v.unknown()) });
export type TaskCompleted = v.InferOutput<typeof TaskCompleted>;

/** `agent_id` is absent when the task failed before any agent took it (e.g. nobody could). */
export const TaskFailed = v.looseObject({ ...reportFields, agent_id: v.optional(SafeId), agent_type: v.optional(SafeId), reason: Reason });
export type TaskFailed = v.InferOutput<typeof TaskFailed>;

export const taskEvents = {
  "task.created": TaskCreated,
  "task.assigned": TaskAssigned,
  "task.started": TaskStarted,
  "task.completed": TaskCompleted,
  "task.failed": TaskFailed,
} as const;
