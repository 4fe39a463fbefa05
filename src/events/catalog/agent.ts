import * as v from "valibot";
import { SafeId } from "../identifiers.ts";
import { Reason, Summary } from "./fields.ts";

export const AgentRegistered = v.looseObject({
  agent_id: SafeId,
  /** What kinds of work the agent takes, e.g. `summarize`, `email`. */
  capabilities: v.pipe(v.array(SafeId, "must be an array"), v.maxLength(64, "must have at most 64 entries")),
});
export type AgentRegistered = v.InferOutput<typeof AgentRegistered>;

export const AgentHeartbeat = v.looseObject({
  agent_id: SafeId,
  status: v.picklist(["idle", "busy", "draining"], "must be idle, busy or draining"),
});
export type AgentHeartbeat = v.InferOutput<typeof AgentHeartbeat>;

export const AgentTaskAccepted = v.looseObject({ agent_id: SafeId, task_id: SafeId });
export type AgentTaskAccepted = v.InferOutput<typeof AgentTaskAccepted>;

export const AgentTaskCompleted = v.looseObject({ agent_id: SafeId, task_id: SafeId, summary: v.optional(Summary) });
export type AgentTaskCompleted = v.InferOutput<typeof AgentTaskCompleted>;

/** `retriable` tells the orchestrator whether dispatching the task again can help. */
export const AgentTaskFailed = v.looseObject({
  agent_id: SafeId,
  task_id: SafeId,
  reason: Reason,
  retriable: v.boolean("must be a boolean"),
});
export type AgentTaskFailed = v.InferOutput<typeof AgentTaskFailed>;

export const agentEvents = {
  "agent.registered": AgentRegistered,
  "agent.heartbeat": AgentHeartbeat,
  "agent.task.accepted": AgentTaskAccepted,
  "agent.task.completed": AgentTaskCompleted,
  "agent.task.failed": AgentTaskFailed,
} as const;
