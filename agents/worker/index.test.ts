import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnavailableError } from "../../src/errors.ts";
import {
  AGENT_TASKS,
  createEvent,
  kafkaHeaders,
  parseEvent,
  serializeEvent,
  type EventEnvelope,
  type TaskAssigned,
} from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import { MemoryPublisher } from "../../src/transport/memory-publisher.ts";
import type { Delivery, Published, RawMessage } from "../../src/transport/types.ts";
import { clockPast } from "../notification/testing.ts";
import { createWorker, type WorkerMetrics, type WorkerOptions } from "./index.ts";
import type { HandlerContext, TaskHandler, TaskRequest } from "./task-request.ts";

const TYPE = "translator";
const ID = "translator-1";
const CARD = {
  name: "Translator",
  version: "2.1.0",
  skills: [{ id: "translate", name: "Translate a text", description: "input {text, to}: output {text}", tags: ["text"] }],
};

/** A MemoryPublisher that can refuse one event type, and tells when an event it published matches. */
class Publisher extends MemoryPublisher {
  failOn: string | undefined;
  /** Publishing an event of this type never finishes. */
  holdOn: string | undefined;
  private readonly waiters: Array<{ match: (event: EventEnvelope) => boolean; resolve: (event: EventEnvelope) => void }> = [];

  private readonly refusalWaiters: Array<(event: EventEnvelope) => void> = [];

