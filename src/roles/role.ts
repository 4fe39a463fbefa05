import type { Hono } from "hono";
import type { Config } from "../config.ts";
import type { Check } from "../health.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Logger } from "../log.ts";
import type { KafkaClients } from "../process/kafka-clients.ts";
import type { AgentRegistry } from "../registry/agent-registry.ts";
import type { Tracer } from "../telemetry/tracer.ts";
import type { Agent } from "../transport/agent.ts";
import type { Publisher } from "../transport/types.ts";

/** The signals of a process's stop, for work that must end within its budget. */
export interface ShutdownSignals {
  /** Aborted when the stop begins: take no new work. */
  begun: AbortSignal;
  /** Aborted when the grace for work in hand is over: answer or drop what is still waiting. */
  graceOver: AbortSignal;
}

/** What the process gives a role to start with. */
export interface RoleContext {
  config: Config;
  /** The role's logger (it names the role in --role=all). */
  logger: Logger;
  /** Publishes through the process's shared, idempotent producer. */
  publisher: Publisher;
  /** Makes further Kafka clients whose connectivity readiness follows and whose close the stop awaits. */
  kafka: KafkaClients;
  metrics: Metrics;
  /** Why the coordination topics are not ready yet, or undefined once they exist. */
  topicsProblem: Check;
  /** Resolves once the coordination topics exist: before it, nothing can be published. */
  topicsReady: Promise<void>;
  shutdown: ShutdownSignals;
  /** The process's agent registry, made on first use (one per process, whichever roles ask for it). */
  agentRegistry(): AgentRegistry;
  /** Makes the spans of HTTP requests, handler calls and publishes; writes only headers unless exporting. */
  tracer: Tracer;
}

/** What a started role contributes to its process. */
export interface RoleInstance {
  /** Consume loops to run, each in its own consumer group. */
  agents?: Agent[];
  /** HTTP routes, mounted beside /healthz, /readyz and /metrics. */
  routes?: Hono;
  /** Readiness checks of the role's own, by name. */
  readiness?: Record<string, Check>;
  /** Frees what the role holds, after its agents stopped and its HTTP requests were answered. */
  close?(): Promise<void> | void;
}

/** One row of the role table: adding a role is adding a row. */
export interface RoleDefinition {
  /** One line for --help. */
  summary: string;
  /** Whether --role=all runs it. */
  inAll: boolean;
  start(context: RoleContext): RoleInstance;
}
