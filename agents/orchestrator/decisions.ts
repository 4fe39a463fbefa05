import type { DomainEvent, EventEnvelope } from "../../src/events/index.ts";
import type { Workflow, Workflows } from "../../src/workflows/definition.ts";
import { render } from "../../src/workflows/template.ts";
import * as facts from "./facts.ts";

export interface DecisionSettings {
  workflows: Workflows;
  /** Attempts in all for a task (TASK_MAX_ATTEMPTS), unless its workflow step says otherwise. */
  maxAttempts: number;
  /** How long an assignment may wait for a worker to accept it (TASK_ACCEPT_TIMEOUT_MS). */
  acceptTimeoutMs: number;
  /** How long an attempt may take from its assignment (TASK_TIMEOUT_MS), unless its step says otherwise. */
  taskTimeoutMs: number;
  /** The wait before the second attempt; doubling for each one after, up to 30 s (TASK_RETRY_BACKOFF_MS). */
  retryBackoffMs: number;
}

/** Where an event was read, for events kept undecided (see `undecided`). */
export interface Origin {
  topic: string;
  partition: number;
  offset: number;
}

/** How an event reaches `apply`. */
export interface Reading {
  /**
   * Not decided on before: false while reading again what a previous run (or the partition's previous owner)
   * decided on and published already. What only such events lead to is not published again.
   */
  fresh: boolean;
  origin?: Origin;
}

type Phase = "assigned" | "started" | "retry-wait" | "completed" | "failed";

interface TaskState {
  taskId: string;
  agentType: string;
  input: Record<string, unknown>;
  step?: facts.StepRef & { name: string };
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  phase: Phase;
  /** When the current attempt was assigned (ms since epoch). */
  assignedAt: number;
  agentId?: string;
  retryAt?: number;
  finishedAt?: number;
  /** The partition number its events are in (every topic's), when read from Kafka. */
  partition?: number;
  /** The event the next decision is caused by (the failure a retry follows). */
  cause: EventEnvelope;
}

interface RunState {
  workflowId: string;
  workflow: Workflow;
  input: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** Steps assigned (their task exists) or done. */
  begun: Set<string>;
  finishedAt?: number;
  partition?: number;
}

interface EarlyReport {
  event: EventEnvelope;
  at: number;
  key: string;
  origin?: Origin;
}

/** The entity an event is about: its workflow run when it has one, else its task (the events' message key). */
export function entityKey(event: EventEnvelope): string {
  const data = event.data as { workflow_id?: unknown; task_id?: unknown };
  if (typeof data.workflow_id === "string") return data.workflow_id;
  return typeof data.task_id === "string" ? data.task_id : "";
}

/** One of its own verdicts on a task or step, read back: it moves the task on as the report it came from did. */
function isVerdictReadBack(event: DomainEvent): boolean {
  if (event.event_type === "workflow.step.completed") return true;
  return (event.event_type === "task.completed" || event.event_type === "task.failed") && event.metadata.source === facts.SOURCE;
}

/** How the failure of an assignment no worker accepted begins: it is counted apart. */
const UNACCEPTED = "no worker of type";

export function isUnaccepted(fact: DomainEvent): fact is DomainEvent<"task.failed"> {
  return fact.event_type === "task.failed" && fact.data.reason.startsWith(UNACCEPTED);
}

const MAX_RETRY_BACKOFF_MS = 30_000;
const MAX_EARLY = 10_000;
/** A report about a task not known for this long is about one finished before anything here was read. */
const EARLY_TTL_MS = 10 * 60_000;
/** Finished tasks and runs are remembered this long, so that a late report of theirs is known for what it is. */
const FINISHED_KEEP_MS = 10 * 60_000;

/**
 * The orchestrator's decisions, as a state machine over the events it reads: task.created (a task for an
 * agent, or a workflow run), the workers' agent.task.* reports, and its own facts read back. `apply` returns
 * the facts to publish. Reading the same events again from a commit point rebuilds the same state, and the
 * facts of events read before (`fresh: false`) are not returned again, which is how a restart or a takeover
 * resumes. Timers (retry backoff, acceptance, deadlines) are `due` when their time comes; agents that stopped
 * heartbeating are `gone`. No I/O and no clock of its own: `now` is given.
 */