  override async publish(event: EventEnvelope): Promise<Published> {
    if (event.event_type === this.holdOn) return new Promise(() => {});
    if (event.event_type === this.failOn) {
      for (const resolve of this.refusalWaiters.splice(0)) resolve(event);
      throw new Error("broker unreachable");
    }
    const published = await super.publish(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
    return published;
  }

  /** The first event published from now on that matches. */
  next(match: (event: EventEnvelope) => boolean): Promise<EventEnvelope> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The next event refused because of failOn. */
  nextRefused(): Promise<EventEnvelope> {
    return new Promise((resolve) => this.refusalWaiters.push(resolve));
  }

  types(): string[] {
    return this.published.map((event) => event.event_type);
  }

  ofType(type: string): EventEnvelope[] {
    return this.published.filter((event) => event.event_type === type);
  }
}

/** A TaskHandler the test controls: answers with `answer` (by default the input back), counting its calls. */
function controlledHandler(answer: (request: TaskRequest, context: HandlerContext) => ReturnType<TaskHandler> = async (request) => ({ output: { echo: request.input } })) {
  const calls: Array<{ request: TaskRequest; context: HandlerContext }> = [];
  const handler: TaskHandler = (request, context) => {
    calls.push({ request, context });
    return answer(request, context);
  };
  return { handler, calls };
}

/** A handler that answers once the test says so; `called` resolves when it has the task. */
function heldHandler() {
  const called = Promise.withResolvers<HandlerContext>();
  const answer = Promise.withResolvers<{ output: unknown } | { error: string }>();
  const { handler, calls } = controlledHandler((_, context) => {
    called.resolve(context);
    return answer.promise;
  });
  return { handler, calls, called: called.promise, answer: answer.resolve };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh directory, removed after the test (after the workers using it are closed). */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "worker-test-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function startWorker(overrides: Partial<WorkerOptions> & { builtIn?: TaskHandler } = {}) {
  const publisher = (overrides.publisher as Publisher | undefined) ?? new Publisher();
  const dataDir = overrides.dataDir ?? tempDir();
  const { handler, calls } = controlledHandler();
  const worker = createWorker({
    type: TYPE,
    id: ID,
    concurrency: 4,
    taskTimeoutMs: 60_000,
    heartbeatMs: 60_000,
    handler: { builtIn: overrides.builtIn ?? handler, retries: 0 },
    card: CARD,
    host: "worker-host-1",
    dataDir,
    publisher,
    logger: silentLogger,
    ...overrides,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await worker.agent.close();
  };
  cleanups.push(close);
  return { worker, publisher, dataDir, calls, close };
}

function assignment(data: Partial<TaskAssigned> = {}, correlationId = "req-abc-123") {
  return createEvent(
    "task.assigned",
    { task_id: "task-42", agent_type: TYPE, attempt: 1, input: { text: "Bonjour", to: "en" }, ...data },
    { correlation_id: correlationId, causation_id: "dispatch-task-42", source: "orchestrator" },
  );
}

function messageOf(event: EventEnvelope, headers: RawMessage["headers"] = headersOf(event)): RawMessage {
  return { topic: AGENT_TASKS, partition: 0, offset: 0, key: null, value: serializeEvent(event), headers, timestamp: Date.now() };
}

function headersOf(event: EventEnvelope): RawMessage["headers"] {
  return Object.entries(kafkaHeaders(event)).map(([name, value]) => [name, Buffer.from(value!)]);
}

/** The event as the consume loop hands it over: serialized, read back and parsed. */
function deliveryOf(event: EventEnvelope, signal: AbortSignal = new AbortController().signal): Delivery {
  const message = messageOf(event);
  const parsed = parseEvent(message.value!);
  if (!parsed.ok) throw parsed.error;
  return { known: parsed.known, event: parsed.event, message, logger: silentLogger, signal } as Delivery;
}

function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("a worker running an assignment of its type", () => {
  test("reports agent.task.accepted caused by the assignment, then agent.task.completed caused by the acceptance", async () => {
    const { worker, publisher } = startWorker({ builtIn: async () => ({ output: { text: "Hello" } }) });
    const task = assignment({ attempt: 2 });

    await worker.agent.handleOne(deliveryOf(task));

    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.completed"]);
    const [accepted, completed] = publisher.published;
    expect(accepted).toMatchObject({
      event_type: "agent.task.accepted",
      data: { task_id: "task-42", agent_id: ID, agent_type: TYPE, attempt: 2 },
      metadata: { correlation_id: "req-abc-123", causation_id: task.event_id, source: ID },
    });
    expect(completed).toMatchObject({
      event_type: "agent.task.completed",
      data: { task_id: "task-42", agent_id: ID, agent_type: TYPE, attempt: 2, output: { text: "Hello" } },
      metadata: { correlation_id: "req-abc-123", causation_id: accepted!.event_id, source: ID },
    });
    const duration = (completed!.data as { duration_ms: unknown }).duration_ms;
    expect(Number.isInteger(duration) && (duration as number) >= 0).toBe(true);
    // Not part of a workflow: no workflow fields at all.
    expect(accepted!.data).not.toHaveProperty("workflow_id");
    expect(completed!.data).not.toHaveProperty("step_id");
  });

  test("names the workflow and step in its reports when the assignment has them", async () => {
    const { worker, publisher } = startWorker();

    await worker.agent.handleOne(deliveryOf(assignment({ workflow_id: "wf-7", step_id: "translate" })));

    for (const fact of publisher.published) expect(fact.data).toMatchObject({ workflow_id: "wf-7", step_id: "translate" });
    expect(publisher.published).toHaveLength(2);
  });

  test("derives its reports' event ids from the assignment: another worker reports the same ids, another assignment other ids", async () => {
    const first = startWorker();
    const second = startWorker();
    const task = assignment();

    await first.worker.agent.handleOne(deliveryOf(task));
    await second.worker.agent.handleOne(deliveryOf(task));
    await second.worker.agent.handleOne(deliveryOf(assignment()));

    const ids = (publisher: Publisher) => publisher.published.map((event) => event.event_id);
    expect(ids(second.publisher).slice(0, 2)).toEqual(ids(first.publisher));
    expect(ids(second.publisher).slice(2)).not.toEqual(ids(first.publisher).slice(0, 2));
    expect(new Set([...ids(second.publisher), task.event_id]).size).toBe(5);
  });

  test("gives the handler the task's fields, a deadline, and the assignment's event id as the Idempotency-Key", async () => {
    const { worker, calls } = startWorker();
    const deadline = new Date(Date.now() + 30_000).toISOString();
    const task = assignment({ attempt: 3, input: { text: "Bonjour", to: "en" }, deadline }, "req-xyz-789");

    await worker.agent.handleOne(deliveryOf(task));

    expect(calls).toHaveLength(1);
    expect(calls[0]!.request).toEqual({
      task_id: "task-42",
      agent_type: TYPE,
      attempt: 3,
      input: { text: "Bonjour", to: "en" },
      correlation_id: "req-xyz-789",
      deadline,
    });
    expect(calls[0]!.context.idempotencyKey).toBe(task.event_id);
    expect(calls[0]!.context.signal.aborted).toBe(false);
  });

  test("gives the handler AGENT_TASK_TIMEOUT_MS from now as its deadline when the assignment has none, or a later one", async () => {
    const { worker, calls } = startWorker({ taskTimeoutMs: 60_000 });

    const before = Date.now();
    await worker.agent.handleOne(deliveryOf(assignment()));
    await worker.agent.handleOne(deliveryOf(assignment({ deadline: new Date(before + 3_600_000).toISOString() })));
    const after = Date.now();

    for (const { request } of calls) {
      const deadline = Date.parse(request.deadline);
      expect(deadline).toBeGreaterThanOrEqual(before + 60_000);
      expect(deadline).toBeLessThanOrEqual(after + 60_000);
    }
    expect(calls).toHaveLength(2);
  });

  test("reports {error} from the handler as agent.task.failed, not retriable, caused by the acceptance", async () => {
    const { worker, publisher } = startWorker({ builtIn: async () => ({ error: "cannot translate from Klingon" }) });

    await worker.agent.handleOne(deliveryOf(assignment({ workflow_id: "wf-7", step_id: "translate" })));

    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.failed"]);
    const [accepted, failed] = publisher.published;
    expect(failed).toMatchObject({
      data: { task_id: "task-42", agent_id: ID, agent_type: TYPE, attempt: 1, workflow_id: "wf-7", step_id: "translate", retriable: false },
      metadata: { correlation_id: "req-abc-123", causation_id: accepted!.event_id, source: ID },
    });
    expect((failed!.data as { reason: string }).reason).toContain("cannot translate from Klingon");
  });

  test("tells its metrics the tasks in flight and how each finished", async () => {
    const seen: string[] = [];
    const metrics: WorkerMetrics = {
      inFlight: (type, count) => void seen.push(`${type} in flight ${count}`),
      finished: (type, outcome, seconds) => void seen.push(`${type} ${outcome} ${seconds >= 0}`),
    };
    const ok = startWorker({ metrics });
    const refusing = startWorker({ metrics, builtIn: async () => ({ error: "no" }) });

    await ok.worker.agent.handleOne(deliveryOf(assignment()));
    await refusing.worker.agent.handleOne(deliveryOf(assignment()));

    expect(seen).toEqual([
      `${TYPE} in flight 1`,
      `${TYPE} in flight 0`,
      `${TYPE} completed true`,
      `${TYPE} in flight 1`,
      `${TYPE} in flight 0`,
      `${TYPE} failed true`,
    ]);
  });
});

describe("a worker given an assignment again", () => {
  test("after it finished, does not run it again and reports the same facts again", async () => {
    const { worker, publisher, calls } = startWorker();
    const task = assignment();

    await worker.agent.handleOne(deliveryOf(task));
    // A redelivery comes at a later millisecond, so facts made afresh would differ in occurred_at.
    await clockPast(publisher.published[1]!.occurred_at);
    await worker.agent.handleOne(deliveryOf(task));

    expect(calls).toHaveLength(1);
    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.completed", "agent.task.accepted", "agent.task.completed"]);
    expect(publisher.published.slice(2)).toEqual(publisher.published.slice(0, 2));
  });

  test("after a failure, does not run it again and reports the same failure again", async () => {
    const { handler, calls } = controlledHandler(async () => ({ error: "cannot translate from Klingon" }));
    const { worker, publisher } = startWorker({ builtIn: handler });
    const task = assignment();

    await worker.agent.handleOne(deliveryOf(task));
    await clockPast(publisher.published[1]!.occurred_at);
    await worker.agent.handleOne(deliveryOf(task));

    expect(calls).toHaveLength(1);
    expect(publisher.published.slice(2)).toEqual(publisher.published.slice(0, 2));
    expect(publisher.published[3]!.event_type).toBe("agent.task.failed");
  });

  test("after a restart over the same data dir, does not run it again and reports the same facts again", async () => {
    const first = startWorker();
    const task = assignment();
    await first.worker.agent.handleOne(deliveryOf(task));
    await first.close();
    const reported = first.publisher.published.filter((event) => event.event_type.startsWith("agent.task."));
    await clockPast(reported[1]!.occurred_at);

    const second = startWorker({ dataDir: first.dataDir });
    await second.worker.agent.handleOne(deliveryOf(task));

    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(0);
    expect(second.publisher.published).toEqual(reported);
  });

  test("runs another assignment of the same task (a new attempt) afresh", async () => {
    const { worker, publisher, calls } = startWorker();

    await worker.agent.handleOne(deliveryOf(assignment({ attempt: 1 })));
    await worker.agent.handleOne(deliveryOf(assignment({ attempt: 2 })));

    expect(calls.map((call) => call.request.attempt)).toEqual([1, 2]);
    expect(publisher.published).toHaveLength(4);
  });
});

describe("a worker leaves alone", () => {
  test("assignments of another agent type", async () => {
    const { worker, publisher, calls } = startWorker();

    await worker.agent.handleOne(deliveryOf(assignment({ agent_type: "summarizer" })));

    expect(publisher.published).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  test("assignments asking for another agent by id, but runs those asking for it", async () => {
    const { worker, publisher, calls } = startWorker();

    await worker.agent.handleOne(deliveryOf(assignment({ agent_id: "translator-2" })));
    expect(publisher.published).toEqual([]);
    expect(calls).toHaveLength(0);

    await worker.agent.handleOne(deliveryOf(assignment({ agent_id: ID })));
    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.completed"]);
    expect(calls).toHaveLength(1);
  });

  test("other known events such as task.created, or its own reports", async () => {
    const { worker, publisher, calls } = startWorker();
    const created = createEvent(
      "task.created",
      { task_id: "task-42", title: "Translate the greeting", owner_id: "user-456", priority: 2 },
      { correlation_id: "req-abc-123", causation_id: "api-create-task-42", source: "task-api" },
    );
    const accepted = createEvent(
      "agent.task.accepted",
      { task_id: "task-42", agent_id: ID, agent_type: TYPE, attempt: 1 },
      { correlation_id: "req-abc-123", causation_id: assignment().event_id, source: ID },
    );

    await worker.agent.handleOne(deliveryOf(created));
    await worker.agent.handleOne(deliveryOf(accepted));

    expect(publisher.published).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  test("events of a type it does not know, even shaped like an assignment of its type", async () => {
    const { worker, publisher, calls } = startWorker();
    const unknown = { ...assignment(), event_type: "task.assigned.v2" } as EventEnvelope;
    const delivery = deliveryOf(unknown);
    expect(delivery.known).toBe(false);

    await worker.agent.handleOne(delivery);

    expect(publisher.published).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});

describe("a worker and deadlines", () => {
  test("fails an assignment whose deadline already passed, not retriable, without calling the handler", async () => {
    const { worker, publisher, calls } = startWorker();
    const deadline = new Date(Date.now() - 60_000).toISOString();

    await worker.agent.handleOne(deliveryOf(assignment({ deadline })));

    expect(calls).toHaveLength(0);
    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.failed"]);
    const failed = publisher.published[1]!.data as { reason: string; retriable: boolean };
    expect(failed.retriable).toBe(false);
    expect(failed.reason).toContain(`deadline ${deadline} passed`);
  });

  test("fails a task its handler does not finish within AGENT_TASK_TIMEOUT_MS, as retriable, naming the deadline", async () => {
    const { handler, calls } = controlledHandler(() => new Promise(() => {}));
    const { worker, publisher } = startWorker({ builtIn: handler, taskTimeoutMs: 100 });

    const started = Date.now();
    await worker.agent.handleOne(deliveryOf(assignment()));

    expect(calls).toHaveLength(1);
    expect(calls[0]!.context.signal.aborted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.failed"]);
    const failed = publisher.published[1]!.data as { reason: string; retriable: boolean };
    expect(failed.retriable).toBe(true);
    expect(failed.reason).toContain("deadline");
  });

  test("fails a task its handler does not finish by the assignment's own deadline, as retriable", async () => {
    const held = heldHandler();
    const { worker, publisher } = startWorker({ builtIn: held.handler, taskTimeoutMs: 60_000 });

    await worker.agent.handleOne(deliveryOf(assignment({ deadline: new Date(Date.now() + 100).toISOString() })));

    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.failed"]);
    expect(publisher.published[1]!.data).toMatchObject({ retriable: true });
  });
});

describe("a worker and the handler's output", () => {
  test("fails the task, not retriable, when the output is too large for an event", async () => {
    const { worker, publisher } = startWorker({ builtIn: async () => ({ output: { text: "x".repeat(1024 * 1024) } }) });

    await worker.agent.handleOne(deliveryOf(assignment()));

    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.failed"]);
    const failed = publisher.published[1]!.data as { reason: string; retriable: boolean };
    expect(failed.retriable).toBe(false);
    expect(failed.reason).toContain("does not fit in an event");
  });

  test("completes the task with a large output that still fits in an event", async () => {
    const text = "x".repeat(960 * 1024);
    const { worker, publisher } = startWorker({ builtIn: async () => ({ output: { text } }) });

    await worker.agent.handleOne(deliveryOf(assignment()));

    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.completed"]);
    expect(publisher.published[1]!.data).toMatchObject({ output: { text } });
    expect(serializeEvent(publisher.published[1]!).byteLength).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe("a worker told to stop while a task runs", () => {
  test("gives the task up: handleOne rejects, nothing more is reported, and a later delivery runs it again", async () => {
    const held = heldHandler();
    const { worker, publisher } = startWorker({ builtIn: held.handler });
    const task = assignment();
    const stop = new AbortController();

    const handling = worker.agent.handleOne(deliveryOf(task, stop.signal));
    const context = await held.called;
    stop.abort(new Error("stopping"));

    expect(await rejectionOf(handling)).toBeInstanceOf(Error);
    expect(context.signal.aborted).toBe(true);
    expect(publisher.types()).toEqual(["agent.task.accepted"]);

    // Delivered again (after a restart, or on another worker): not finished, so it runs again.
    held.answer({ output: "done" });
    await worker.agent.handleOne(deliveryOf(task));
    expect(held.calls).toHaveLength(2);
    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.accepted", "agent.task.completed"]);
  });
});

describe("a worker whose publisher fails", () => {
  test("an acceptance the broker did not take is reported with the outcome, without running the task twice", async () => {
    const { worker, publisher, calls } = startWorker();
    const task = assignment();
    publisher.failOn = "agent.task.accepted";

    // Neither the handler nor the outcome waits for the acceptance: the outcome goes out, and the acceptance,
    // sent again with it, fails while the broker does, so the delivery is not finished.
    const error = await rejectionOf(worker.agent.handleOne(deliveryOf(task)));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(calls).toHaveLength(1);
    expect(publisher.types()).toEqual(["agent.task.completed"]);

    publisher.failOn = undefined;
    await worker.agent.handleOne(deliveryOf(task));
    expect(calls).toHaveLength(1);
    expect(publisher.types()).toEqual(["agent.task.completed", "agent.task.accepted", "agent.task.completed"]);
  });

  test("rejects with an UnavailableError when the outcome cannot be published, and once it can, reports it without running the task again", async () => {
    const { worker, publisher, calls } = startWorker();
    const task = assignment();
    publisher.failOn = "agent.task.completed";

    const error = await rejectionOf(worker.agent.handleOne(deliveryOf(task)));

    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toContain("agent.task.completed");
    expect(calls).toHaveLength(1);
    expect(publisher.types()).toEqual(["agent.task.accepted"]);

    publisher.failOn = undefined;
    await worker.agent.handleOne(deliveryOf(task));

    expect(calls).toHaveLength(1);
    expect(publisher.types()).toEqual(["agent.task.accepted", "agent.task.accepted", "agent.task.completed"]);
    expect(publisher.published[1]).toEqual(publisher.published[0]!);
    expect(publisher.published[2]).toMatchObject({ data: { output: { echo: task.data.input } }, metadata: { causation_id: publisher.published[0]!.event_id } });
  });
});

describe("a worker's presence", () => {
  test("announce() reports agent.registered with its card, concurrency and host, then heartbeats at heartbeatMs", async () => {
    const { worker, publisher } = startWorker({ heartbeatMs: 20, concurrency: 6 });
    const heartbeats = Promise.all([
      publisher.next((event) => event.event_type === "agent.heartbeat"),
      publisher.next((event) => event.event_type === "agent.heartbeat" && publisher.ofType("agent.heartbeat").length >= 3),
    ]);

    await worker.announce();

    expect(publisher.published[0]).toMatchObject({
      event_type: "agent.registered",
      data: { agent_id: ID, agent_type: TYPE, name: CARD.name, version: CARD.version, skills: CARD.skills, concurrency: 6, host: "worker-host-1" },
      metadata: { source: ID },
    });
    const [first] = await heartbeats;
    expect(first).toMatchObject({
      event_type: "agent.heartbeat",
      data: { agent_id: ID, agent_type: TYPE, status: "idle", in_flight: 0, completed: 0, failed: 0 },
      metadata: { source: ID },
    });
    expect(publisher.ofType("agent.heartbeat").length).toBeGreaterThanOrEqual(3);
  });

  test("heartbeats count the tasks in flight, completed and failed", async () => {
    const held = heldHandler();
    let call = 0;
    const builtIn: TaskHandler = (request, context) => {
      call++;
      if (call === 1) return Promise.resolve({ output: "done" });
      if (call === 2) return Promise.resolve({ error: "no" });
      return held.handler(request, context);
    };
    const { worker, publisher } = startWorker({ heartbeatMs: 20, builtIn });
    const beat = (counts: { status: string; in_flight: number; completed: number; failed: number }) =>
      publisher.next((event) => event.event_type === "agent.heartbeat" && Object.entries(counts).every(([key, value]) => (event.data as Record<string, unknown>)[key] === value));
    await worker.announce();

    await worker.agent.handleOne(deliveryOf(assignment({ task_id: "task-1" })));
    await worker.agent.handleOne(deliveryOf(assignment({ task_id: "task-2" })));
    const running = worker.agent.handleOne(deliveryOf(assignment({ task_id: "task-3" })));
    await held.called;
    await beat({ status: "busy", in_flight: 1, completed: 1, failed: 1 });

    held.answer({ output: "done" });
    await running;
    await beat({ status: "idle", in_flight: 0, completed: 2, failed: 1 });
  });

  test("a task given up on a stop is no longer counted in flight", async () => {
    const held = heldHandler();
    const { worker, publisher } = startWorker({ heartbeatMs: 20, builtIn: held.handler });
    await worker.announce();
    const stop = new AbortController();

    const handling = rejectionOf(worker.agent.handleOne(deliveryOf(assignment(), stop.signal)));
    await held.called;
    stop.abort(new Error("stopping"));
    await handling;

    const next = await publisher.next((event) => event.event_type === "agent.heartbeat");
    expect(next.data).toMatchObject({ status: "idle", in_flight: 0, completed: 0, failed: 0 });
  });

  test("heartbeats go on after one could not be published", async () => {
    const { worker, publisher } = startWorker({ heartbeatMs: 20 });
    await worker.announce();
    publisher.failOn = "agent.heartbeat";
    await publisher.nextRefused();
    const before = publisher.ofType("agent.heartbeat").length;

    publisher.failOn = undefined;
    await publisher.next((event) => event.event_type === "agent.heartbeat");

    expect(publisher.ofType("agent.heartbeat").length).toBe(before + 1);
  });

  test("close() reports agent.deregistered, and no heartbeat follows it", async () => {
    const heartbeatMs = 20;
    const { worker, publisher, close } = startWorker({ heartbeatMs });
    await worker.announce();
    await publisher.next((event) => event.event_type === "agent.heartbeat");

    await close();

    const last = publisher.published.at(-1)!;
    expect(last).toMatchObject({ event_type: "agent.deregistered", data: { agent_id: ID, agent_type: TYPE, reason: "stopped" }, metadata: { source: ID } });
    const count = publisher.published.length;
    // Long enough for several beats, had they not stopped.
    await Bun.sleep(heartbeatMs * 10);
    expect(publisher.published.length).toBe(count);
  });

  test("close() goes on when agent.deregistered cannot be published", async () => {
    const { worker, publisher, close } = startWorker();
    await worker.announce();
    publisher.failOn = "agent.deregistered";

    await close();

    expect(publisher.types()).toEqual(["agent.registered"]);
  });

  test("close() does not wait long for a publisher that never answers", async () => {
    const { worker, publisher, close } = startWorker();
    await worker.announce();
    publisher.holdOn = "agent.deregistered";

    const started = Date.now();
    await close();

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(publisher.types()).toEqual(["agent.registered"]);
  }, 10_000);
});

describe("a worker's subscription", () => {
  test("is its type's group on agent-tasks, with its concurrency", () => {
    const { worker } = startWorker({ concurrency: 7 });

    expect(worker.agent).toMatchObject({ kind: "parallel", name: `worker:${TYPE}`, group: `agent-${TYPE}`, topics: [AGENT_TASKS], concurrency: 7 });
    expect(worker.problem()).toBeUndefined();
  });

  test("accepts() refuses a message whose agent_type header names another type, without parsing it", () => {
    const { worker } = startWorker();
    const other = assignment({ agent_type: "summarizer" });

    expect(worker.agent.accepts!(messageOf(other))).toBe(false);
    // Told from the header alone: the value is not read.
    expect(worker.agent.accepts!({ ...messageOf(other), value: new TextEncoder().encode("not even JSON") })).toBe(false);
  });

  test("accepts() takes a message whose agent_type header names its type", () => {
    const { worker } = startWorker();

    expect(worker.agent.accepts!(messageOf(assignment()))).toBe(true);
  });

  test("accepts() takes a message without an agent_type header, to be checked once parsed", () => {
    const { worker } = startWorker();

    expect(worker.agent.accepts!(messageOf(assignment({ agent_type: "summarizer" }), []))).toBe(true);
    expect(worker.agent.accepts!(messageOf(assignment(), [["event_type", Buffer.from("task.assigned")]]))).toBe(true);
  });

  test("accepts() refuses a message whose agent_type header has no value", () => {
    const { worker } = startWorker();

    expect(worker.agent.accepts!(messageOf(assignment(), [["agent_type", null]]))).toBe(false);
  });
});
