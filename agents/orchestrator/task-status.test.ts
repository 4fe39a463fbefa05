import { describe, expect, test } from "bun:test";
import { createChildEvent, createEvent, type DomainEvent, type EventDataInput, type EventType } from "../../src/events/index.ts";
import { stepTaskId } from "./facts.ts";
import { nextStatus, type StepRow, stepRows, stepsTable, subjectOf, type TaskStatus } from "./task-status.ts";

const T0 = Date.parse("2026-11-24T10:00:00.000Z");
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const REQUEST = createEvent(
  "task.created",
  { task_id: "task-1", title: "Summarize", owner_id: "user-1", priority: 1, agent_type: "summarizer", input: { text: "A. B." } },
  { correlation_id: "corr-1", causation_id: "api-create-task-1", source: "task-api" },
  { occurredAt: new Date(T0) },
);

/** An event of `type` that happened `ms` after T0, caused by the task's creation. */
function at<T extends EventType>(ms: number, type: T, data: EventDataInput<T>): DomainEvent<T> {
  return createChildEvent(REQUEST, type, data, "test", { occurredAt: new Date(T0 + ms) });
}

const assigned = (ms: number, attempt: number, extra: Partial<EventDataInput<"task.assigned">> = {}) =>
  at(ms, "task.assigned", { task_id: "task-1", agent_type: "summarizer", attempt, input: { text: "A. B." }, ...extra });
const accepted = (ms: number, attempt: number, agent = `w${attempt}`) =>
  at(ms, "agent.task.accepted", { task_id: "task-1", agent_id: agent, agent_type: "summarizer", attempt });
const started = (ms: number, attempt: number, agent = `w${attempt}`) => at(ms, "task.started", { task_id: "task-1", agent_id: agent, attempt });
const agentFailed = (ms: number, attempt: number, retriable: boolean, reason = "model overloaded") =>
  at(ms, "agent.task.failed", { task_id: "task-1", agent_id: `w${attempt}`, agent_type: "summarizer", attempt, reason, retriable });
const completed = (ms: number, attempt: number, output: unknown = { summary: "A." }) =>
  at(ms, "task.completed", { task_id: "task-1", agent_id: `w${attempt}`, attempt, output });
const failed = (ms: number, attempt: number, reason = "gave up") =>
  at(ms, "task.failed", { task_id: "task-1", agent_id: `w${attempt}`, agent_type: "summarizer", attempt, reason });

/** The status after the events, in the order given. */
function statusAfter(...events: DomainEvent[]): TaskStatus {
  let status: TaskStatus | undefined;
  for (const event of events) status = nextStatus(status, event);
  return status!;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe("nextStatus: one attempt in the order it happens", () => {
  test("task.created for an agent type makes a pending agent-task with its title, correlation id and creation time", () => {
    expect(statusAfter(REQUEST)).toEqual({
      task_id: "task-1",
      kind: "agent-task",
      status: "pending",
      attempts: 0,
      title: "Summarize",
      agent_type: "summarizer",
      correlation_id: "corr-1",
      created_at: iso(0),
    });
  });

  test("a plain task (no agent type, no workflow) stays created", () => {
    const plain = createEvent("task.created", { task_id: "t", title: "x", owner_id: "u", priority: 1 }, { correlation_id: "c", causation_id: "a", source: "task-api" });
    expect(statusAfter(plain)).toMatchObject({ task_id: "t", kind: "task", status: "created" });
  });

  test("assigned, then running with the accepting agent, then completed with the output", () => {
    expect(statusAfter(REQUEST, assigned(10, 1))).toMatchObject({ status: "assigned", attempts: 1, assigned_at: iso(10) });
    expect(statusAfter(REQUEST, assigned(10, 1), accepted(20, 1))).toMatchObject({ status: "running", agent_id: "w1", started_at: iso(20) });
    expect(statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), started(25, 1), completed(30, 1))).toMatchObject({
      status: "completed",
      attempts: 1,
      agent_id: "w1",
      output: { summary: "A." },
      created_at: iso(0),
      assigned_at: iso(10),
      started_at: iso(20),
      finished_at: iso(30),
    });
  });

  test("task.failed fails it with the reason and the time", () => {
    expect(statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), failed(30, 1, "no summarizer answered"))).toMatchObject({
      status: "failed",
      error: "no summarizer answered",
      agent_id: "w1",
      finished_at: iso(30),
    });
  });

  test("does not change the status it is given", () => {
    const before = statusAfter(REQUEST, assigned(10, 1));
    const copy = structuredClone(before);
    nextStatus(before, accepted(20, 1));
    expect(before).toEqual(copy);
  });
});