export class Decisions {
  private readonly tasks = new Map<string, TaskState>();
  private readonly runs = new Map<string, RunState>();
  /** The tasks and runs not finished: what the timers look at (the finished stay a while, see prune). */
  private readonly openTasks = new Set<TaskState>();
  private readonly openRuns = new Set<RunState>();
  /** Finished tasks and runs, in the order they finished, so that pruning stops at the first one kept. */
  private readonly finished = new Map<TaskState | RunState, number>();
  private lastPrune = 0;
  /** The earliest retry decided since the timers last ran: a retry's backoff may be shorter than their sweep. */
  soonestRetry: number | undefined;
  /** Reports about tasks not known yet (their creation is on another topic, not read yet), by task id. */
  private readonly early = new Map<string, EarlyReport[]>();
  /** How many tasks with early reports each entity key has. */
  private readonly earlyKeys = new Map<string, number>();
  /** Entities (by key) that a fresh event was read about: what is decided about them is published. */
  private readonly touched = new Set<string>();
  /**
   * Facts decided on a verdict read back (see apply) about entities no fresh event was read about yet, by key:
   * out when the first fresh event is, forgotten with the entity or after FINISHED_KEEP_MS.
   */
  private readonly withheld = new Map<string, { at: number; facts: DomainEvent[] }>();

  constructor(private readonly settings: DecisionSettings) {}

  /**
   * The facts an event leads to. A fact follows from several events (a step's assignment from the completions
   * of all it waits for, a report's verdict from the task's creation): it was published already only when all
   * of them were read before. So once any event about a task or run is fresh, every fact about it is returned,
   * those decided while reading its earlier events again too: one decided before comes out again as the same
   * event (its id derived from its cause), which consumers deduplicate, whereas one left out would be lost.
   */
  apply(event: EventEnvelope, now: number, reading: Reading = { fresh: true }): DomainEvent[] {
    const out: DomainEvent[] = [];
    const key = entityKey(event);
    if (reading.fresh && !this.touched.has(key)) {
      this.touched.add(key);
      out.push(...(this.withheld.get(key)?.facts ?? []));
      this.withheld.delete(key);
    }
    const verdict = isVerdictReadBack(event as DomainEvent);
    for (const fact of this.decide(event as DomainEvent, now, reading)) {
      const about = entityKey(fact);
      if (this.touched.has(about)) out.push(fact);
      // A verdict read back decides what its report did, and may come first: the previous reader may have been
      // stopped after publishing the verdict and before the rest, so if the report is fresh, the rest is due.
      else if (verdict) this.withhold(about, fact, now);
    }
    return out;
  }

  private withhold(key: string, fact: DomainEvent, now: number): void {
    const withheld = this.withheld.get(key);
    if (withheld) withheld.facts.push(fact);
    else this.withheld.set(key, { at: now, facts: [fact] });
  }

  /**
   * Whether the entity keyed `key` (a task's id, or a workflow run's) still needs its events: open, or with
   * reports kept for a task not known yet. Its events then stay after the commit point, to be read again.
   */
  needs(key: string): boolean {
    const task = this.tasks.get(key);
    if (task && task.finishedAt === undefined) return true;
    const run = this.runs.get(key);
    if (run && run.finishedAt === undefined) return true;
    return (this.earlyKeys.get(key) ?? 0) > 0;
  }

  /** Where the reports kept undecided were read: a commit names them, so that they are fresh when read again. */
  undecided(): Origin[] {
    const origins: Origin[] = [];
    for (const waiting of this.early.values()) for (const { origin } of waiting) if (origin) origins.push(origin);
    return origins;
  }

