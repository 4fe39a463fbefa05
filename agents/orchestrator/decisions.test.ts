import { describe, expect, test } from "bun:test";
import { createEvent, type DomainEvent, type EventEnvelope } from "../../src/events/index.ts";
import { parseWorkflows } from "../../src/workflows/definition.ts";
import { acceptedFact, outcomeFact } from "../worker/facts.ts";
import { Decisions, isUnaccepted, type DecisionSettings } from "./decisions.ts";

const WORKFLOWS = parseWorkflows(`
workflows:
  - name: brief
    steps:
      - { id: summary, agent_type: summarizer, input: { text: "{{input.text}}" } }
      - { id: keywords, agent_type: keywords, input: { text: "{{input.text}}" }, attempts: 1 }
      - id: headline
        agent_type: summarizer
        depends_on: [summary, keywords]
        input: { text: "{{steps.summary.output.summary}}", tags: "{{steps.keywords.output.keywords}}" }
`);

const SETTINGS: DecisionSettings = { workflows: WORKFLOWS, maxAttempts: 3, acceptTimeoutMs: 60_000, taskTimeoutMs: 600_000, retryBackoffMs: 1_000 };
const T0 = Date.parse("2026-11-24T10:00:00.000Z");

function agentTask(taskId = "task-1", agentType = "summarizer"): DomainEvent<"task.created"> {
  return createEvent(
    "task.created",
    { task_id: taskId, title: "Summarize", owner_id: "user-1", priority: 1, agent_type: agentType, input: { text: "A. B." } },
    { correlation_id: `corr-${taskId}`, causation_id: `api-create-${taskId}`, source: "task-api" },
  );
}

function workflowRun(runId = "run-1", input: Record<string, unknown> = { text: "One. Two." }): DomainEvent<"task.created"> {
  return createEvent(
    "task.created",
    { task_id: runId, title: "Brief", owner_id: "user-1", priority: 1, workflow: "brief", input },
    { correlation_id: `corr-${runId}`, causation_id: `api-create-${runId}`, source: "task-api" },
  );
}

/** A worker's reports about an assignment, as the worker role makes them. */
function workerOf(agentId: string, agentType = "summarizer") {
  const reporter = { agentId, agentType };
  return {
    accepts: (assignment: EventEnvelope) => acceptedFact(assignment as DomainEvent<"task.assigned">, reporter),
    completes: (assignment: EventEnvelope, output: unknown) =>
      outcomeFact(assignment as DomainEvent<"task.assigned">, acceptedFact(assignment as DomainEvent<"task.assigned">, reporter), { kind: "completed", output }, 5, reporter),
    fails: (assignment: EventEnvelope, reason: string, retriable: boolean) =>
      outcomeFact(assignment as DomainEvent<"task.assigned">, acceptedFact(assignment as DomainEvent<"task.assigned">, reporter), { kind: "failed", reason, retriable }, 5, reporter),
  };
}

function only<T extends string>(facts: DomainEvent[], type: T): Array<DomainEvent<T & DomainEvent["event_type"]>> {
  return facts.filter((fact) => fact.event_type === type) as never;
}

function types(facts: readonly EventEnvelope[]): string[] {
  return facts.map((fact) => fact.event_type);
}