describe("nextStatus: stages of one attempt arriving out of order", () => {
  test("a further stage wins over an earlier one read after it: the assignment read after the acceptance keeps it running", () => {
    const status = statusAfter(REQUEST, accepted(20, 1), assigned(10, 1));
    expect(status).toMatchObject({ status: "running", attempts: 1, agent_id: "w1", started_at: iso(20), assigned_at: iso(10) });
  });

  test("task.started read after agent.task.accepted keeps the first started_at and agent", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), started(25, 1, "other"));
    expect(status).toMatchObject({ status: "running", agent_id: "w1", started_at: iso(20) });
  });

  test("agent.task.accepted read after task.started keeps the first started_at too", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), started(25, 1), accepted(20, 1, "other"));
    expect(status).toMatchObject({ status: "running", agent_id: "w1", started_at: iso(25) });
  });

  test("task.created read last does not move the task back to pending", () => {
    const status = statusAfter(assigned(10, 1), accepted(20, 1), REQUEST);
    expect(status).toMatchObject({ status: "running", kind: "agent-task", title: "Summarize", created_at: iso(0) });
  });
});

describe("nextStatus: attempts", () => {
  test("a retriable agent.task.failed sets retrying and the error", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true, "model overloaded"));
    expect(status).toMatchObject({ status: "retrying", attempts: 1, error: "model overloaded" });
  });

  test("an agent.task.failed not retriable sets the error but waits for the verdict", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), agentFailed(30, 1, false, "bad input"));
    expect(status).toMatchObject({ status: "running", error: "bad input" });
  });

  test("the next attempt's assignment moves a retrying task on", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true), assigned(40, 2));
    expect(status).toMatchObject({ status: "assigned", attempts: 2, assigned_at: iso(10) });
  });

  test("an earlier attempt's failure is not the task's error once a later attempt is assigned, in either order", () => {
    const failureFirst = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true), assigned(40, 2));
    const assignmentFirst = statusAfter(REQUEST, assigned(40, 2), assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true));
    expect(failureFirst.error).toBeUndefined();
    expect(assignmentFirst).toEqual(failureFirst);
  });

  test("a later attempt wins over an earlier one read after it", () => {
    const status = statusAfter(REQUEST, assigned(40, 2), accepted(50, 2), assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true, "first try failed"));
    expect(status).toMatchObject({ status: "running", attempts: 2, agent_id: "w2", started_at: iso(50) });
    expect(status.error).toBeUndefined();
  });

  test("the latest attempt's acceptance gives started_at and the agent", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true), assigned(40, 2), accepted(50, 2));
    expect(status).toMatchObject({ status: "running", attempts: 2, agent_id: "w2", started_at: iso(50) });
  });

  test("task.completed raises attempts to the attempt it reports and clears the error", () => {
    const status = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), agentFailed(30, 1, true), completed(60, 2));
    expect(status).toMatchObject({ status: "completed", attempts: 2, agent_id: "w2" });
    expect(status.error).toBeUndefined();
  });
});

describe("nextStatus: a verdict is never overwritten", () => {
  test("nothing read after task.completed changes its status, output or agent", () => {
    const done = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), completed(30, 1));
    const after = statusAfter(REQUEST, assigned(10, 1), accepted(20, 1), completed(30, 1), failed(35, 1), agentFailed(36, 1, true), assigned(40, 2), accepted(50, 2), completed(60, 2, "other"));
    expect(after).toMatchObject({ status: "completed", attempts: 1, agent_id: "w1", output: { summary: "A." }, finished_at: iso(30) });
    expect(after).toEqual(done);
  });

  test("nothing read after task.failed changes its status or error", () => {
    const after = statusAfter(REQUEST, assigned(10, 1), failed(30, 1, "gave up"), completed(40, 1), accepted(50, 1), agentFailed(60, 1, true, "late"));
    expect(after).toMatchObject({ status: "failed", error: "gave up", finished_at: iso(30) });
  });

  test("a completed task ends the same in every arrival order of its events", () => {
    const events = [REQUEST, assigned(10, 1), accepted(20, 1), started(25, 1), completed(30, 1)];
    for (const order of permutations(events)) {
      expect(statusAfter(...order)).toMatchObject({
        task_id: "task-1",
        kind: "agent-task",
        status: "completed",
        attempts: 1,
        agent_id: "w1",
        output: { summary: "A." },
        title: "Summarize",
        created_at: iso(0),
        assigned_at: iso(10),
        finished_at: iso(30),
      });
    }
  });
});