  /**
   * Decisions whose time has come: retries after their backoff, assignments nobody accepted, attempts past
   * their deadline; only for entities in partitions `mine` says this member holds whole. Also forgets
   * long-finished ones.
   */
  due(now: number, mine: (partition: number | undefined) => boolean = () => true): DomainEvent[] {
    this.prune(now);
    this.soonestRetry = undefined;
    const out: DomainEvent[] = [];
    for (const task of [...this.openTasks]) {
      if (!mine(task.partition)) continue;
      const run = task.step && this.runs.get(task.step.workflowId);
      // A step still open when its run failed at another step: nothing will use its output.
      if (run && run.finishedAt !== undefined) out.push(...this.fail(task, task.cause, `its workflow run ${run.workflowId} ended`, now));
      else if (task.phase === "retry-wait" && task.retryAt !== undefined && now >= task.retryAt) out.push(...this.assign(task, task.attempt + 1, now));
      else if (task.phase === "assigned" && now >= task.assignedAt + this.settings.acceptTimeoutMs) {
        out.push(...this.fail(task, task.cause, `${UNACCEPTED} ${task.agentType} accepted it within ${this.settings.acceptTimeoutMs} ms`, now));
      } else if (task.phase === "started" && now >= task.assignedAt + task.timeoutMs) {
        out.push(...this.retryOrFail(task, task.cause, `no result by its deadline (${task.timeoutMs} ms after its assignment)`, now));
      }
    }
    return out;
  }

  /** The earliest time something is due, for the timer. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const task of this.openTasks) {
      const at =
        task.phase === "retry-wait"
          ? task.retryAt
          : task.phase === "assigned"
            ? task.assignedAt + this.settings.acceptTimeoutMs
            : task.phase === "started"
              ? task.assignedAt + task.timeoutMs
              : undefined;
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** The agents running a task now. */
  agentsAtWork(): Set<string> {
    const ids = new Set<string>();
    for (const task of this.openTasks) if (task.phase === "started" && task.agentId) ids.add(task.agentId);
    return ids;
  }

  /** An agent stopped heartbeating or left: what it had accepted is assigned again (or failed, out of attempts). */
  gone(agentId: string, why: string, now: number, mine: (partition: number | undefined) => boolean = () => true): DomainEvent[] {
    const out: DomainEvent[] = [];
    for (const task of [...this.openTasks]) {
      if (task.phase !== "started" || task.agentId !== agentId || !mine(task.partition)) continue;
      out.push(...this.retryOrFail(task, task.cause, `agent ${agentId} ${why}`, now));
    }
    return out;
  }

  /** Open tasks and workflow runs, for the metrics. */
  counts(): { tasks: number; runs: number } {
    return { tasks: this.openTasks.size, runs: this.openRuns.size };
  }

  /** Forgets the entities of a partition number (it went to another member on every topic). */
  forgetPartition(partition: number): void {
    for (const task of this.tasks.values()) if (task.partition === partition) this.drop(task);
    for (const run of this.runs.values()) if (run.partition === partition) this.drop(run);
    for (const [id, waiting] of this.early) if (waiting[0]!.origin?.partition === partition) this.dropEarly(id);
  }

  private decide(e: DomainEvent, now: number, reading: Reading): DomainEvent[] {
    switch (e.event_type) {
      case "task.created":
        return this.created(e, now, reading.origin?.partition);
      case "task.assigned":
        return this.assignedReadBack(e);
      case "agent.task.accepted":
      case "agent.task.completed":
      case "agent.task.failed":
        return this.report(e, now, reading);
      // Our own facts read back, after a restart possibly before the reports they came from: each decides
      // what follows from it as the report did, the same facts with the same ids, so whichever comes first
      // moves the task on and the other finds it done.
      case "task.started": {
        const task = this.ownTask(e);
        if (task && task.phase === "assigned" && e.data.attempt === task.attempt) Object.assign(task, { phase: "started", agentId: e.data.agent_id });
        return [];
      }
      case "task.completed": {
        const task = this.ownTask(e);
        if (!task) return [];
        task.agentId = e.data.agent_id;
        return this.completeTask(task, e, now);
      }
      case "task.failed": {
        const task = this.ownTask(e);
        return task ? this.failTask(task, e, now) : [];
      }
      case "workflow.step.completed": {
        const task = this.tasks.get(facts.stepTaskId(e.data.workflow_id, e.data.step_id));
        const run = this.runs.get(e.data.workflow_id);
        if (!task?.step || task.finishedAt !== undefined || !run || run.finishedAt !== undefined) return [];
        this.finish(task, "completed", now);
        return this.afterStep(run, task.step.stepId, e.data.output, e, now);
      }
      case "workflow.completed":
      case "workflow.failed": {
        const run = this.runs.get(e.data.workflow_id);
        if (run) this.finishRun(run, now);
        return [];
      }
      default:
        return [];
    }
  }

