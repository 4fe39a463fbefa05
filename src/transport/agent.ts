import type { EventEnvelope } from "../events/index.ts";
import type { ReplayHooks } from "./subscriber.ts";
import type { BatchHandler, Delivery, RawMessage } from "./types.ts";

interface AgentBase {
  readonly name: string;
  readonly group: string;
  readonly topics: readonly string[];
  /**
   * Needs partition N of every topic it reads in one member (their keys put one entity's events there): the
   * group then uses the range assignor, which gives exactly that when the topics' partition counts are equal.
   */
  readonly coPartitioned?: boolean;
  /**
   * For a projection that may trail the agents deciding: the broker holds its fetches this long, or until
   * 256 KiB are ready, so it reads in larger batches and leaves the event loop to them meanwhile.
   */
  readonly fetchWaitMs?: number;
  /** Frees what the agent holds (stores, connections); called after its consumer has left the group. */
  close(): Promise<void>;
}

/**
 * What a role runs: a consumer group, the topics it reads and how it handles what comes. The process wiring
 * (src/process/start.ts) gives it a Kafka consumer, a consume loop, dead-lettering and metrics; an agent
 * itself sees only events and a Publisher.
 */
export type Agent = BatchAgent | ParallelAgent;

/** Handles batches one at a time, in order (the Subscriber). */
export interface BatchAgent extends AgentBase {
  readonly kind?: "batch";
  readonly handle: BatchHandler;
  /** Messages handed to `handle` at once (default 500): larger batches mean fewer commits and fsyncs. */
  readonly maxBatch?: number;
  /**
   * Commit after each event, confirmed before the next (see SubscriberOptions.commitEach): for agents whose
   * effects leave Kafka, so that another process taking over their partitions repeats at most one effect.
   */
  readonly commitEach?: boolean;
  /** Messages it does not want are committed unhandled; told from headers, without parsing. */
  accepts?(message: RawMessage): boolean;
  /**
   * Reads some messages as something other than an event: they reach `handle` as the envelope it returns,
   * and are never dead-lettered (the audit agent logs dead letters, which are rarely valid events).
   */
  decode?(message: RawMessage): EventEnvelope | undefined;
  /** For agents that rebuild their state by reading their input again after a restart or a takeover. */
  readonly replay?: ReplayHooks;
}

/** Handles up to `concurrency` messages at once, finishing in any order (the ParallelLoop). */
export interface ParallelAgent extends AgentBase {
  readonly kind: "parallel";
  readonly concurrency: number;
  /** Messages it does not want are finished unhandled; told from headers, without parsing. */
  accepts?(message: RawMessage): boolean;
  handleOne(delivery: Delivery): Promise<void>;
}