describe("a task for an agent type", () => {
  test("task.created becomes an assignment of attempt 1 to that type, with the input and a deadline", () => {
    const decisions = new Decisions(SETTINGS);
    const created = agentTask();
    const [assignment] = decisions.apply(created, T0) as Array<DomainEvent<"task.assigned">>;
    expect(assignment!.event_type).toBe("task.assigned");
    expect(assignment!.data).toMatchObject({ task_id: "task-1", agent_type: "summarizer", attempt: 1, input: { text: "A. B." } });
    expect(Date.parse(assignment!.data.deadline!)).toBe(T0 + SETTINGS.taskTimeoutMs);
    expect(assignment!.metadata).toMatchObject({ correlation_id: "corr-task-1", causation_id: created.event_id, source: "orchestrator" });
  });

  test("a plain task (no agent_type, no workflow) is left alone", () => {
    const decisions = new Decisions(SETTINGS);
    const plain = createEvent("task.created", { task_id: "t", title: "x", owner_id: "u", priority: 1 }, { correlation_id: "c", causation_id: "a", source: "task-api" });
    expect(decisions.apply(plain, T0)).toEqual([]);
    expect(decisions.counts()).toEqual({ tasks: 0, runs: 0 });
  });

  test("acceptance becomes task.started, completion task.completed with the output, each caused by the report", () => {
    const decisions = new Decisions(SETTINGS);
    const [assignment] = decisions.apply(agentTask(), T0);
    const worker = workerOf("w1");
    const accepted = worker.accepts(assignment!);
    const [started] = decisions.apply(accepted, T0 + 10);
    expect(started).toMatchObject({ event_type: "task.started", data: { task_id: "task-1", agent_id: "w1", attempt: 1 } });
    expect(started!.metadata.causation_id).toBe(accepted.event_id);
    const completion = worker.completes(assignment!, { summary: "A." });
    const [completed] = decisions.apply(completion, T0 + 20);
    expect(completed).toMatchObject({ event_type: "task.completed", data: { task_id: "task-1", agent_id: "w1", output: { summary: "A." } } });
    expect(completed!.metadata.causation_id).toBe(completion.event_id);
    expect(decisions.counts().tasks).toBe(0);
  });

  test("the same task.created read twice assigns once", () => {
    const decisions = new Decisions(SETTINGS);
    const created = agentTask();
    expect(decisions.apply(created, T0)).toHaveLength(1);
    expect(decisions.apply(created, T0 + 1)).toEqual([]);
  });

  test("a retriable failure is assigned again after the backoff, doubling, until TASK_MAX_ATTEMPTS; then task.failed", () => {
    const decisions = new Decisions(SETTINGS);
    let [assignment] = decisions.apply(agentTask(), T0);
    const worker = workerOf("w1");
    let now = T0;
    for (const [attempt, backoff] of [[1, 1_000], [2, 2_000]] as const) {
      decisions.apply(worker.accepts(assignment!), now);
      expect(decisions.apply(worker.fails(assignment!, "model overloaded", true), now)).toEqual([]);
      expect(decisions.due(now + backoff - 1)).toEqual([]);
      const [next] = decisions.due(now + backoff) as Array<DomainEvent<"task.assigned">>;
      expect(next).toMatchObject({ event_type: "task.assigned", data: { task_id: "task-1", attempt: attempt + 1 } });
      assignment = next;
      now += backoff;
    }
    decisions.apply(worker.accepts(assignment!), now);
    const [failed] = decisions.apply(worker.fails(assignment!, "model overloaded", true), now);
    expect(failed).toMatchObject({ event_type: "task.failed", data: { task_id: "task-1", attempt: 3, agent_id: "w1" } });
    expect((failed as DomainEvent<"task.failed">).data.reason).toContain("attempt 3 of 3");
    expect(decisions.due(now + 60_000)).toEqual([]);
  });

  test("a failure not marked retriable fails the task at once", () => {
    const decisions = new Decisions(SETTINGS);
    const [assignment] = decisions.apply(agentTask(), T0);
    const worker = workerOf("w1");
    decisions.apply(worker.accepts(assignment!), T0);
    const facts = decisions.apply(worker.fails(assignment!, "input.text must be a non-empty string", false), T0);
    expect(types(facts)).toEqual(["task.failed"]);
    expect((facts[0] as DomainEvent<"task.failed">).data.reason).toBe("input.text must be a non-empty string");
  });

  test("an assignment no worker accepts within TASK_ACCEPT_TIMEOUT_MS fails the task, told apart as unaccepted", () => {
    const decisions = new Decisions(SETTINGS);
    decisions.apply(agentTask("t-lonely", "translator"), T0);
    expect(decisions.due(T0 + SETTINGS.acceptTimeoutMs - 1)).toEqual([]);
    const [failed] = decisions.due(T0 + SETTINGS.acceptTimeoutMs);
    expect(failed).toMatchObject({ event_type: "task.failed", data: { task_id: "t-lonely", agent_type: "translator", attempt: 1 } });
    expect(isUnaccepted(failed!)).toBe(true);
    expect(decisions.due(T0 + 10 * SETTINGS.acceptTimeoutMs)).toEqual([]);
  });

  test("an accepted task with no result by its deadline is assigned again", () => {
    const decisions = new Decisions(SETTINGS);
    const [assignment] = decisions.apply(agentTask(), T0);
    decisions.apply(workerOf("w1").accepts(assignment!), T0 + 5);
    expect(decisions.due(T0 + SETTINGS.taskTimeoutMs - 1)).toEqual([]);
    expect(decisions.due(T0 + SETTINGS.taskTimeoutMs)).toEqual([]);
    const [again] = decisions.due(T0 + SETTINGS.taskTimeoutMs + SETTINGS.retryBackoffMs);
    expect(again).toMatchObject({ event_type: "task.assigned", data: { attempt: 2 } });
    expect(isUnaccepted(again!)).toBe(false);
  });

  test("a task whose agent is gone is assigned again; tasks of live agents are not touched", () => {
    const decisions = new Decisions(SETTINGS);
    const [a1] = decisions.apply(agentTask("t1"), T0);
    const [a2] = decisions.apply(agentTask("t2"), T0);
    decisions.apply(workerOf("w-dead").accepts(a1!), T0);
    decisions.apply(workerOf("w-live").accepts(a2!), T0);
    expect([...decisions.agentsAtWork()].sort()).toEqual(["w-dead", "w-live"]);
    expect(decisions.gone("w-dead", "stopped heartbeating", T0 + 15_000)).toEqual([]);
    const again = decisions.due(T0 + 15_000 + SETTINGS.retryBackoffMs);
    expect(again.map((fact) => (fact as DomainEvent<"task.assigned">).data)).toEqual([expect.objectContaining({ task_id: "t1", attempt: 2 })]);
  });

  test("a report of a superseded attempt is ignored; the current attempt's decides", () => {
    const decisions = new Decisions(SETTINGS);
    const [first] = decisions.apply(agentTask(), T0);
    const slow = workerOf("w-slow");
    decisions.apply(slow.accepts(first!), T0);
    decisions.gone("w-slow", "stopped heartbeating", T0 + 1);
    const [second] = decisions.due(T0 + 1 + SETTINGS.retryBackoffMs);
    expect(decisions.apply(slow.completes(first!, { late: true }), T0 + 2_000)).toEqual([]);
    const fresh = workerOf("w-new");
    decisions.apply(fresh.accepts(second!), T0 + 2_001);
    const [completed] = decisions.apply(fresh.completes(second!, { late: false }), T0 + 2_002);
    expect(completed).toMatchObject({ event_type: "task.completed", data: { attempt: 2, agent_id: "w-new", output: { late: false } } });
  });

  test("every fact about a task has an id derived from its cause: deciding again gives the same events", () => {
    const run = () => {
      const decisions = new Decisions(SETTINGS);
      const created = agentTask();
      const [assignment] = decisions.apply(created, T0);
      const worker = workerOf("w1");
      return [assignment!, ...decisions.apply(worker.accepts(assignment!), T0), ...decisions.apply(worker.completes(assignment!, 1), T0)];
    };
    const created = agentTask();
    const decisions = [new Decisions(SETTINGS), new Decisions(SETTINGS)];
    const first = decisions[0]!.apply(created, T0);
    const second = decisions[1]!.apply(created, T0 + 500);
    expect(second.map((e) => e.event_id)).toEqual(first.map((e) => e.event_id));
    expect(run().map((e) => e.event_type)).toEqual(["task.assigned", "task.started", "task.completed"]);
  });
});

