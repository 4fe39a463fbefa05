/**
 * A request's story as the audit log tells it: every event that shares its correlation id, each under the
 * event that caused it. Pure: the index reads the events, the command line and the trace page render the tree.
 */

/** One line of the story: an event, or a message a consumer dead-lettered. */
export interface TracedEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly source: string;
  /** ISO 8601, as the event says. */
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | undefined;
  /** Set when a consumer could not handle the message and sent it to a dead-letter topic. */
  readonly deadLetter?: DeadLetterNote;
  /** The event's JSON as the audit log holds it. */
  readonly json: string;
}

export interface DeadLetterNote {
  readonly reason: string;
  readonly error: string;
  /** The topic it was read from, and the group that gave up on it. */
  readonly topic: string;
  readonly group: string;
}

export interface TraceNode {
  readonly event: TracedEvent;
  /** Milliseconds since its cause happened; undefined for a root. */
  readonly gapMs: number | undefined;
  readonly children: TraceNode[];
}

/** Whether the line reports something going wrong: a `*.failed` event or a dead letter. */
export function isFailure(event: TracedEvent): boolean {
  return event.deadLetter !== undefined || event.eventType.endsWith(".failed");
}

/**
 * Arranges events under their causes, siblings in time order. An event whose cause is not among them (the
 * request itself, or a cause logged under another correlation) is a root. A cycle cannot come from real
 * causation, but a hand-edited or hostile log could hold one; its events become roots rather than vanish.
 */
export function causationTree(events: readonly TracedEvent[]): TraceNode[] {
  const ordered = [...events].sort(byTime);
  const byId = new Map<string, TracedEvent>();
  for (const event of ordered) if (!byId.has(event.eventId)) byId.set(event.eventId, event);
  const childrenOf = new Map<string, TracedEvent[]>();
  const roots: TracedEvent[] = [];
  for (const event of byId.values()) {
    const cause = event.causationId !== undefined && event.causationId !== event.eventId ? byId.get(event.causationId) : undefined;
    if (cause) childrenOf.set(cause.eventId, [...(childrenOf.get(cause.eventId) ?? []), event]);
    else roots.push(event);
  }
  const placed = new Set<string>();
  const build = (event: TracedEvent, cause: TracedEvent | undefined): TraceNode => {
    placed.add(event.eventId);
    const children = (childrenOf.get(event.eventId) ?? []).filter((child) => !placed.has(child.eventId));
    return {
      event,
      gapMs: cause ? millis(event) - millis(cause) : undefined,
      children: children.map((child) => build(child, event)),
    };
  };
  const tree = roots.map((root) => build(root, undefined));
  // Whatever a cycle kept out of reach of every root.
  for (const event of byId.values()) if (!placed.has(event.eventId)) tree.push(build(event, undefined));
  return tree;
}

/** The tree's events depth first, each with its depth: the order both the terminal and the page show them in. */
export function flatten(tree: readonly TraceNode[]): Array<{ node: TraceNode; depth: number }> {
  const out: Array<{ node: TraceNode; depth: number }> = [];
  const walk = (node: TraceNode, depth: number) => {
    out.push({ node, depth });
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of tree) walk(root, 0);
  return out;
}

export function millis(event: TracedEvent): number {
  return Date.parse(event.occurredAt);
}

function byTime(a: TracedEvent, b: TracedEvent): number {
  return millis(a) - millis(b) || a.eventId.localeCompare(b.eventId);
}
