import { partitionKey } from "../../src/kafka/partition-list.ts";
import type { Origin } from "./decisions.ts";

/**
 * Per topic-partition, the offsets of events whose facts were handed to the producer and are not
 * acknowledged yet. The orchestrator does not wait for its facts' acknowledgements before deciding on the
 * next batch (waiting would add a broker round trip to every hop of every task); instead its commit, and the
 * processed mark a restart trusts, stay before the first event whose facts are not on the broker yet.
 */
export class Unacknowledged {
  /** Per topic-partition: offset → how many sends from it are open. Offsets arrive in order, so the first key is the lowest. */
  private readonly open = new Map<string, Map<number, number>>();
  /** Topic-partitions whose first open offset moved since they were last taken: their commit can move on. */
  private readonly moved = new Map<string, Origin>();
  private count = 0;

  /** Sends from events in flight. */
  get size(): number {
    return this.count;
  }

  add(origin: Origin): void {
    const name = partitionKey(origin);
    let offsets = this.open.get(name);
    if (!offsets) this.open.set(name, (offsets = new Map()));
    offsets.set(origin.offset, (offsets.get(origin.offset) ?? 0) + 1);
    this.count++;
  }

  acknowledged(origin: Origin): void {
    const name = partitionKey(origin);
    const offsets = this.open.get(name);
    const left = offsets?.get(origin.offset);
    if (!offsets || left === undefined) return;
    this.count--;
    if (left > 1) return void offsets.set(origin.offset, left - 1);
    offsets.delete(origin.offset);
    if (offsets.size === 0) this.open.delete(name);
    this.moved.set(name, { topic: origin.topic, partition: origin.partition, offset: origin.offset });
  }

  /** The first offset on a topic-partition whose facts are not acknowledged, if any. */
  firstOpen(topic: string, partition: number): number | undefined {
    const offsets = this.open.get(partitionKey({ topic, partition }));
    if (!offsets) return undefined;
    for (const offset of offsets.keys()) return offset;
    return undefined;
  }

  /** The topic-partitions acknowledged into since the last call, once each. */
  takeMoved(): Origin[] {
    const moved = [...this.moved.values()];
    this.moved.clear();
    return moved;
  }
}