describe("a workflow run", () => {
  test("starts with workflow.started and assigns the steps without dependencies at once, in parallel", () => {
    const decisions = new Decisions(SETTINGS);
    const created = workflowRun();
    const facts = decisions.apply(created, T0);
    expect(types(facts)).toEqual(["workflow.started", "task.assigned", "task.assigned"]);
    expect(facts[0]!.data).toEqual({ workflow_id: "run-1", name: "brief", steps: ["summary", "keywords", "headline"] });
    const assignments = only(facts, "task.assigned");
    expect(assignments.map((a) => a.data.step_id)).toEqual(["summary", "keywords"]);
    expect(assignments.map((a) => a.data.input)).toEqual([{ text: "One. Two." }, { text: "One. Two." }]);
    for (const fact of facts) expect(fact.metadata).toMatchObject({ correlation_id: "corr-run-1", causation_id: created.event_id });
  });

  test("a step waits for all it depends on; its input is built from their outputs; its assignment is caused by the completion it waited for", () => {
    const decisions = new Decisions(SETTINGS);
    const [, summary, keywords] = decisions.apply(workflowRun(), T0);
    const summarizer = workerOf("s1");
    const tagger = workerOf("k1", "keywords");
    const afterSummary = decisions.apply(summarizer.completes(summary!, { summary: "One." }), T0 + 10);
    expect(types(afterSummary)).toEqual(["task.completed", "workflow.step.completed"]);
    const lastCompletion = tagger.completes(keywords!, { keywords: ["one", "two"] });
    const afterKeywords = decisions.apply(lastCompletion, T0 + 20);
    expect(types(afterKeywords)).toEqual(["task.completed", "workflow.step.completed", "task.assigned"]);
    const headline = afterKeywords[2] as DomainEvent<"task.assigned">;
    expect(headline.data).toMatchObject({ workflow_id: "run-1", step_id: "headline", agent_type: "summarizer", input: { text: "One.", tags: ["one", "two"] } });
    // The chain: the worker's report, the task's completion, the step's completion, the next step's assignment.
    expect(afterKeywords[0]!.metadata.causation_id).toBe(lastCompletion.event_id);
    expect(afterKeywords[1]!.metadata.causation_id).toBe(afterKeywords[0]!.event_id);
    expect(headline.metadata.causation_id).toBe(afterKeywords[1]!.event_id);
    const done = decisions.apply(summarizer.completes(headline, { summary: "One" }), T0 + 30);
    expect(types(done)).toEqual(["task.completed", "workflow.step.completed", "workflow.completed"]);
    expect(done[2]!.data).toEqual({
      workflow_id: "run-1",
      outputs: { summary: { summary: "One." }, keywords: { keywords: ["one", "two"] }, headline: { summary: "One" } },
    });
    expect(decisions.counts()).toEqual({ tasks: 0, runs: 0 });
  });

  test("a step out of attempts fails the run with workflow.failed naming the step; its sibling is not retried after", () => {
    const decisions = new Decisions(SETTINGS);
    const [, summary, keywords] = decisions.apply(workflowRun(), T0);
    const summarizer = workerOf("s1");
    decisions.apply(summarizer.accepts(summary!), T0);
    decisions.apply(summarizer.fails(summary!, "model overloaded", true), T0);
    const facts = decisions.apply(workerOf("k1", "keywords").fails(keywords!, "model overloaded", true), T0 + 1);
    expect(types(facts)).toEqual(["task.failed", "workflow.failed"]);
    expect(facts[1]!.data).toMatchObject({ workflow_id: "run-1", step_id: "keywords" });
    expect((facts[1] as DomainEvent<"workflow.failed">).data.reason).toContain("step keywords failed: model overloaded (attempt 1 of 1)");
    const later = decisions.due(T0 + 60_000);
    expect(types(later)).toEqual(["task.failed"]);
    expect((later[0] as DomainEvent<"task.failed">).data).toMatchObject({ task_id: "run-1.summary" });
    expect(decisions.counts()).toEqual({ tasks: 0, runs: 0 });
  });

  test("a workflow name that is not defined fails the run at once", () => {
    const decisions = new Decisions(SETTINGS);
    const created = createEvent(
      "task.created",
      { task_id: "run-x", title: "x", owner_id: "u", priority: 1, workflow: "nope" },
      { correlation_id: "c", causation_id: "a", source: "task-api" },
    );
    const [failed] = decisions.apply(created, T0);
    expect(failed).toMatchObject({ event_type: "workflow.failed", data: { workflow_id: "run-x" } });
  });
});

