import { partitionKey } from "../../src/kafka/partition-list.ts";
import type { Origin } from "./decisions.ts";
import { encodeProcessed } from "./processed-mark.ts";

/**
 * Per partition of each input topic, what to commit so that a restart (or the member taking the partition
 * over) can rebuild the orchestrator's state: the offset of the first event of any entity still open, so
 * that reading again from there sees all of each, and, as the commit's metadata, the last offset read (with
 * the ones kept undecided), so that reading again up to it publishes nothing twice.
 */
export class ReplayPoints {
  /**
   * Per topic-partition, each entity's first offset in it, in the order read (so by offset): the first entry
   * still needed is the commit point, and entries before it are dropped as it moves on.
   */
  private readonly firsts = new Map<string, { partition: number; entities: Map<string, number> }>();
  /** Per topic-partition: the last offset read. */
  private readonly processed = new Map<string, number>();

  record(key: string, origin: Origin): void {
    const name = partitionKey(origin);
    let firsts = this.firsts.get(name);
    if (!firsts) this.firsts.set(name, (firsts = { partition: origin.partition, entities: new Map() }));
    if (!firsts.entities.has(key)) firsts.entities.set(key, origin.offset);
  }

  processedUpTo(origin: Origin): void {
    const name = partitionKey(origin);
    if ((this.processed.get(name) ?? -1) < origin.offset) this.processed.set(name, origin.offset);
  }

  /**
   * What to commit for a topic's partition, keeping the entities `needs` says are still open, and naming the
   * `undecided` offsets, and never past `unacknowledgedFrom`, the first event whose facts are not on the
   * broker yet (read again, it must count as fresh); undefined before anything was read.
   */
  point(
    topic: string,
    partition: number,
    needs: (key: string) => boolean,
    undecided: readonly number[],
    unacknowledgedFrom?: number,
  ): { offset: number; metadata: string } | undefined {
    const name = partitionKey({ topic, partition });
    const read = this.processed.get(name);
    if (read === undefined) return undefined;
    const processed = unacknowledgedFrom === undefined ? read : Math.min(read, unacknowledgedFrom - 1);
    let offset = processed + 1;
    const entities = this.firsts.get(name)?.entities;
    if (entities) {
      for (const [key, first] of entities) {
        if (needs(key)) {
          offset = Math.min(offset, first);
          break;
        }
        entities.delete(key);
      }
    }
    return { offset, metadata: encodeProcessed(processed, undecided) };
  }

  /** The entity keys read on a partition number, on any topic. */
  keysOf(partition: number): Set<string> {
    const keys = new Set<string>();
    for (const firsts of this.firsts.values()) if (firsts.partition === partition) for (const key of firsts.entities.keys()) keys.add(key);
    return keys;
  }

  /** Forgets what was read of one topic-partition. */
  forget(topic: string, partition: number): void {
    this.firsts.delete(partitionKey({ topic, partition }));
    this.processed.delete(partitionKey({ topic, partition }));
  }
}
