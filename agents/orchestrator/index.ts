import { UnavailableError } from "../../src/errors.ts";
import { AGENT_RESULTS, AGENT_TASKS, TASK_EVENTS, type DomainEvent } from "../../src/events/index.ts";
import { headerText } from "../../src/kafka/message-decoder.ts";
import { partitionKey, type TopicPartition } from "../../src/kafka/partition-list.ts";
import type { Logger } from "../../src/log.ts";
import type { AgentRegistry } from "../../src/registry/agent-registry.ts";
import type { BatchAgent } from "../../src/transport/agent.ts";
import type { Delivery, HandlerFailure, Publisher, RawMessage } from "../../src/transport/types.ts";
import { Decisions, entityKey, isUnaccepted, type DecisionSettings, type Origin } from "./decisions.ts";
import { decidedBefore, decodeProcessed, type ProcessedMark } from "./processed-mark.ts";
import { ReplayPoints } from "./replay-points.ts";
import { Unacknowledged } from "./unacknowledged.ts";

const INPUT_TOPICS = [TASK_EVENTS, AGENT_TASKS, AGENT_RESULTS] as const;
const SWEEP_MS = 1_000;
const MIN_TICK_MS = 20;
const RETRY_PUBLISH_MS = 1_000;
/** Sends in flight past which a batch waits for acknowledgements before the next is read. */
const MAX_UNACKNOWLEDGED = 10_000;
/** Owning part of a partition number for longer than a rebalance takes means the topics are not co-partitioned. */
const PARTIAL_OWNERSHIP_PROBLEM_MS = 30_000;
/** What the orchestrator reads; the rest (heartbeats, task.started, ...) is committed unparsed. */
const WANTED = new Set([
  "task.created",
  "task.assigned",
  "task.completed",
  "task.failed",
  "agent.task.accepted",
  "agent.task.completed",
  "agent.task.failed",
  "workflow.step.completed",
  "workflow.completed",
  "workflow.failed",
]);

export interface OrchestratorMetrics {
  /** A fact published, by type. */
  published(eventType: string): void;
  /** An assignment no worker accepted in time. */
  unaccepted(agentType: string): void;
}

export interface OrchestratorOptions {
  settings: DecisionSettings;
  publisher: Publisher;
  registry: AgentRegistry;
  logger: Logger;
  metrics?: OrchestratorMetrics;
}

export interface Orchestrator {
  agent: BatchAgent;
  /** Open tasks and workflow runs this member holds. */
  open(): { tasks: number; runs: number };
  /** Readiness: why this member cannot decide for some partitions, if so. */
  problem(): string | undefined;
}

/**
 * The orchestrator, a consume loop over task-events (task.created), agent-tasks (its own assignments, read
 * back) and agent-results (the workers' reports and its own workflow facts). Each batch is applied to the
 * decisions, whose facts are published before the batch is committed. The commit names the first event of any
 * task or run still open, with the last offset read as metadata: a restart, or the member taking a partition
 * over, reads from there, rebuilds the state, and publishes only what follows from events not decided on
 * before. A batch's facts are handed to the producer without waiting for their acknowledgements (that would add
 * a broker round trip to every hop); the commit and its mark stay before the first event whose facts are not
 * acknowledged yet. Every event of one task or run has the same partition number on all three topics (their keys), and
 * the group uses the range assignor, so one member holds all of each.
 */
