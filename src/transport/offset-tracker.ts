/**
 * Per partition, which taken offsets are finished when they finish out of order, and what may be committed:
 * the lowest offset not finished yet (everything below it is done), with the finished offsets above it in
 * the commit's metadata, so that a member taking the partition over skips them instead of running them
 * again. This is how Confluent's Parallel Consumer commits; the encoding here is our own.
 *
 * Offsets arrive in increasing order per partition (Kafka's order) but need not be consecutive: compaction
 * and transaction markers leave gaps, so only offsets actually taken count.
 */
export class OffsetTracker {
  private readonly partitions = new Map<string, PartitionState>();

  /**
   * Starts a partition from its committed offset and the metadata committed with it: offsets it lists as
   * finished are skipped when they arrive again.
   */
  start(key: string, metadata: string | undefined, committed: number | undefined): void {
    this.partitions.set(key, new PartitionState(committed !== undefined && committed >= 0 ? decodeFinished(metadata, committed) : new Set()));
  }

  /** Whether a partition was started (its metadata read) and not forgotten since. */
  has(key: string): boolean {
    return this.partitions.has(key);
  }

  /** Records a taken offset; "skip" when it was finished before (by this member or the one before). */
  take(key: string, offset: number): "run" | "skip" {
    const state = this.state(key);
    state.order.push(offset);
    state.next = offset + 1;
    if (state.finishedBefore.delete(offset)) {
      state.finished.add(offset);
      state.advance();
      return "skip";
    }
    return "run";
  }

  finish(key: string, offset: number): void {
    const state = this.partitions.get(key);
    if (!state) return; // revoked meanwhile: the next owner decides
    state.finished.add(offset);
    state.advance();
  }

  /** The offsets taken and not finished, lowest first. */
  unfinished(key: string): number[] {
    const state = this.partitions.get(key);
    return state ? state.order.filter((offset) => !state.finished.has(offset)) : [];
  }

  /**
   * What to commit for a partition: the lowest unfinished offset (or the one after the last taken), and
   * the finished offsets above it as metadata. Undefined while nothing was taken.
   */
  commitPoint(key: string): { offset: number; metadata: string } | undefined {
    const state = this.partitions.get(key);
    if (!state || state.next === undefined) return undefined;
    const offset = state.order[0] ?? state.next;
    const above = [...state.finished].filter((o) => o >= offset).sort((a, b) => a - b);
    return { offset, metadata: encodeFinished(above, offset) };
  }

  forget(key: string): void {
    this.partitions.delete(key);
  }

  private state(key: string): PartitionState {
    let state = this.partitions.get(key);
    if (!state) {
      state = new PartitionState(new Set());
      this.partitions.set(key, state);
    }
    return state;
  }
}

class PartitionState {
  /** Taken offsets from the lowest unfinished one on, in order. */
  order: number[] = [];
  /** Finished offsets among `order`. */
  readonly finished = new Set<number>();
  /** The offset after the last one taken. */
  next: number | undefined;

  constructor(readonly finishedBefore: Set<number>) {}

  /** Drops the finished prefix: those offsets are below the commit point now. */
  advance(): void {
    let drop = 0;
    while (drop < this.order.length && this.finished.has(this.order[drop]!)) this.finished.delete(this.order[drop++]!);
    if (drop > 0) this.order = this.order.slice(drop);
  }
}

/** Metadata format version: "f1:" then ranges of offsets relative to the committed one, base 36. */
const PREFIX = "f1:";
/** Kafka refuses metadata over offset.metadata.max.bytes (4096 by default); what does not fit runs again. */
export const MAX_METADATA_CHARS = 4000;

/** "f1:2-4,9" for offsets base+2, base+3, base+4 and base+9; the empty list is "f1:". */
export function encodeFinished(offsets: readonly number[], base: number): string {
  let text = PREFIX;
  for (let i = 0; i < offsets.length; ) {
    let j = i;
    while (j + 1 < offsets.length && offsets[j + 1] === offsets[j]! + 1) j++;
    const from = (offsets[i]! - base).toString(36);
    const range = i === j ? from : `${from}-${(offsets[j]! - base).toString(36)}`;
    const next = `${text.length > PREFIX.length ? "," : ""}${range}`;
    if (text.length + next.length > MAX_METADATA_CHARS) break;
    text += next;
    i = j + 1;
  }
  return text;
}

/** The offsets `encodeFinished` wrote; metadata it did not write (another client's, or none) means none. */
export function decodeFinished(metadata: string | undefined, base: number): Set<number> {
  const offsets = new Set<number>();
  if (!metadata?.startsWith(PREFIX)) return offsets;
  for (const range of metadata.slice(PREFIX.length).split(",")) {
    if (range === "") continue;
    const [from, to = from] = range.split("-").map((part) => Number.parseInt(part, 36));
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to! < from! || to! - from! > 1_000_000) return new Set();
    for (let delta = from!; delta <= to!; delta++) offsets.add(base + delta);
  }
  return offsets;
}
