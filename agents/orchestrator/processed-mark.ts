/**
 * The commit metadata the orchestrator writes per partition: "p1:<last offset decided on>", and, when some
 * events up to there are kept undecided (reports about tasks not known yet), ";u:<offset>,<offset>,…". Read
 * again, an event is fresh (its facts not published yet) when it is past the mark or listed.
 */
const PREFIX = "p1:";
const UNDECIDED = ";u:";
/** The broker keeps at most offset.metadata.max.bytes (4096 by default) of metadata per partition. */
const MAX_LENGTH = 3_500;

export interface ProcessedMark {
  /** The last offset decided on. */
  processed: number;
  /** Offsets up to `processed` that were read but not decided on. */
  undecided: ReadonlySet<number>;
}

export function encodeProcessed(processed: number, undecided: readonly number[] = []): string {
  const listed = undecided.filter((offset) => offset <= processed).sort((a, b) => a - b);
  if (listed.length === 0) return `${PREFIX}${processed}`;
  const text = `${PREFIX}${processed}${UNDECIDED}${listed.join(",")}`;
  // Too many to list: the mark moves back to before the first, and what was decided after it is published
  // again when read again, the same events with the same ids, which consumers deduplicate.
  return text.length <= MAX_LENGTH ? text : `${PREFIX}${listed[0]! - 1}`;
}

/** The mark, or undefined for metadata written by anything else. */
export function decodeProcessed(metadata: string | undefined): ProcessedMark | undefined {
  if (!metadata?.startsWith(PREFIX)) return undefined;
  const [mark, list] = metadata.slice(PREFIX.length).split(UNDECIDED);
  if (!/^(-1|\d+)$/.test(mark ?? "")) return undefined;
  const processed = Number(mark);
  if (!Number.isSafeInteger(processed)) return undefined;
  const undecided = new Set((list ?? "").split(",").filter(Boolean).map(Number).filter(Number.isSafeInteger));
  return { processed, undecided };
}

/** Whether an event at `offset` was decided on before, by the mark read at assignment. */
export function decidedBefore(mark: ProcessedMark | undefined, offset: number): boolean {
  return mark !== undefined && offset <= mark.processed && !mark.undecided.has(offset);
}
