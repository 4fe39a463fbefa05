import type { DomainEvent, EventData, EventType } from "./catalog/index.ts";
import type { EventEnvelope } from "./envelope.ts";

/*
 * Where each event type lives in Kafka, and what it is keyed by. Every type is on exactly one topic, so a
 * reader of all four (the audit agent) sees every event once. The key picks the partition, so all events with
 * the same key are read in the order they were written.
 *
 * | event types                                             | topic         | key                         |
 * |---------------------------------------------------------|---------------|-----------------------------|
 * | task.created                                            | task-events   | task_id                     |
 * | task.started, task.completed, task.failed               | task-events   | task_id (a step: its run's) |
 * | task.assigned                                           | agent-tasks   | task_id (a step: its run's) |
 * | agent.registered, agent.heartbeat, agent.deregistered   | agent-results | agent_id                    |
 * | agent.task.accepted, agent.task.completed, .failed      | agent-results | task_id (a step: its run's) |
 * | workflow.started, workflow.step.completed,              | agent-results | workflow_id                 |
 * |   workflow.completed, workflow.failed                   |               |                             |
 * | notification.sent                                       | audit-events  | task_id                     |
 *
 * Why:
 * - task-events carries the lifecycle every task-aware agent (e-mail, Slack) follows.
 * - task.assigned is the dispatch itself, so it goes to agent-tasks: workers read that topic alone and are not
 *   woken by lifecycle traffic they would ignore.
 * - agent-results is what the orchestrator reads. Agent reports and the orchestrator's own workflow.* facts
 *   share it, so an orchestrator restarting replays one topic to rebuild its state.
 * - agent.task.* is keyed by task, not agent: a task that fails on one agent and is accepted by another keeps
 *   its reports in order.
 * - A task that is a step of a workflow run is keyed by the run's workflow_id instead of its task_id (task.*,
 *   task.assigned, agent.task.*): the run's events, on all topics, then share one partition number, so the
 *   orchestrator member owning that partition (of every topic: the range assignor) holds the whole run.
 * - notification.sent records a side effect nobody acts on; it is kept for compliance only.
 */

export const TASK_EVENTS = "task-events";
export const AGENT_TASKS = "agent-tasks";
export const AGENT_RESULTS = "agent-results";
export const AUDIT_EVENTS = "audit-events";

export const TOPICS = [TASK_EVENTS, AGENT_TASKS, AGENT_RESULTS, AUDIT_EVENTS] as const;
export type Topic = (typeof TOPICS)[number];

/** The audit agent subscribes to every topic; the mapping above guarantees it sees each event once. */
export const AUDIT_TOPICS: readonly Topic[] = TOPICS;

// Data objects are loose (they carry an index signature), so the declared keys are picked out first.
type DeclaredKeys<X> = keyof { [K in keyof X as string extends K ? never : number extends K ? never : K]: X[K] };

/** Declared keys of `EventData<T>` that are required strings, i.e. usable as a message key. */
type KeyField<T extends EventType> = {
  [K in DeclaredKeys<EventData<T>>]: EventData<T>[K] extends string ? K : never;
}[DeclaredKeys<EventData<T>>];

export interface EventRoute<T extends EventType> {
  readonly topic: Topic;
  readonly key: KeyField<T>;
}

export const EVENT_ROUTES = {
  "task.created": { topic: TASK_EVENTS, key: "task_id" },
  "task.assigned": { topic: AGENT_TASKS, key: "task_id" },
  "task.started": { topic: TASK_EVENTS, key: "task_id" },
  "task.completed": { topic: TASK_EVENTS, key: "task_id" },
  "task.failed": { topic: TASK_EVENTS, key: "task_id" },
  "agent.registered": { topic: AGENT_RESULTS, key: "agent_id" },
  "agent.heartbeat": { topic: AGENT_RESULTS, key: "agent_id" },
  "agent.deregistered": { topic: AGENT_RESULTS, key: "agent_id" },
  "agent.task.accepted": { topic: AGENT_RESULTS, key: "task_id" },
  "agent.task.completed": { topic: AGENT_RESULTS, key: "task_id" },
  "agent.task.failed": { topic: AGENT_RESULTS, key: "task_id" },
  "workflow.started": { topic: AGENT_RESULTS, key: "workflow_id" },
  "workflow.step.completed": { topic: AGENT_RESULTS, key: "workflow_id" },
  "workflow.completed": { topic: AGENT_RESULTS, key: "workflow_id" },
  "workflow.failed": { topic: AGENT_RESULTS, key: "workflow_id" },
  "notification.sent": { topic: AUDIT_EVENTS, key: "task_id" },
} as const satisfies { readonly [T in EventType]: EventRoute<T> };

export function topicOf(type: EventType): Topic {
  return EVENT_ROUTES[type].topic;
}

/**
 * The entity id the event is about; Kafka hashes it to pick the partition. A task that is a step of a
 * workflow run is keyed by the run (`workflow_id`) instead: every event of a run, on whichever topic, then
 * lands in the same partition number, and the orchestrator member that owns it sees all of the run.
 */
export function messageKey(event: DomainEvent): string {
  const data: Readonly<Record<string, unknown>> = event.data;
  if (typeof data.workflow_id === "string" && KEYED_BY_RUN.has(event.event_type)) return data.workflow_id;
  return data[EVENT_ROUTES[event.event_type].key] as string;
}

const KEYED_BY_RUN: ReadonlySet<string> = new Set([
  "task.assigned",
  "task.started",
  "task.completed",
  "task.failed",
  "agent.task.accepted",
  "agent.task.completed",
  "agent.task.failed",
]);

/** Header names, equal to the envelope's own field names. */
export const HEADER_NAMES = ["event_type", "correlation_id", "causation_id", "source"] as const;
/** The header that routes work to a kind of agent, copied from `data.agent_type` when the event has one. */
export const AGENT_TYPE_HEADER = "agent_type";
export type EventHeaders = Record<(typeof HEADER_NAMES)[number], string> & { [AGENT_TYPE_HEADER]?: string };

/**
 * The envelope fields routing needs, copied into Kafka headers so a router never parses the JSON value:
 * workers of one type skip the assignments of every other type by `agent_type` alone.
 */
export function kafkaHeaders(event: EventEnvelope): EventHeaders {
  const headers: EventHeaders = {
    event_type: event.event_type,
    correlation_id: event.metadata.correlation_id,
    causation_id: event.metadata.causation_id,
    source: event.metadata.source,
  };
  const agentType = (event.data as { agent_type?: unknown }).agent_type;
  if (typeof agentType === "string") headers[AGENT_TYPE_HEADER] = agentType;
  return headers;
}
