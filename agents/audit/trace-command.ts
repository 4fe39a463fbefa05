import { existsSync, statSync } from "node:fs";
import { causationTree, isFailure, type TraceNode } from "../../src/trace/causation-tree.ts";
import { TraceIndex } from "./trace-index.ts";
import { traceText } from "./trace-text.ts";

export interface TraceCommandOptions {
  id: string;
  auditDir: string;
  json: boolean;
}

/** What to print and the exit status: main.ts prints and exits. */
export interface CommandOutcome {
  stdout?: string;
  stderr?: string;
  exitCode: 0 | 1 | 2;
}

/**
 * `agent-events trace ID`: the story ID names, as a tree. Catches the index up first, so events the audit
 * agent wrote a moment ago are in it even when the agent is not running or its index writes failed; when
 * the index is missing that is a full rebuild (bench/trace-index-results.md says how long one takes).
 */
export async function traceCommand({ id, auditDir, json }: TraceCommandOptions): Promise<CommandOutcome> {
  if (!existsSync(auditDir) || !statSync(auditDir).isDirectory()) {
    return { stderr: `cannot trace: ${auditDir} is not a directory (set --audit-dir or AUDIT_LOG_DIR to the audit role's log directory)`, exitCode: 2 };
  }
  let index: TraceIndex;
  try {
    index = TraceIndex.open(auditDir);
  } catch (error) {
    return { stderr: `cannot trace: ${(error as Error).message}`, exitCode: 2 };
  }
  try {
    await index.catchUp();
    const events = index.story(id);
    if (events.length === 0) return { stderr: `no events for ${id} in ${auditDir}: not a correlation, task, workflow or event id the audit log holds`, exitCode: 1 };
    const tree = causationTree(events);
    const failures = events.filter(isFailure).length;
    if (json) return { stdout: JSON.stringify({ id, events: events.length, failures, tree: tree.map(jsonNode) }, null, 2), exitCode: 0 };
    const header = `${id}: ${count(events.length, "event")}${failures > 0 ? `, ${count(failures, "failure")}` : ""}`;
    return { stdout: `${header}\n${traceText(tree)}`, exitCode: 0 };
  } catch (error) {
    return { stderr: `cannot trace: ${(error as Error).message}`, exitCode: 2 };
  } finally {
    index.close();
  }
}

/** A node for machines: the envelope's own field names, the event as logged, children nested. */
function jsonNode({ event, gapMs, children }: TraceNode): Record<string, unknown> {
  return {
    event_id: event.eventId,
    event_type: event.eventType,
    source: event.source,
    occurred_at: event.occurredAt,
    correlation_id: event.correlationId,
    causation_id: event.causationId ?? null,
    gap_ms: gapMs ?? null,
    failure: isFailure(event),
    ...(event.deadLetter ? { dead_letter: event.deadLetter } : {}),
    event: JSON.parse(event.json) as unknown,
    children: children.map(jsonNode),
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
