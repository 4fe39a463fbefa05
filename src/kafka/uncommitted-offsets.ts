/** A partition whose latest requested offset the broker has not confirmed. */
export interface UncommittedOffset {
  topic: string;
  partition: number;
  /** The offset asked for: the next one to read after the work done. */
  requested: number;
  /** The last offset the broker confirmed in this process, if any. */
  committed: number | undefined;
}

/** The requested offsets (by partition key) that the confirmed ones do not reach. */
export function uncommittedOffsets(
  requested: ReadonlyMap<string, { topic: string; partition: number; offset: number }>,
  confirmed: ReadonlyMap<string, number>,
): UncommittedOffset[] {
  const result: UncommittedOffset[] = [];
  for (const [key, { topic, partition, offset }] of requested) {
    const committed = confirmed.get(key);
    if (committed === undefined || committed < offset) result.push({ topic, partition, requested: offset, committed });
  }
  return result;
}
