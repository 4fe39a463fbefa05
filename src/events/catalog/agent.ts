import * as v from "valibot";
import { SafeId } from "../identifiers.ts";
import { Attempt, boundedText, Count, Reason } from "./fields.ts";

/**
 * What an agent can do, in the shape of an A2A Agent Card's `skills` (AgentSkill), so that people who know
 * A2A recognise it.
 */
export const AgentSkill = v.looseObject({
  id: SafeId,
  name: boundedText(1, 200),
  description: boundedText(0, 2000),
  tags: v.pipe(v.array(boundedText(1, 64), "must be an array"), v.maxLength(32, "must have at most 32 entries")),
  examples: v.optional(v.pipe(v.array(boundedText(1, 2000), "must be an array"), v.maxLength(32, "must have at most 32 entries"))),
  inputModes: v.optional(v.array(boundedText(1, 100), "must be an array")),
  outputModes: v.optional(v.array(boundedText(1, 100), "must be an array")),
});
export type AgentSkill = v.InferOutput<typeof AgentSkill>;

/** Names in task reports: the worker that took it, its kind, and the attempt it reports on. */
const taskReport = {
  task_id: SafeId,
  agent_id: SafeId,
  agent_type: SafeId,
  attempt: Attempt,
  /** Present when the task is a step of a workflow run. */
  workflow_id: v.optional(SafeId),
  step_id: v.optional(SafeId),
};

export const AgentRegistered = v.looseObject({
  agent_id: SafeId,
  /** The kind of work it does, e.g. `summarizer`; workers of one type share one consumer group. */
  agent_type: SafeId,
  name: boundedText(1, 200),
  version: boundedText(1, 64),
  skills: v.pipe(v.array(AgentSkill, "must be an array"), v.maxLength(64, "must have at most 64 entries")),
  /** Tasks it runs at once. */
  concurrency: v.pipe(Count, v.minValue(1, "must be at least 1")),
  host: boundedText(1, 255),
});
export type AgentRegistered = v.InferOutput<typeof AgentRegistered>;

export const AgentHeartbeat = v.looseObject({
  agent_id: SafeId,
  agent_type: SafeId,
  status: v.picklist(["idle", "busy", "draining"], "must be idle, busy or draining"),
  in_flight: Count,
  /** Tasks completed and failed since the agent started. */
  completed: Count,
  failed: Count,
  /** How often it beats: an agent silent for three of these is gone. */
  heartbeat_ms: v.optional(Count),
});
export type AgentHeartbeat = v.InferOutput<typeof AgentHeartbeat>;

/** The agent left on purpose (a stop); one that dies says nothing, and its heartbeats stop. */
export const AgentDeregistered = v.looseObject({ agent_id: SafeId, agent_type: SafeId, reason: v.optional(Reason) });
export type AgentDeregistered = v.InferOutput<typeof AgentDeregistered>;

export const AgentTaskAccepted = v.looseObject({ ...taskReport });
export type AgentTaskAccepted = v.InferOutput<typeof AgentTaskAccepted>;

export const AgentTaskCompleted = v.looseObject({
  ...taskReport,
  /** What the handler returned: any JSON value. */
  output: v.unknown(),
  duration_ms: Count,
});
export type AgentTaskCompleted = v.InferOutput<typeof AgentTaskCompleted>;

/** `retriable` tells the orchestrator whether dispatching the task again can help. */
export const AgentTaskFailed = v.looseObject({
  ...taskReport,
  reason: Reason,
  retriable: v.boolean("must be a boolean"),
  duration_ms: v.optional(Count),
});
export type AgentTaskFailed = v.InferOutput<typeof AgentTaskFailed>;

export const agentEvents = {
  "agent.registered": AgentRegistered,
  "agent.heartbeat": AgentHeartbeat,
  "agent.deregistered": AgentDeregistered,
  "agent.task.accepted": AgentTaskAccepted,
  "agent.task.completed": AgentTaskCompleted,
  "agent.task.failed": AgentTaskFailed,
} as const;
