import * as v from "valibot";
import { SafeId } from "../identifiers.ts";
import { boundedText, Reason, Summary } from "./fields.ts";

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
});
export type TaskCreated = v.InferOutput<typeof TaskCreated>;

/** The task was handed to one agent; this is the dispatch workers consume. */
export const TaskAssigned = v.looseObject({ task_id: SafeId, agent_id: SafeId });
export type TaskAssigned = v.InferOutput<typeof TaskAssigned>;

export const TaskStarted = v.looseObject({ task_id: SafeId, agent_id: SafeId });
export type TaskStarted = v.InferOutput<typeof TaskStarted>;

export const TaskCompleted = v.looseObject({ task_id: SafeId, agent_id: SafeId, summary: v.optional(Summary) });
export type TaskCompleted = v.InferOutput<typeof TaskCompleted>;

/** `agent_id` is absent when the task failed before any agent took it (e.g. nobody could). */
export const TaskFailed = v.looseObject({ task_id: SafeId, agent_id: v.optional(SafeId), reason: Reason });
export type TaskFailed = v.InferOutput<typeof TaskFailed>;

export const taskEvents = {
  "task.created": TaskCreated,
  "task.assigned": TaskAssigned,
  "task.started": TaskStarted,
  "task.completed": TaskCompleted,
  "task.failed": TaskFailed,
} as const;
