import { partitionKey } from "../kafka/partition-list.ts";
import type { UncommittedOffset } from "./message-source.ts";
import type { RawMessage } from "./types.ts";

/**
 * The uncommitted offsets of a stop, with the messages that were in hand when it gave up on them added per
 * partition: their work may be half done, and they will be delivered again.
 */
export function withAbandoned(uncommitted: readonly UncommittedOffset[], abandoned: readonly RawMessage[]): UncommittedOffset[] {
  const byPartition = new Map(uncommitted.map((u) => [partitionKey(u), { ...u }]));
  for (const message of abandoned) {
    const entry = byPartition.get(partitionKey(message));
    if (entry) entry.requested = Math.max(entry.requested, message.offset + 1);
    else byPartition.set(partitionKey(message), { topic: message.topic, partition: message.partition, requested: message.offset + 1, committed: undefined });
  }
  return [...byPartition.values()];
}
