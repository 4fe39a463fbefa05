import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DiskWatch } from "../../src/disk-watch.ts";
import { AGENT_RESULTS, AGENT_TASKS, TASK_EVENTS, type DomainEvent } from "../../src/events/index.ts";
import { headerText } from "../../src/kafka/message-decoder.ts";
import type { Logger } from "../../src/log.ts";
import { openDatabase, type Database } from "../../src/runtime/sqlite.ts";
import type { BatchAgent } from "../../src/transport/agent.ts";
import type { Delivery, HandlerFailure } from "../../src/transport/types.ts";
import { nextStatus, subjectOf, type TaskStatus } from "./task-status.ts";

/** Finished tasks and runs are kept this long, as long as the topics keep their events by default. */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Statuses kept parsed in memory: a task's events arrive over several batches, and parsing its row each time cost a fifth of the orchestrator's CPU. */
const CACHED_STATUSES = 20_000;
/** Heartbeats and registrations are the registry's; everything else about tasks and runs is shown. */
const SHOWN = /^(task|agent\.task|workflow)\./;

/** One of a task's events as GET /tasks/{id} lists it. */
export interface EventLine {
  event_id: string;
  event_type: string;
  occurred_at: string;
  source: string;
  causation_id: string;
  attempt?: number;
  agent_id?: string;
  step_id?: string;
  reason?: string;
  retriable?: boolean;
}

/**
 * The status of every task and workflow run, for GET /tasks/{id} and GET /workflows/{id}: a projection of the
 * three coordination topics into an SQLite file in DATA_DIR, by a consumer group of this file's own (its name
 * is kept in the file, so a new file reads everything again). A batch is committed once its rows are written.
 */
export class StatusView {
  readonly agent: BatchAgent;
  private readonly db: Database;
  private readonly disk: DiskWatch;
  private readonly selectTask;
  private readonly upsertTask;
  private readonly insertEvent;
  private readonly selectEvents;
  private readonly selectSteps;
  private readonly writeBatch: (deliveries: Delivery[]) => Map<string, TaskStatus | undefined>;
  private readonly cached = new Map<string, TaskStatus>();
  /** Orders a task's events with equal times as they were read, across restarts too. */
  private seq = Date.now() * 1_000;
  private readonly pruneTimer: ReturnType<typeof setInterval>;