export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const { logger, publisher, registry, metrics } = options;
  const decisions = new Decisions(options.settings);
  const points = new ReplayPoints();
  /** Topic-partitions being read again up to their mark: what they lead to was published before. */
  const replaying = new Map<string, ProcessedMark>();
  /** Per partition number, the input topics this member owns it on, and since when it owns only some. */
  const owned = new Map<number, { topics: Set<string>; partialSince?: number }>();
  /** Per topic-partition: the last offset applied, so that a batch tried again is not applied twice. */
  const applied = new Map<string, number>();
  let outbox: DomainEvent[] = [];
  /** Events whose facts failed once and went to the outbox: acknowledged once the outbox is empty. */
  let resent: Origin[] = [];
  const unacknowledged = new Unacknowledged();
  /**
   * Per entity key, its facts handed to the producer and not acknowledged. Such an entity may be finished in
   * memory, yet not on the broker: its events on every topic stay after the commit point until they are, or a
   * restart would find the reports that finished it (read again, being unacknowledged) without its creation.
   */
  const unpublished = new Map<string, number>();
  const hold = (fact: DomainEvent) => {
    const key = entityKey(fact);
    unpublished.set(key, (unpublished.get(key) ?? 0) + 1);
  };
  /** A fact is on the broker. */
  const published = (fact: DomainEvent) => {
    const key = entityKey(fact);
    const left = (unpublished.get(key) ?? 1) - 1;
    if (left > 0) unpublished.set(key, left);
    else unpublished.delete(key);
    metrics?.published(fact.event_type);
  };
  const sending = new Set<Promise<void>>();
  let flushing: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires next (ms since epoch). */
  let timerAt = 0;
  let closed = false;

  /** Decides on timers for a partition only when it holds it on every topic and has read it up to its mark. */
  function mine(partition: number | undefined): boolean {
    if (partition === undefined) return true;
    const ownership = owned.get(partition);
    if (!ownership || ownership.topics.size < INPUT_TOPICS.length) return false;
    for (const topic of INPUT_TOPICS) if (replaying.has(partitionKey({ topic, partition }))) return false;
    return true;
  }

  async function flush(): Promise<void> {
    while (outbox.length > 0) {
      const sending = outbox;
      outbox = [];
      const results = await Promise.allSettled(sending.map((event) => publisher.publish(event)));
      const failed = sending.filter((_, i) => results[i]!.status === "rejected");
      for (const [i, event] of sending.entries()) if (results[i]!.status === "fulfilled") published(event);
      if (failed.length > 0) {
        outbox = [...failed, ...outbox];
        const reason = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason as Error;
        throw new UnavailableError(`cannot publish the orchestrator's facts: ${reason.message}`, { cause: reason });
      }
    }
    for (const origin of resent) unacknowledged.acknowledged(origin);
    resent = [];
  }

  /** Publishes the facts decided on one event without waiting; a failure moves them to the outbox. */
  function send(facts: DomainEvent[], origin: Origin): void {
    unacknowledged.add(origin);
    for (const fact of facts) hold(fact);
    const sent = Promise.allSettled(facts.map((fact) => publisher.publish(fact))).then((results) => {
      for (const [i, fact] of facts.entries()) if (results[i]!.status === "fulfilled") published(fact);
      const failed = facts.filter((_, i) => results[i]!.status === "rejected");
      if (failed.length === 0) return unacknowledged.acknowledged(origin);
      outbox.push(...failed);
      resent.push(origin);
      flushSoon();
    });
    sending.add(sent);
    void sent.finally(() => sending.delete(sent));
  }

  /** Publishes what timers decided, in the background; the next batch's flush waits for it. */
  function flushSoon(): void {
    flushing ??= flush()
      .catch((error) => {
        logger.warn({ err: error }, "orchestrator facts not published; trying again");
        setTimeout(flushSoon, RETRY_PUBLISH_MS).unref();
      })
      .finally(() => (flushing = undefined));
  }

  function tick(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    const now = Date.now();
    const due = decisions.due(now, mine);
    // Until the registry has read every heartbeat up to now, an agent that beat a second ago may look gone.
    if (registry.caughtUp) {
      for (const agentId of decisions.agentsAtWork()) {
        const agent = registry.get(agentId);
        if (agent && !agent.live) due.push(...decisions.gone(agentId, agent.gone_because ?? "is gone", now, mine));
      }
    }
    if (due.length > 0) {
      for (const fact of due) if (isUnaccepted(fact)) metrics?.unaccepted(fact.data.agent_type ?? "unknown");
      for (const fact of due) hold(fact);
      outbox.push(...due);
      flushSoon();
    }
    schedule(now, decisions.nextDue());
  }

  /** The timers look at every open task, so they run when something is due, and at least every SWEEP_MS. */
  function schedule(now: number, next: number | undefined): void {
    if (timer) clearTimeout(timer);
    const wait = Math.max(MIN_TICK_MS, Math.min(SWEEP_MS, next === undefined ? SWEEP_MS : next - now));
    timerAt = now + wait;
    timer = setTimeout(tick, wait);
    timer.unref();
  }

  async function handle(deliveries: Delivery[]): Promise<HandlerFailure[]> {
    const now = Date.now();
    const debug = logger.isLevelEnabled("debug");
    for (const delivery of deliveries) {
      const { topic, partition, offset } = delivery.message;
      const name = partitionKey(delivery.message);
      if (offset <= (applied.get(name) ?? -1)) continue;
      applied.set(name, offset);
      if (!delivery.known) continue;
      const origin = { topic, partition, offset };
      const key = entityKey(delivery.event);
      if (key) points.record(key, origin);
      const fresh = !decidedBefore(replaying.get(name), offset);
      const decided = decisions.apply(delivery.event, now, { fresh, origin });
      if (debug) delivery.logger.debug({ key, topic, partition, offset, fresh, decided: decided.map((fact) => fact.event_type) }, "decided");
      if (decided.length > 0) send(decided, origin);
    }
    while (unacknowledged.size > MAX_UNACKNOWLEDGED && sending.size > 0) await Promise.race(sending);
    // Facts that failed once are tried again here too, so that a batch stalls (and says so) while they cannot be.
    if (outbox.length > 0 || flushing) {
      await flushing;
      await flush();
    }
    // A retry whose backoff ends before the timers' next run moves that run forward.
    const retry = decisions.soonestRetry;
    if (retry !== undefined && retry < timerAt && !closed) schedule(Date.now(), retry);
    return [];
  }

  function assigned(partitions: ReadonlyArray<TopicPartition & { offset: number; metadata: string | undefined }>): void {
    for (const { topic, partition, offset, metadata } of partitions) {
      const ownership = owned.get(partition) ?? { topics: new Set<string>() };
      ownership.topics.add(topic);
      ownership.partialSince = ownership.topics.size < INPUT_TOPICS.length ? (ownership.partialSince ?? Date.now()) : undefined;
      owned.set(partition, ownership);
      applied.delete(partitionKey({ topic, partition }));
      const mark = decodeProcessed(metadata);
      // Committed before the mark: the events between were decided on, and are read again for the state alone.
      if (mark !== undefined && offset >= 0 && offset <= mark.processed) replaying.set(partitionKey({ topic, partition }), mark);
    }
    if (replaying.size > 0) logger.info({ partitions: replaying.size }, "reading open tasks and workflow runs again to rebuild their state");
  }

  function revoked(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const name = partitionKey({ topic, partition });
      replaying.delete(name);
      applied.delete(name);
      points.forget(topic, partition);
      const ownership = owned.get(partition);
      if (!ownership) continue;
      ownership.topics.delete(topic);
      if (ownership.topics.size > 0) {
        // Still read on the other topics: the state is kept, so their events are still decided on.
        ownership.partialSince ??= Date.now();
        continue;
      }
      owned.delete(partition);
      decisions.forgetPartition(partition);
    }
  }

  function commitPoints(batch: readonly RawMessage[]) {
    const reached = new Map<string, RawMessage>();
    for (const message of batch) {
      // Revoked while the batch was handled: what was read of it is its next owner's account, not ours.
      if (!owned.get(message.partition)?.topics.has(message.topic)) continue;
      points.processedUpTo(message);
      reached.set(partitionKey(message), message);
    }
    for (const [name, message] of reached) {
      const mark = replaying.get(name);
      if (mark && message.offset >= mark.processed) replaying.delete(name);
    }
    const undecided = new Map<string, number[]>();
    for (const origin of decisions.undecided()) {
      const name = partitionKey(origin);
      undecided.set(name, [...(undecided.get(name) ?? []), origin.offset]);
    }
    // Partitions whose facts were acknowledged since their last commit can move on too.
    const committing = new Map<string, TopicPartition>(reached);
    for (const origin of unacknowledged.takeMoved()) if (!committing.has(partitionKey(origin))) committing.set(partitionKey(origin), origin);
    const commits = [...committing].flatMap(([name, { topic, partition }]) => {
      const from = unacknowledged.firstOpen(topic, partition);
      const point = points.point(topic, partition, (key) => decisions.needs(key) || unpublished.has(key), undecided.get(name) ?? [], from);
      return point ? [{ topic, partition, ...point }] : [];
    });
    if (logger.isLevelEnabled("debug")) logger.debug({ commits: commits.map((c) => `${c.topic}/${c.partition}@${c.offset} ${c.metadata}`) }, "commit points");
    return commits;
  }

  const agent: BatchAgent = {
    name: "orchestrator",
    group: "orchestrator",
    topics: INPUT_TOPICS,
    coPartitioned: true,
    maxBatch: 2_000,
    accepts: (message) => {
      const type = headerText(message, "event_type");
      return type === undefined || WANTED.has(type);
    },
    handle,
    replay: { assigned, revoked, commitPoints },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled(sending);
      await flushing;
    },
  };
  tick();
  return {
    agent,
    open: () => decisions.counts(),
    problem() {
      const now = Date.now();
      for (const [partition, { topics, partialSince }] of owned) {
        if (partialSince === undefined || now - partialSince < PARTIAL_OWNERSHIP_PROBLEM_MS) continue;
        const missing = INPUT_TOPICS.filter((topic) => !topics.has(topic));
        return `the orchestrator holds partition ${partition} of ${[...topics].join(", ")} but not of ${missing.join(", ")}: its input topics need equal partition counts`;
      }
      return undefined;
    },
  };
}
