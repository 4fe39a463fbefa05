import { flatten, isFailure, type TraceNode } from "../../src/trace/causation-tree.ts";

/*
 * The causation tree for a terminal, one event per line under its cause:
 *
 *   task.created  task-api  2026-11-24T15:46:51.829Z
 *   ├─ task.assigned  orchestrator  2026-11-24T15:46:51.840Z  +11ms
 *   │  └─ ✗ agent.task.failed  summarizer-vm-1  2026-11-24T15:46:51.952Z  +112ms
 *   └─ ✗ task.created  task-api  2026-11-24T15:46:52.001Z  +172ms  [dead-lettered by notification-email: invalid]
 *
 * Glyphs rather than plain indentation, so a long story can be followed down a column in a terminal or a
 * pasted ticket; `✗` on every failure, so a failure deep in the tree is found by eye or by grep.
 */

export function traceText(tree: readonly TraceNode[]): string {
  const lines: string[] = [];
  // Whether the ancestor at each depth has siblings still to come: it decides "│  " or "   " below it.
  const open: boolean[] = [];
  const rows = flatten(tree);
  rows.forEach(({ node, depth }, i) => {
    const last = isLastChild(rows, i, depth);
    open[depth] = !last;
    const indent = open.slice(1, depth).map((more) => (more ? "│  " : "   ")).join("");
    const branch = depth === 0 ? "" : `${indent}${last ? "└─ " : "├─ "}`;
    lines.push(`${branch}${describe(node)}`);
  });
  return lines.join("\n");
}

/** Whether no sibling follows: the parent's subtree ends before another node of this depth comes. */
function isLastChild(rows: ReturnType<typeof flatten>, i: number, depth: number): boolean {
  for (let j = i + 1; j < rows.length; j++) {
    if (rows[j]!.depth < depth) return true;
    if (rows[j]!.depth === depth) return false;
  }
  return true;
}

function describe({ event, gapMs }: TraceNode): string {
  const parts = [`${isFailure(event) ? "✗ " : ""}${event.eventType}`, event.source, event.occurredAt];
  if (gapMs !== undefined) parts.push(`+${gapMs}ms`);
  if (event.deadLetter) parts.push(`[dead-lettered by ${event.deadLetter.group}: ${event.deadLetter.reason}]`);
  return parts.join("  ");
}