describe("nextStatus: steps and workflow runs", () => {
  test("an assignment naming a workflow run makes the task a step of it", () => {
    const status = statusAfter(assigned(10, 1, { task_id: "run-1.summary", workflow_id: "run-1", step_id: "summary" }));
    expect(status).toMatchObject({ task_id: "run-1.summary", kind: "step", workflow_id: "run-1", step_id: "summary", status: "assigned" });
  });

  const RUN = createEvent(
    "task.created",
    { task_id: "run-1", title: "Brief", owner_id: "user-1", priority: 1, workflow: "brief", input: { text: "One." } },
    { correlation_id: "corr-run", causation_id: "api-create-run-1", source: "task-api" },
    { occurredAt: new Date(T0) },
  );
  const runEvent = <T extends "workflow.started" | "workflow.completed" | "workflow.failed">(ms: number, type: T, data: EventDataInput<T>) =>
    createChildEvent(RUN, type, data, "orchestrator", { occurredAt: new Date(T0 + ms) });

  test("task.created with a workflow makes a pending run whose workflow_id is its own id", () => {
    expect(statusAfter(RUN)).toMatchObject({ task_id: "run-1", kind: "workflow", workflow: "brief", workflow_id: "run-1", status: "pending" });
  });

  test("workflow.started makes the run running with its steps and start time", () => {
    const status = statusAfter(RUN, runEvent(10, "workflow.started", { workflow_id: "run-1", name: "brief", steps: ["summary", "headline"] }));
    expect(status).toMatchObject({ kind: "workflow", status: "running", steps: ["summary", "headline"], started_at: iso(10) });
  });

  test("workflow.completed completes the run with every step's output", () => {
    const outputs = { summary: { summary: "One." }, headline: { headline: "1" } };
    const status = statusAfter(
      RUN,
      runEvent(10, "workflow.started", { workflow_id: "run-1", name: "brief", steps: ["summary", "headline"] }),
      runEvent(50, "workflow.completed", { workflow_id: "run-1", outputs }),
    );
    expect(status).toMatchObject({ status: "completed", output: outputs, finished_at: iso(50) });
  });

  test("workflow.failed fails the run with the reason and the step it failed at", () => {
    const status = statusAfter(
      RUN,
      runEvent(10, "workflow.started", { workflow_id: "run-1", name: "brief", steps: ["summary", "headline"] }),
      runEvent(50, "workflow.failed", { workflow_id: "run-1", step_id: "summary", reason: "step summary failed" }),
    );
    expect(status).toMatchObject({ status: "failed", error: "step summary failed", failed_step: "summary", finished_at: iso(50) });
  });

  test("a run's verdict read before workflow.started and task.created stays", () => {
    const status = statusAfter(
      runEvent(50, "workflow.failed", { workflow_id: "run-1", reason: "timed out" }),
      runEvent(10, "workflow.started", { workflow_id: "run-1", name: "brief", steps: ["summary"] }),
      RUN,
      runEvent(60, "workflow.completed", { workflow_id: "run-1", outputs: {} }),
    );
    expect(status).toMatchObject({ task_id: "run-1", kind: "workflow", status: "failed", error: "timed out", steps: ["summary"], started_at: iso(10), created_at: iso(0) });
  });
});

describe("subjectOf", () => {
  test("is the task id of a task or agent event, and the workflow id of a workflow event", () => {
    expect(subjectOf(REQUEST)).toBe("task-1");
    expect(subjectOf(accepted(20, 1))).toBe("task-1");
    expect(subjectOf(at(10, "workflow.started", { workflow_id: "run-1", name: "brief" }))).toBe("run-1");
  });
});