  /** The open task one of our own facts is about, unless the fact is about an earlier attempt. */
  private ownTask(fact: DomainEvent<"task.started" | "task.completed" | "task.failed">): TaskState | undefined {
    if (fact.metadata.source !== facts.SOURCE) return undefined;
    const task = this.tasks.get(fact.data.task_id);
    if (!task || task.finishedAt !== undefined || (fact.data.attempt ?? task.attempt) < task.attempt) return undefined;
    return task;
  }

  private created(event: DomainEvent<"task.created">, now: number, partition: number | undefined): DomainEvent[] {
    const { task_id, agent_type, workflow, input = {} } = event.data;
    if (this.tasks.has(task_id) || this.runs.has(task_id)) return [];
    if (workflow !== undefined) {
      const definition = this.settings.workflows.get(workflow);
      // The api refuses unknown names; one that slips through (another producer, a file changed since) is failed.
      if (!definition) return [facts.workflowFailed(event, task_id, undefined, `no workflow named ${workflow} is defined here`, now)];
      const run: RunState = { workflowId: task_id, workflow: definition, input, outputs: {}, begun: new Set(), partition };
      this.runs.set(task_id, run);
      this.openRuns.add(run);
      return [facts.workflowStarted(event, workflow, definition.steps.map((s) => s.id), now), ...this.beginReadySteps(run, event, now)];
    }
    if (agent_type === undefined) return [];
    const task = this.newTask(task_id, agent_type, input, event, now, this.settings.maxAttempts, this.settings.taskTimeoutMs);
    task.partition = partition;
    return [...this.assign(task, 1, now), ...this.releaseEarly(task_id, now)];
  }

  private newTask(
    taskId: string,
    agentType: string,
    input: Record<string, unknown>,
    cause: EventEnvelope,
    now: number,
    maxAttempts: number,
    timeoutMs: number,
    step?: TaskState["step"],
  ): TaskState {
    const task: TaskState = { taskId, agentType, input, step, attempt: 0, maxAttempts, timeoutMs, phase: "assigned", assignedAt: now, cause };
    this.tasks.set(taskId, task);
    this.openTasks.add(task);
    return task;
  }

  private assign(task: TaskState, attempt: number, now: number): DomainEvent[] {
    Object.assign(task, { attempt, phase: "assigned", assignedAt: now, agentId: undefined, retryAt: undefined });
    const deadline = now + task.timeoutMs;
    return [facts.assignment(task.cause, { taskId: task.taskId, agentType: task.agentType, attempt, input: task.input, deadline }, task.step, now)];
  }

  /** Our own assignment read back: after a restart, it says this attempt was handed out already, and when. */
  private assignedReadBack(event: DomainEvent<"task.assigned">): DomainEvent[] {
    const task = this.tasks.get(event.data.task_id);
    if (!task || task.finishedAt !== undefined || event.data.attempt < task.attempt) return [];
    if (event.data.attempt > task.attempt) Object.assign(task, { attempt: event.data.attempt, phase: "assigned", agentId: undefined, retryAt: undefined });
    if (task.phase === "assigned" || task.phase === "started") task.assignedAt = Date.parse(event.occurred_at);
    return [];
  }