describe("reading events again after a restart or a takeover", () => {
  test("events decided on before publish nothing again, and rebuild the state that decides what comes next", () => {
    const original = new Decisions(SETTINGS);
    const created = workflowRun();
    const [, summary, keywords] = original.apply(created, T0);
    const summaryDone = workerOf("s1").completes(summary!, { summary: "One." });
    original.apply(summaryDone, T0 + 10);

    const restarted = new Decisions(SETTINGS);
    expect(restarted.apply(created, T0 + 100, { fresh: false })).toEqual([]);
    expect(restarted.apply(summaryDone, T0 + 100, { fresh: false })).toEqual([]);
    // The first event it had not decided on: only the headline step is assigned, not the two before it.
    const facts = restarted.apply(workerOf("k1", "keywords").completes(keywords!, { keywords: [] }), T0 + 200, { fresh: true });
    expect(types(facts)).toEqual(["task.completed", "workflow.step.completed", "task.assigned"]);
    expect(only(facts, "task.assigned")[0]!.data.step_id).toBe("headline");
  });

  test("a report read before its task's creation waits for it, and is decided on then", () => {
    const decisions = new Decisions(SETTINGS);
    const created = agentTask();
    const [assignment] = new Decisions(SETTINGS).apply(created, T0);
    const completion = workerOf("w1").completes(assignment!, "done");
    expect(decisions.apply(completion, T0, { fresh: true, origin: { topic: "agent-results", partition: 0, offset: 7 } })).toEqual([]);
    expect(decisions.undecided()).toEqual([{ topic: "agent-results", partition: 0, offset: 7 }]);
    expect(decisions.needs("task-1")).toBe(true);
    const facts = decisions.apply(created, T0 + 1, { fresh: true });
    expect(types(facts)).toEqual(["task.assigned", "task.completed"]);
    expect(decisions.undecided()).toEqual([]);
  });

  test("a fresh report waiting for a creation decided on before is decided on when the creation is read again; the assignment comes out again as the same event", () => {
    // The previous owner had assigned the task, then lost the partition before it read the completion.
    const created = agentTask();
    const [assignment] = new Decisions(SETTINGS).apply(created, T0);
    const completion = workerOf("w1").completes(assignment!, "done");
    const decisions = new Decisions(SETTINGS);
    decisions.apply(completion, T0, { fresh: true });
    const facts = decisions.apply(created, T0, { fresh: false });
    expect(types(facts)).toEqual(["task.assigned", "task.completed"]);
    expect(facts[0]!.event_id).toBe(assignment!.event_id);
  });

  test("a step waiting for two completions, one read before and one fresh, is assigned whichever order they are released in", () => {
    // The previous owner read the creation and the first completion, and died before the second.
    const original = new Decisions(SETTINGS);
    const created = workflowRun();
    const [, summary, keywords] = original.apply(created, T0);
    const summaryDone = workerOf("s1").completes(summary!, { summary: "One." });
    const keywordsDone = workerOf("k1", "keywords").completes(keywords!, { keywords: [] });
    original.apply(summaryDone, T0 + 1);
    for (const order of [[keywordsDone, summaryDone], [summaryDone, keywordsDone]]) {
      const next = new Decisions(SETTINGS);
      // Both reports are read before the run's creation, so both wait for it.
      for (const report of order) next.apply(report, T0 + 10, { fresh: report === keywordsDone });
      const facts = next.apply(created, T0 + 10, { fresh: false });
      expect(only(facts, "task.assigned").map((fact) => fact.data.step_id)).toContain("headline");
    }
  });

  test("a report decided on before, waiting for a creation that is fresh, is published with it", () => {
    // Read, kept undecided and committed past by the previous owner: its creation was never decided on.
    const created = agentTask();
    const [assignment] = new Decisions(SETTINGS).apply(created, T0);
    const decisions = new Decisions(SETTINGS);
    decisions.apply(workerOf("w1").completes(assignment!, "done"), T0, { fresh: false });
    expect(types(decisions.apply(created, T0, { fresh: true }))).toEqual(["task.assigned", "task.completed"]);
  });

  test("its own task.completed read back before the worker's report moves the run on as the report did, with the same facts", () => {
    const original = new Decisions(SETTINGS);
    const created = workflowRun();
    const [, summary, keywords] = original.apply(created, T0);
    const summaryReport = workerOf("s1").completes(summary!, { summary: "One." });
    const keywordsReport = workerOf("k1", "keywords").completes(keywords!, { keywords: ["one"] });
    const fromSummary = original.apply(summaryReport, T0 + 10);
    const fromKeywords = original.apply(keywordsReport, T0 + 20);
    const taskCompleted = [fromSummary[0]!, fromKeywords[0]!];

    // A new owner reads the run's creation, then the verdicts read back (fresh: not read back before the
    // previous owner died), and only then the reports.
    const restarted = new Decisions(SETTINGS);
    restarted.apply(created, T0 + 100, { fresh: false });
    const first = restarted.apply(taskCompleted[0]!, T0 + 100, { fresh: true });
    const second = restarted.apply(taskCompleted[1]!, T0 + 100, { fresh: true });
    expect([...first, ...second].map((fact) => fact.event_id)).toEqual([...fromSummary.slice(1), ...fromKeywords.slice(1)].map((fact) => fact.event_id));
    expect(restarted.apply(summaryReport, T0 + 100, { fresh: false })).toEqual([]);
    expect(restarted.apply(keywordsReport, T0 + 100, { fresh: false })).toEqual([]);
    // The step they waited for goes on from there.
    const headline = only(second, "task.assigned")[0]!;
    const done = restarted.apply(workerOf("s2").completes(headline, { summary: "One" }), T0 + 200);
    expect(types(done)).toEqual(["task.completed", "workflow.step.completed", "workflow.completed"]);
  });

  test("a step's task.completed read back and decided on before, then its report fresh: the facts the report led to come out", () => {
    // The previous owner published the last step's task.completed, read it back and committed past it, and
    // was killed before workflow.step.completed and workflow.completed reached the broker.
    const original = new Decisions(SETTINGS);
    const created = workflowRun();
    const [, summary, keywords] = original.apply(created, T0);
    const summaryDone = workerOf("s1").completes(summary!, { summary: "One." });
    const keywordsDone = workerOf("k1", "keywords").completes(keywords!, { keywords: ["one"] });
    const fromSummary = original.apply(summaryDone, T0 + 10);
    const fromKeywords = original.apply(keywordsDone, T0 + 20);
    const headline = only(fromKeywords, "task.assigned")[0]!;
    const headlineDone = workerOf("s2").completes(headline, { summary: "One" });
    const fromHeadline = original.apply(headlineDone, T0 + 30);
    expect(types(fromHeadline)).toEqual(["task.completed", "workflow.step.completed", "workflow.completed"]);

    const next = new Decisions(SETTINGS);
    const readAgain = [created, summaryDone, ...fromSummary, keywordsDone, ...fromKeywords, fromHeadline[0]!];
    for (const event of readAgain) expect(next.apply(event, T0 + 100, { fresh: false })).toEqual([]);
    const facts = next.apply(headlineDone, T0 + 100, { fresh: true });
    expect(facts.map((fact) => fact.event_id)).toContain(fromHeadline[1]!.event_id);
    expect(facts.map((fact) => fact.event_id)).toContain(fromHeadline[2]!.event_id);
  });

  test("its own workflow.step.completed read back first does the same", () => {
    const original = new Decisions(SETTINGS);
    const created = workflowRun();
    const [, summary, keywords] = original.apply(created, T0);
    original.apply(workerOf("s1").completes(summary!, { summary: "One." }), T0 + 10);
    const fromKeywords = original.apply(workerOf("k1", "keywords").completes(keywords!, { keywords: ["one"] }), T0 + 20);
    const stepDone = original.apply(workerOf("s1").completes(summary!, { summary: "One." }), T0 + 30);
    expect(stepDone).toEqual([]);

    const restarted = new Decisions(SETTINGS);
    restarted.apply(created, T0 + 100, { fresh: false });
    const summaryStep = createEvent("workflow.step.completed", { workflow_id: "run-1", step_id: "summary", step_name: "summary", output: { summary: "One." } }, { correlation_id: "c", causation_id: "x", source: "orchestrator" });
    expect(restarted.apply(summaryStep, T0 + 100)).toEqual([]);
    const facts = restarted.apply(fromKeywords[1]!, T0 + 100);
    expect(only(facts, "task.assigned").map((fact) => fact.event_id)).toEqual(only(fromKeywords, "task.assigned").map((fact) => fact.event_id));
    expect(only(facts, "task.assigned")[0]!.data.input).toEqual({ text: "One.", tags: ["one"] });
  });

  test("its own task.failed read back fails the run of the step, as the failure it came from did", () => {
    const original = new Decisions(SETTINGS);
    const created = workflowRun();
    const [, , keywords] = original.apply(created, T0);
    const fromFailure = original.apply(workerOf("k1", "keywords").fails(keywords!, "no", false), T0 + 10);
    expect(types(fromFailure)).toEqual(["task.failed", "workflow.failed"]);
    const restarted = new Decisions(SETTINGS);
    restarted.apply(created, T0 + 100, { fresh: false });
    const facts = restarted.apply(fromFailure[0]!, T0 + 100);
    expect(facts.map((fact) => [fact.event_type, fact.event_id])).toEqual([["workflow.failed", fromFailure[1]!.event_id]]);
    expect(facts[0]!.data).toEqual(fromFailure[1]!.data);
  });

  test("an assignment read back tells a restarted orchestrator the attempt was handed out already, and when", () => {
    const original = new Decisions(SETTINGS);
    const created = agentTask();
    const [first] = original.apply(created, T0);
    original.apply(workerOf("w1").accepts(first!), T0);
    original.apply(workerOf("w1").fails(first!, "flaky", true), T0);
    const [second] = original.due(T0 + SETTINGS.retryBackoffMs);

    const restarted = new Decisions(SETTINGS);
    restarted.apply(created, T0 + 50_000, { fresh: false });
    restarted.apply(second!, T0 + 50_000, { fresh: false });
    // Not assigned a third time, and the acceptance deadline counts from the assignment read back.
    expect(restarted.due(T0 + SETTINGS.retryBackoffMs + SETTINGS.acceptTimeoutMs - 1)).toEqual([]);
    const [failed] = restarted.due(T0 + SETTINGS.retryBackoffMs + SETTINGS.acceptTimeoutMs);
    expect(failed).toMatchObject({ event_type: "task.failed", data: { attempt: 2 } });
  });

  test("its own task.failed read back keeps a restarted orchestrator from deciding the failure again", () => {
    const original = new Decisions(SETTINGS);
    const created = agentTask();
    original.apply(created, T0);
    const [failed] = original.due(T0 + SETTINGS.acceptTimeoutMs);
    const restarted = new Decisions(SETTINGS);
    restarted.apply(created, T0 + 1, { fresh: false });
    restarted.apply(failed!, T0 + 1, { fresh: false });
    expect(restarted.due(T0 + 10 * SETTINGS.acceptTimeoutMs)).toEqual([]);
    expect(restarted.counts().tasks).toBe(0);
  });

  test("timers fire only for partitions the member holds whole", () => {
    const decisions = new Decisions(SETTINGS);
    decisions.apply(agentTask("t0"), T0, { fresh: true, origin: { topic: "task-events", partition: 0, offset: 1 } });
    decisions.apply(agentTask("t1"), T0, { fresh: true, origin: { topic: "task-events", partition: 1, offset: 1 } });
    const due = decisions.due(T0 + SETTINGS.acceptTimeoutMs, (partition) => partition === 1);
    expect(due.map((fact) => (fact.data as { task_id: string }).task_id)).toEqual(["t1"]);
  });

  test("a partition given away is forgotten with everything in it", () => {
    const decisions = new Decisions(SETTINGS);
    decisions.apply(agentTask("t0"), T0, { fresh: true, origin: { topic: "task-events", partition: 0, offset: 1 } });
    decisions.apply(workflowRun("r0"), T0, { fresh: true, origin: { topic: "task-events", partition: 0, offset: 2 } });
    decisions.apply(agentTask("t1"), T0, { fresh: true, origin: { topic: "task-events", partition: 1, offset: 1 } });
    expect(decisions.counts()).toEqual({ tasks: 4, runs: 1 });
    decisions.forgetPartition(0);
    expect(decisions.counts()).toEqual({ tasks: 1, runs: 0 });
    expect(decisions.needs("t0")).toBe(false);
    expect(decisions.needs("t1")).toBe(true);
  });
});
