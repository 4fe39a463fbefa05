import type { BatchHandler } from "./types.ts";

/**
 * What a role runs: a consumer group, the topics it reads and how it handles a batch. The role wiring
 * (src/roles.ts) gives it a Kafka consumer, the consume loop, dead-lettering and metrics; an agent itself
 * sees only events and a Publisher.
 */
export interface Agent {
  readonly name: string;
  readonly group: string;
  readonly topics: readonly string[];
  readonly handle: BatchHandler;
  /** Messages handed to `handle` at once (default 500): larger batches mean fewer commits and fsyncs. */
  readonly maxBatch?: number;
  /**
   * Commit after each event, confirmed before the next (see SubscriberOptions.commitEach): for agents whose
   * effects leave Kafka, so that another process taking over their partitions repeats at most one effect.
   */
  readonly commitEach?: boolean;
  /** Frees what the agent holds (stores, connections); called after its consumer has left the group. */
  close(): Promise<void>;
}
