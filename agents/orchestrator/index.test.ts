import { describe, expect, test } from "bun:test";
import { createEvent, type DomainEvent, type EventEnvelope } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import type { AgentRegistry } from "../../src/registry/agent-registry.ts";
import type { Delivery, Published, Publisher, RawMessage } from "../../src/transport/types.ts";
import { parseWorkflows } from "../../src/workflows/definition.ts";
import { acceptedFact, outcomeFact } from "../worker/facts.ts";
import { createOrchestrator } from "./index.ts";

const TOPICS = ["task-events", "agent-tasks", "agent-results"];

/** A producer whose acknowledgements the test gives, one publish at a time. */
class HeldPublisher implements Publisher {
  readonly sent: Array<{ event: EventEnvelope; acknowledge: () => void }> = [];

  publish(event: EventEnvelope): Promise<Published> {
    const { promise, resolve } = Promise.withResolvers<Published>();
    this.sent.push({ event, acknowledge: () => resolve({ topic: "", partition: 0, offset: 0 }) });
    return promise;
  }

  acknowledgeAll(): void {
    for (const { acknowledge } of this.sent.splice(0)) acknowledge();
  }

  async close(): Promise<void> {}
}

function delivery(event: EventEnvelope, topic: string, offset: number): Delivery {
  const message: RawMessage = { topic, partition: 0, offset, key: null, value: null, headers: [], timestamp: -1 };
  return { known: true, event: event as DomainEvent, message, logger: silentLogger, signal: new AbortController().signal };
}

function agentTask(taskId: string): DomainEvent<"task.created"> {
  return createEvent(
    "task.created",
    { task_id: taskId, title: "Summarize", owner_id: "user-1", priority: 1, agent_type: "summarizer", input: {} },
    { correlation_id: `corr-${taskId}`, causation_id: `api-${taskId}`, source: "task-api" },
  );
}

/** Lets the sends' callbacks run: they are chained on the publishes' promises. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("the orchestrator's commit points", () => {
  test("a task finished in memory keeps its events on every topic before the commit point until the facts that finished it are acknowledged", async () => {
    const publisher = new HeldPublisher();
    const registry = { caughtUp: false, get: () => undefined } as unknown as AgentRegistry;
    const settings = { workflows: parseWorkflows("workflows: []"), maxAttempts: 3, acceptTimeoutMs: 60_000, taskTimeoutMs: 600_000, retryBackoffMs: 1_000 };
    const { agent } = createOrchestrator({ settings, publisher, registry, logger: silentLogger });
    const replay = agent.replay!;
    replay.assigned(TOPICS.map((topic) => ({ topic, partition: 0, offset: -1001, error: 0, metadata: undefined })));
    const pointOf = (topic: string, batch: Delivery[]) => replay.commitPoints(batch.map((d) => d.message)).find((point) => point.topic === topic);

    // The task is created and assigned; its assignment is acknowledged.
    const created = delivery(agentTask("task-1"), "task-events", 0);
    await agent.handle([created]);
    const [assignment] = publisher.sent.map(({ event }) => event);
    publisher.acknowledgeAll();
    await settled();

    // The worker's reports finish it in memory; the facts they lead to are not acknowledged yet.
    const reporter = { agentId: "w1", agentType: "summarizer" };
    const accepted = acceptedFact(assignment as DomainEvent<"task.assigned">, reporter);
    const completed = outcomeFact(assignment as DomainEvent<"task.assigned">, accepted, { kind: "completed", output: "done" }, 5, reporter);
    await agent.handle([delivery(accepted, "agent-results", 0), delivery(completed, "agent-results", 1)]);
    expect(publisher.sent.map(({ event }) => event.event_type)).toEqual(["task.started", "task.completed"]);

    // Another task's creation moves task-events on, but not past the first task's creation.
    const next = delivery(agentTask("task-2"), "task-events", 1);
    await agent.handle([next]);
    expect(pointOf("task-events", [next])?.offset).toBe(0);

    // Once they are on the broker, it may.
    publisher.acknowledgeAll();
    await settled();
    expect(pointOf("task-events", [next])?.offset).toBe(1);
  });
});