  private report(event: DomainEvent<"agent.task.accepted" | "agent.task.completed" | "agent.task.failed">, now: number, reading: Reading): DomainEvent[] {
    const task = this.tasks.get(event.data.task_id);
    if (!task) {
      this.keepEarly(event, now, reading);
      return [];
    }
    // A report of an attempt before the current one is recorded (the status view keeps it) and ignored.
    if (event.data.attempt < task.attempt || task.finishedAt !== undefined) return [];
    // A later attempt than we know of: its assignment was read back on another topic not yet reached.
    if (event.data.attempt > task.attempt) Object.assign(task, { attempt: event.data.attempt, phase: "assigned", retryAt: undefined });
    // The attempt failed already and waits for its retry: only a success (the worker that was thought gone
    // finishing after all) still counts.
    if (task.phase === "retry-wait" && event.event_type !== "agent.task.completed") return [];
    switch (event.event_type) {
      case "agent.task.accepted":
        if (task.phase === "started") return [];
        Object.assign(task, { phase: "started", agentId: event.data.agent_id, cause: event });
        return [facts.started(event, task.step, now)];
      case "agent.task.completed": {
        task.agentId = event.data.agent_id;
        const completed = facts.completed(event, task.step, now);
        return [completed, ...this.completeTask(task, completed, now)];
      }
      case "agent.task.failed":
        task.agentId = event.data.agent_id;
        if (event.data.retriable) return this.retryOrFail(task, event, event.data.reason, now);
        return this.fail(task, event, event.data.reason, now);
    }
  }

  private retryOrFail(task: TaskState, cause: EventEnvelope, reason: string, now: number): DomainEvent[] {
    if (task.attempt >= task.maxAttempts) return this.fail(task, cause, `${reason} (attempt ${task.attempt} of ${task.maxAttempts})`, now);
    const backoff = Math.min(MAX_RETRY_BACKOFF_MS, this.settings.retryBackoffMs * 2 ** (task.attempt - 1));
    Object.assign(task, { phase: "retry-wait", cause, retryAt: now + backoff });
    this.soonestRetry = Math.min(this.soonestRetry ?? Infinity, now + backoff);
    return [];
  }

  private fail(task: TaskState, cause: EventEnvelope, reason: string, now: number): DomainEvent[] {
    const failed = facts.failed(cause, { taskId: task.taskId, agentType: task.agentType, attempt: task.attempt, agentId: task.agentId, reason }, task.step, now);
    return [failed, ...this.failTask(task, failed, now)];
  }

  /** The task failed for good: its run, if it is a step of one, fails with it, caused by the task's failure. */
  private failTask(task: TaskState, failed: DomainEvent<"task.failed">, now: number): DomainEvent[] {
    this.finish(task, "failed", now);
    const run = task.step && this.runs.get(task.step.workflowId);
    if (!run || run.finishedAt !== undefined) return [];
    this.finishRun(run, now);
    return [facts.workflowFailed(failed, run.workflowId, task.step!.stepId, `step ${task.step!.stepId} failed: ${failed.data.reason}`, now)];
  }

  private finish(task: TaskState, phase: "completed" | "failed", now: number): void {
    task.phase = phase;
    task.finishedAt = now;
    task.retryAt = undefined;
    this.openTasks.delete(task);
    this.finished.set(task, now);
  }

  private finishRun(run: RunState, now: number): void {
    if (run.finishedAt !== undefined) return;
    run.finishedAt = now;
    this.openRuns.delete(run);
    this.finished.set(run, now);
  }

  /** Forgets a task or run, finished or not, and that events about it were fresh. */
  private drop(entity: TaskState | RunState): void {
    const isRun = "workflow" in entity;
    if (isRun) {
      this.runs.delete(entity.workflowId);
      this.openRuns.delete(entity);
      this.touched.delete(entity.workflowId);
      this.withheld.delete(entity.workflowId);
    } else {
      this.tasks.delete(entity.taskId);
      this.openTasks.delete(entity);
      // A step's facts are its run's: they go with the run, which may well outlive a step finished long ago.
      if (!entity.step) {
        this.touched.delete(entity.taskId);
        this.withheld.delete(entity.taskId);
      }
    }
    this.finished.delete(entity);
  }

  /** The task completed: if it is a step, workflow.step.completed follows from its task.completed. */
  private completeTask(task: TaskState, completed: DomainEvent<"task.completed">, now: number): DomainEvent[] {
    this.finish(task, "completed", now);
    if (!task.step) return [];
    const run = this.runs.get(task.step.workflowId);
    if (!run || run.finishedAt !== undefined) return [];
    const stepCompleted = facts.stepCompleted(completed, task.step, now);
    return [stepCompleted, ...this.afterStep(run, task.step.stepId, completed.data.output, stepCompleted, now)];
  }