describe("stepRows", () => {
  const run: TaskStatus = { task_id: "run-1", kind: "workflow", status: "running", attempts: 0, workflow: "brief", steps: ["summary", "keywords", "headline"] };
  const summary: TaskStatus = {
    task_id: stepTaskId("run-1", "summary"),
    kind: "step",
    status: "completed",
    attempts: 2,
    agent_type: "summarizer",
    agent_id: "w2",
    assigned_at: iso(10),
    started_at: iso(20),
    finished_at: iso(1_510),
    output: { summary: "One." },
  };
  const keywords: TaskStatus = { task_id: stepTaskId("run-1", "keywords"), kind: "step", status: "retrying", attempts: 1, agent_type: "keywords", error: "overloaded", started_at: iso(30) };
  const tasks = new Map([summary, keywords].map((task) => [task.task_id, task]));
  const defined = new Map([["summary", "summarizer"], ["keywords", "keywords"], ["headline", "summarizer"]]);

  test("lists the run's steps in their defined order, a step with no task yet as waiting", () => {
    const rows = stepRows(run, tasks, defined);
    expect(rows.map((row) => [row.step_id, row.status])).toEqual([["summary", "completed"], ["keywords", "retrying"], ["headline", "waiting"]]);
    expect(rows[2]).toEqual({ step_id: "headline", agent_type: "summarizer", status: "waiting", attempts: 0 });
  });

  test("a step's row has its task's agent, attempts, times, output and error, and its duration from the first assignment to the verdict", () => {
    const [first, second] = stepRows(run, tasks, defined);
    expect(first).toEqual({
      step_id: "summary",
      agent_type: "summarizer",
      status: "completed",
      agent_id: "w2",
      attempts: 2,
      assigned_at: iso(10),
      started_at: iso(20),
      finished_at: iso(1_510),
      duration_ms: 1_500,
      output: { summary: "One." },
      error: undefined,
    });
    expect(second).toMatchObject({ step_id: "keywords", error: "overloaded", started_at: iso(30) });
    expect(second!.duration_ms).toBeUndefined();
  });

  test("takes the steps from the definition when the run has not said them yet", () => {
    const rows = stepRows({ ...run, steps: undefined }, new Map(), defined);
    expect(rows.map((row) => row.step_id)).toEqual(["summary", "keywords", "headline"]);
    expect(rows.every((row) => row.status === "waiting")).toBe(true);
  });

  test("is empty when neither the run nor a definition names steps", () => {
    expect(stepRows({ ...run, steps: undefined }, tasks)).toEqual([]);
  });
});

describe("stepsTable", () => {
  const rows: StepRow[] = [
    { step_id: "summary", agent_type: "summarizer", status: "completed", agent_id: "w2", attempts: 2, started_at: iso(20), duration_ms: 1_500 },
    { step_id: "headline", agent_type: "summarizer", status: "waiting", attempts: 0 },
  ];

  test("is a title line, a header row and one aligned row per step, with - for what is not known", () => {
    const run: TaskStatus = { task_id: "run-1", kind: "workflow", status: "running", attempts: 0, workflow: "brief" };
    expect(stepsTable(run, rows)).toBe(
      [
        "workflow brief run-1: running",
        "STEP      AGENT TYPE  STATUS     AGENT  ATTEMPTS  STARTED                   DURATION",
        `summary   summarizer  completed  w2     2         ${iso(20)}  1500 ms`,
        "headline  summarizer  waiting    -      0         -                         -",
        "",
      ].join("\n"),
    );
  });

  test("a failed run's title names the step it failed at, and a last line gives the reason", () => {
    const run: TaskStatus = { task_id: "run-1", kind: "workflow", status: "failed", attempts: 0, workflow: "brief", failed_step: "summary", error: "step summary failed" };
    const lines = stepsTable(run, rows).split("\n");
    expect(lines[0]).toBe("workflow brief run-1: failed at step summary");
    expect(lines.at(-2)).toBe("reason: step summary failed");
    expect(lines).toHaveLength(1 + 1 + rows.length + 1 + 1);
  });

  test("a run with no steps yet is the title and the header alone", () => {
    const run: TaskStatus = { task_id: "run-1", kind: "workflow", status: "pending", attempts: 0 };
    expect(stepsTable(run, [])).toBe("workflow ? run-1: pending\nSTEP  AGENT TYPE  STATUS  AGENT  ATTEMPTS  STARTED  DURATION\n");
  });
});
