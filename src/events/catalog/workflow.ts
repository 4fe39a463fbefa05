import * as v from "valibot";
import { SafeId } from "../identifiers.ts";
import { boundedText, Reason } from "./fields.ts";

const WorkflowName = boundedText(1, 200);

export const WorkflowStarted = v.looseObject({
  workflow_id: SafeId,
  name: WorkflowName,
  /** The step ids, in the definition's order. */
  steps: v.optional(v.array(SafeId, "must be an array")),
});
export type WorkflowStarted = v.InferOutput<typeof WorkflowStarted>;

/** `step_id` is stable across runs of the same workflow definition; `step_name` is for people. */
export const WorkflowStepCompleted = v.looseObject({
  workflow_id: SafeId,
  step_id: SafeId,
  step_name: WorkflowName,
  task_id: v.optional(SafeId),
  agent_id: v.optional(SafeId),
  output: v.optional(v.unknown()),
});
export type WorkflowStepCompleted = v.InferOutput<typeof WorkflowStepCompleted>;

/** `outputs`: every step's output, by step id. */
export const WorkflowCompleted = v.looseObject({
  workflow_id: SafeId,
  outputs: v.optional(
    v.custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "must be an object"),
  ),
});
export type WorkflowCompleted = v.InferOutput<typeof WorkflowCompleted>;

/** `step_id` names the step that failed, when one did (a workflow can also fail by timing out as a whole). */
export const WorkflowFailed = v.looseObject({ workflow_id: SafeId, step_id: v.optional(SafeId), reason: Reason });
export type WorkflowFailed = v.InferOutput<typeof WorkflowFailed>;

export const workflowEvents = {
  "workflow.started": WorkflowStarted,
  "workflow.step.completed": WorkflowStepCompleted,
  "workflow.completed": WorkflowCompleted,
  "workflow.failed": WorkflowFailed,
} as const;
