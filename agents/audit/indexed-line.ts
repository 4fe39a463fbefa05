import type { TracedEvent } from "../../src/trace/causation-tree.ts";
import { DEAD_LETTER_EVENT_TYPE, objectOr, originalOf, stringOr, type OriginalMessage } from "./dead-letter-entry.ts";

/** What the trace index keeps of one audit line. */
export interface IndexedLine {
  eventId: string;
  correlationId: string;
  /** Every id the line can be found by: its event id, correlation, task and workflow ids (a dead letter's original's too). */
  keys: string[];
  /** When it happened, normalised to ISO 8601 with Z (occurred_at as sent may carry an offset). */
  at: string;
  failure: boolean;
  /** A task.created's title, for the list of recent stories. */
  title?: string;
}

const EVENT_AT = ',"event":';

/**
 * Reads a line of the log for the index; undefined for a line that holds no event (a torn write, which the
 * chain covers and readers skip). A full JSON.parse, not a scan for fields: the log keeps events as they
 * came over the wire, so a field may sit anywhere and be escaped in any way JSON allows.
 */
export function indexedLine(line: string): IndexedLine | undefined {
  const record = recordOf(line);
  if (record === undefined) return undefined;
  const { event, loggedAt } = record;
  const eventId = event.event_id as string;
  const metadata = objectOr(event.metadata);
  const data = objectOr(event.data);
  const correlationId = stringOr(metadata.correlation_id) ?? eventId;
  const type = stringOr(event.event_type) ?? "";
  const keys = [eventId, correlationId];
  addKey(keys, data.task_id);
  addKey(keys, data.workflow_id);
  let failure = type.endsWith(".failed");
  if (type === DEAD_LETTER_EVENT_TYPE) {
    failure = true;
    const original = originalOf(stringOr(data.value) ?? null);
    addKey(keys, original.eventId);
    addKey(keys, original.taskId);
    addKey(keys, original.workflowId);
  }
  const at = isoOr(stringOr(event.occurred_at)) ?? loggedAt;
  const title = type === "task.created" ? stringOr(data.title) : undefined;
  return { eventId, correlationId, keys, at, failure, ...(title !== undefined ? { title } : {}) };
}

/** A traced event and, for a dead letter, the original it could not become, to place it in the tree. */
export interface StoryLine {
  traced: TracedEvent;
  keys: string[];
  original?: OriginalMessage;
}

/** The line as the trace shows it; undefined for a line that holds no event. */
export function storyLine(line: string): StoryLine | undefined {
  const event = recordOf(line)?.event;
  if (event === undefined) return undefined;
  const json = line.slice(line.indexOf(EVENT_AT) + EVENT_AT.length, line.lastIndexOf(',"prev":"'));
  const eventId = event.event_id as string;
  const metadata = objectOr(event.metadata);
  const data = objectOr(event.data);
  const correlationId = stringOr(metadata.correlation_id) ?? eventId;
  const keys = [eventId, correlationId];
  addKey(keys, data.task_id);
  addKey(keys, data.workflow_id);
  const base = {
    eventId,
    eventType: stringOr(event.event_type) ?? "(no type)",
    source: stringOr(metadata.source) ?? "(no source)",
    occurredAt: isoOr(stringOr(event.occurred_at)) ?? String(event.occurred_at),
    correlationId,
    causationId: stringOr(metadata.causation_id),
    json,
  };
  if (base.eventType !== DEAD_LETTER_EVENT_TYPE) return { traced: base, keys };
  const original = originalOf(stringOr(data.value) ?? null);
  addKey(keys, original.eventId);
  addKey(keys, original.taskId);
  addKey(keys, original.workflowId);
  const group = stringOr(data.group) ?? "unknown";
  const traced: TracedEvent = {
    ...base,
    // The dead letter stands for the message that failed: shown as that message, marked.
    eventType: original.eventType ?? "(unparseable message)",
    source: original.source ?? group,
    causationId: original.eventId ?? original.causationId ?? base.causationId,
    deadLetter: {
      reason: stringOr(data.reason) ?? "unknown",
      error: stringOr(data.error) ?? "",
      topic: stringOr(data.original_topic) ?? "",
      group,
    },
  };
  return { traced, keys, original };
}

function recordOf(line: string): { event: Record<string, unknown>; loggedAt: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const root = objectOr(value);
  const event = objectOr(root.event);
  if (typeof event.event_id !== "string" || event.event_id === "") return undefined;
  return { event, loggedAt: stringOr(root.logged_at) ?? "" };
}

function addKey(keys: string[], value: unknown): void {
  if (typeof value === "string" && value !== "" && !keys.includes(value)) keys.push(value);
}

function isoOr(value: string | undefined): string | undefined {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