  /** A step's output is in: the steps waiting only for what is done now begin, or the run completes. */
  private afterStep(run: RunState, stepId: string, output: unknown, stepCompleted: EventEnvelope, now: number): DomainEvent[] {
    this.recordStep(run.workflowId, stepId, output);
    if (run.workflow.steps.every((step) => step.id in run.outputs)) {
      this.finishRun(run, now);
      return [facts.workflowCompleted(stepCompleted, run.workflowId, run.outputs, now)];
    }
    return this.beginReadySteps(run, stepCompleted, now);
  }

  private recordStep(workflowId: string, stepId: string, output: unknown): void {
    const run = this.runs.get(workflowId);
    if (run) {
      run.outputs[stepId] = output;
      run.begun.add(stepId);
    }
  }

  /** Assigns every step whose dependencies are all done and that has not begun; the cause is what made it ready. */
  private beginReadySteps(run: RunState, cause: EventEnvelope, now: number): DomainEvent[] {
    const out: DomainEvent[] = [];
    const ready = run.workflow.steps.filter((step) => !run.begun.has(step.id) && step.depends_on.every((dependency) => dependency in run.outputs));
    for (const step of ready) {
      run.begun.add(step.id);
      const steps = Object.fromEntries(Object.entries(run.outputs).map(([id, output]) => [id, { output }]));
      const input = render(step.input, { input: run.input, steps }) as Record<string, unknown>;
      const ref = { workflowId: run.workflowId, stepId: step.id, name: step.id };
      const taskId = facts.stepTaskId(run.workflowId, step.id);
      const task = this.newTask(taskId, step.agent_type, input, cause, now, step.attempts ?? this.settings.maxAttempts, step.timeout_ms ?? this.settings.taskTimeoutMs, ref);
      task.partition = run.partition;
      out.push(...this.assign(task, 1, now));
    }
    for (const step of ready) out.push(...this.releaseEarly(facts.stepTaskId(run.workflowId, step.id), now));
    return out;
  }

  /** Decides on the reports kept for a task now known. */
  private releaseEarly(taskId: string, now: number): DomainEvent[] {
    const waiting = this.early.get(taskId);
    if (!waiting) return [];
    this.dropEarly(taskId);
    return waiting.flatMap(({ event, origin }) => this.decide(event as DomainEvent, now, { fresh: false, origin }));
  }

  /**
   * A report about a task not known: its creation is on another topic, not read yet after a restart, or the
   * task finished before anything here was read (a late report of a superseded attempt). Kept a while.
   */
  private keepEarly(event: EventEnvelope, now: number, reading: Reading): void {
    const taskId = (event.data as { task_id: string }).task_id;
    const key = entityKey(event);
    let waiting = this.early.get(taskId);
    if (!waiting) {
      this.early.set(taskId, (waiting = []));
      this.earlyKeys.set(key, (this.earlyKeys.get(key) ?? 0) + 1);
    }
    waiting.push({ event, at: now, key, origin: reading.origin });
    if (this.early.size > MAX_EARLY) this.dropEarly(this.early.keys().next().value!);
  }

  private dropEarly(taskId: string): void {
    const waiting = this.early.get(taskId);
    if (!waiting) return;
    this.early.delete(taskId);
    const key = waiting[0]!.key;
    const left = (this.earlyKeys.get(key) ?? 1) - 1;
    if (left > 0) this.earlyKeys.set(key, left);
    else this.earlyKeys.delete(key);
  }

  /** At most once a second: drops reports kept longer than EARLY_TTL_MS, and what finished longer ago than FINISHED_KEEP_MS. */
  private prune(now: number): void {
    if (now - this.lastPrune < 1_000) return;
    this.lastPrune = now;
    for (const [taskId, waiting] of this.early) {
      if (now - waiting[0]!.at <= EARLY_TTL_MS) break;
      this.dropEarly(taskId);
    }
    for (const [entity, at] of this.finished) {
      if (now - at <= FINISHED_KEEP_MS) break;
      this.drop(entity);
    }
    // Facts about no task or run known here (a workflow name not defined) have nothing to be dropped with.
    for (const [key, { at }] of this.withheld) {
      if (now - at <= FINISHED_KEEP_MS) break;
      this.withheld.delete(key);
    }
  }
}
