import type { BatchHandler, Delivery, RawMessage } from "./types.ts";

interface AgentBase {
  readonly name: string;
  readonly group: string;
  readonly topics: readonly string[];
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
}

/** Handles up to `concurrency` messages at once, finishing in any order (the ParallelLoop). */
export interface ParallelAgent extends AgentBase {
  readonly kind: "parallel";
  readonly concurrency: number;
  /** Messages it does not want are finished unhandled; told from headers, without parsing. */
  accepts?(message: RawMessage): boolean;
  handleOne(delivery: Delivery): Promise<void>;
}