  constructor(path: string, logger: Logger) {
    this.disk = new DiskWatch(path, logger);
    mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path);
    this.db.exec("PRAGMA journal_mode = WAL");
    // NORMAL: a batch written survives the process dying; a machine crash can lose the last ones, which the
    // group's committed offset then reads again.
    this.db.exec("PRAGMA synchronous = NORMAL");
    // The events table outgrows SQLite's default 2 MiB page cache within minutes at a thousand tasks a second.
    this.db.exec("PRAGMA cache_size = -32768");
    this.db.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.db.exec("CREATE TABLE IF NOT EXISTS tasks (task_id TEXT PRIMARY KEY, workflow_id TEXT, finished_ms INTEGER, doc TEXT NOT NULL)");
    this.db.exec("CREATE INDEX IF NOT EXISTS tasks_workflow ON tasks (workflow_id) WHERE workflow_id IS NOT NULL");
    this.db.exec("CREATE INDEX IF NOT EXISTS tasks_finished ON tasks (finished_ms) WHERE finished_ms IS NOT NULL");
    // Keyed by task then event, without a rowid: one B-tree to insert into per event, where a rowid table with
    // a unique index and a subject index took three.
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS task_events (subject TEXT NOT NULL, event_id TEXT NOT NULL, occurred_at TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (subject, event_id)) WITHOUT ROWID",
    );
    this.db
      .prepare<unknown, [string]>("INSERT OR IGNORE INTO meta (name, value) VALUES ('group', ?)")
      .run(`orchestrator-view-${crypto.randomUUID().slice(0, 8)}`);
    const group = this.db.prepare<{ value: string }>("SELECT value FROM meta WHERE name = 'group'").get()!.value;

    this.selectTask = this.db.prepare<{ doc: string }, [string]>("SELECT doc FROM tasks WHERE task_id = ?");
    this.upsertTask = this.db.prepare<unknown, [string, string | null, number | null, string]>(
      "INSERT INTO tasks (task_id, workflow_id, finished_ms, doc) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (task_id) DO UPDATE SET workflow_id = ?2, finished_ms = ?3, doc = ?4",
    );
    this.insertEvent = this.db.prepare<unknown, [string, string, string, number, string]>(
      "INSERT OR IGNORE INTO task_events (subject, event_id, occurred_at, seq, doc) VALUES (?, ?, ?, ?, ?)",
    );
    this.selectEvents = this.db.prepare<{ doc: string }, [string]>(
      "SELECT doc FROM task_events WHERE subject = ? ORDER BY occurred_at, seq",
    );
    this.selectSteps = this.db.prepare<{ doc: string }, [string]>("SELECT doc FROM tasks WHERE workflow_id = ? AND task_id != workflow_id");
    this.writeBatch = this.db.transaction((deliveries: Delivery[]) => this.write(deliveries));

    const pruneTask = this.db.prepare<unknown, [number]>("DELETE FROM tasks WHERE finished_ms < ?");
    const pruneEvents = this.db.prepare("DELETE FROM task_events WHERE subject NOT IN (SELECT task_id FROM tasks)");
    const prune = () => {
      try {
        const changes = this.disk.run(() => pruneTask.run(Date.now() - KEEP_MS)).changes;
        if (changes > 0) this.disk.run(() => pruneEvents.run());
      } catch (error) {
        logger.warn({ err: error }, "could not prune the task status view");
      }
    };
    prune();
    this.pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
    this.pruneTimer.unref();

    this.agent = {
      name: "orchestrator-view",
      group,
      topics: [TASK_EVENTS, AGENT_TASKS, AGENT_RESULTS],
      maxBatch: 2_000,
      // Woken with the orchestrator by every event, it wrote its row first half the time and delayed the
      // decision; a status a tenth of a second behind is still current to whoever asks.
      fetchWaitMs: 100,
      accepts: (message) => SHOWN.test(headerText(message, "event_type") ?? "task."),
      handle: async (deliveries: Delivery[]): Promise<HandlerFailure[]> => {
        // A full disk fails the batch (DiskError): it is not committed, and is tried again.
        const changed = this.disk.run(() => this.writeBatch(deliveries));
        // Only once written: a batch the disk refused is applied again to the statuses as they were.
        for (const [taskId, status] of changed) if (status) this.remember(taskId, status);
        return [];
      },
      close: async () => {
        clearInterval(this.pruneTimer);
        this.db.close();
      },
    };
  }

  /** What the disk refused last, for readiness. */
  problem(): string | undefined {
    return this.disk.problem();
  }

  task(taskId: string): (TaskStatus & { events: EventLine[] }) | undefined {
    const status = this.stored(taskId);
    if (!status) return undefined;
    return { ...status, events: this.selectEvents.all(taskId).map((e) => JSON.parse(e.doc) as EventLine) };
  }

  /** A run's step tasks, by task id. */
  stepsOf(workflowId: string): Map<string, TaskStatus> {
    return new Map(this.selectSteps.all(workflowId).map(({ doc }) => {
      const status = JSON.parse(doc) as TaskStatus;
      return [status.task_id, status];
    }));
  }

  private remember(taskId: string, status: TaskStatus): void {
    this.cached.delete(taskId);
    this.cached.set(taskId, status);
    if (this.cached.size > CACHED_STATUSES) this.cached.delete(this.cached.keys().next().value!);
  }

  private write(deliveries: Delivery[]): Map<string, TaskStatus | undefined> {
    const changed = new Map<string, TaskStatus | undefined>();
    for (const delivery of deliveries) {
      if (!delivery.known || !SHOWN.test(delivery.event.event_type)) continue;
      const event = delivery.event;
      const subject = subjectOf(event);
      if (!subject) continue;
      // Seen before (a redelivery, or the orchestrator publishing a fact again): the status has it already.
      if (this.insertEvent.run(subject, event.event_id, event.occurred_at, this.seq++, JSON.stringify(lineOf(event))).changes === 0) continue;
      if (!changed.has(subject)) changed.set(subject, this.cached.get(subject) ?? this.stored(subject));
      changed.set(subject, nextStatus(changed.get(subject), event));
    }
    for (const [taskId, status] of changed) {
      if (!status) continue;
      const finished = status.finished_at ? Date.parse(status.finished_at) : null;
      this.upsertTask.run(taskId, status.workflow_id ?? null, finished, JSON.stringify(status));
    }
    return changed;
  }

  private stored(taskId: string): TaskStatus | undefined {
    const row = this.selectTask.get(taskId);
    return row ? (JSON.parse(row.doc) as TaskStatus) : undefined;
  }
}

function lineOf(event: DomainEvent): EventLine {
  const data = event.data as Record<string, unknown>;
  const line: EventLine = {
    event_id: event.event_id,
    event_type: event.event_type,
    occurred_at: event.occurred_at,
    source: event.metadata.source,
    causation_id: event.metadata.causation_id,
  };
  if (typeof data.attempt === "number") line.attempt = data.attempt;
  if (typeof data.agent_id === "string") line.agent_id = data.agent_id;
  if (typeof data.step_id === "string") line.step_id = data.step_id;
  if (typeof data.reason === "string") line.reason = data.reason;
  if (typeof data.retriable === "boolean") line.retriable = data.retriable;
  return line;
}
