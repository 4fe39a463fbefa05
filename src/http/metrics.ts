import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DeadLetterReason } from "../transport/dead-letter.ts";
import type { SubscriberMetrics } from "../transport/subscriber.ts";

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** The Prometheus metrics of one process, rendered by GET /metrics. */
export class Metrics {
  readonly registry = new Registry();
  private readonly lagSources: Array<() => PartitionLag[]> = [];

  readonly eventsHandled = new Counter({
    name: "agent_events_handled_total",
    help: "Events handled by consumers, by event type and outcome.",
    labelNames: ["group", "event_type", "outcome"] as const,
    registers: [this.registry],
  });
  readonly handlerSeconds = new Histogram({
    name: "agent_events_handler_seconds",
    help: "Time to handle one event, including retries.",
    labelNames: ["group", "event_type"] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly deliverySeconds = new Histogram({
    name: "agent_events_delivery_seconds",
    help: "Time from publishing an event to the broker's acknowledgement (acks=all).",
    labelNames: ["event_type"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: "agent_events_dead_lettered_total",
    help: "Messages written to a dead-letter topic, by source topic and reason.",
    labelNames: ["group", "topic", "reason"] as const,
    registers: [this.registry],
  });
  readonly messagesInHand = new Gauge({
    name: "agent_events_messages_in_hand",
    help: "Messages a consume loop is handling and has not committed yet (0 when it is drained).",
    labelNames: ["group"] as const,
    registers: [this.registry],
  });
  readonly workerTasks = new Counter({
    name: "agent_events_worker_tasks_total",
    help: "Tasks a worker finished, by agent type and outcome (completed or failed).",
    labelNames: ["agent_type", "outcome"] as const,
    registers: [this.registry],
  });
  readonly workerTaskSeconds = new Histogram({
    name: "agent_events_worker_task_seconds",
    help: "Time a worker's handler took per task, retries included.",
    labelNames: ["agent_type"] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });
  readonly workerInFlight = new Gauge({
    name: "agent_events_worker_tasks_in_flight",
    help: "Tasks a worker is running now.",
    labelNames: ["agent_type"] as const,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: "agent_events_http_requests_total",
    help: "HTTP requests by route and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });

  readonly orchestratorFacts = new Counter({
    name: "agent_events_orchestrator_facts_total",
    help: "Facts the orchestrator published (task.assigned, task.completed, workflow.completed, ...), by type.",
    labelNames: ["event_type"] as const,
    registers: [this.registry],
  });
  readonly unacceptedTasks = new Counter({
    name: "agent_events_tasks_unaccepted_total",
    help: "Assignments no worker accepted within TASK_ACCEPT_TIMEOUT_MS (each fails its task), by agent type.",
    labelNames: ["agent_type"] as const,
    registers: [this.registry],
  });
  private readonly openSources: Array<() => { tasks: number; runs: number }> = [];
  private tracer: { readonly droppedSpans: number } | undefined;

  constructor() {
    const openSources = this.openSources;
    const metrics = this;
    new Counter({
      name: "agent_events_spans_dropped_total",
      help: "Spans ended but not exported because the exporter's queue was full (a slow or absent tracing backend).",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(metrics.tracer?.droppedSpans ?? 0);
      },
    });
    new Gauge({
      name: "agent_events_orchestrator_open",
      help: "Tasks and workflow runs the orchestrator holds open (assigned, running or waiting to retry).",
      labelNames: ["kind"] as const,
      registers: [this.registry],
      collect() {
        let tasks = 0;
        let runs = 0;
        for (const source of openSources) {
          const open = source();
          tasks += open.tasks;
          runs += open.runs;
        }
        this.set({ kind: "tasks" }, tasks);
        this.set({ kind: "workflow_runs" }, runs);
      },
    });
    const sources = this.lagSources;
    new Gauge({
      name: "agent_events_consumer_lag",
      help: "Messages between a consumer group's position and the partition's end.",
      labelNames: ["group", "topic", "partition"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const source of sources) {
          for (const { group, topic, partition, lag } of source()) this.set({ group, topic, partition }, lag);
        }
      },
    });
  }

  addLagSource(source: () => PartitionLag[]): void {
    this.lagSources.push(source);
  }

  addOpenWork(source: () => { tasks: number; runs: number }): void {
    this.openSources.push(source);
  }

  /** The process's tracer, whose dropped spans are counted. */
  watchTracer(tracer: { readonly droppedSpans: number }): void {
    this.tracer = tracer;
  }

  /** The orchestrator's view of these metrics. */
  forOrchestrator() {
    return {
      published: (eventType: string) => this.orchestratorFacts.inc({ event_type: eventType }),
      unaccepted: (agentType: string) => this.unacceptedTasks.inc({ agent_type: agentType }),
    };
  }

  /** A worker's view of these metrics. */
  forWorker() {
    return {
      finished: (agentType: string, outcome: "completed" | "failed", seconds: number) => {
        this.workerTasks.inc({ agent_type: agentType, outcome });
        this.workerTaskSeconds.observe({ agent_type: agentType }, seconds);
      },
      inFlight: (agentType: string, count: number) => this.workerInFlight.set({ agent_type: agentType }, count),
    };
  }

  /** The consume loop's view of these metrics, labelled with its group. */
  forGroup(group: string): SubscriberMetrics {
    return {
      handled: (eventType, outcome, seconds) => {
        this.eventsHandled.inc({ group, event_type: eventType, outcome });
        this.handlerSeconds.observe({ group, event_type: eventType }, seconds);
      },
      deadLettered: (topic: string, reason: DeadLetterReason) => this.deadLettered.inc({ group, topic, reason }),
      inHand: (messages: number) => this.messagesInHand.set({ group }, messages),
    };
  }
}
