import type { EventEnvelope } from "../../src/events/index.ts";
import { headerText } from "../../src/kafka/message-decoder.ts";
import { DeadLetterHeaders, DLQ_SUFFIX } from "../../src/transport/dead-letter.ts";
import { derivedId } from "../../src/transport/derived-id.ts";
import type { RawMessage } from "../../src/transport/types.ts";

/*
 * A dead letter as an audit line. The message on `<topic>.dlq` is what a consumer could not handle: often not
 * an event at all, or one that repeats an event_id the log already holds (a valid event whose handler gave
 * up). So the audit agent does not log the message itself but a fact about it, shaped as an envelope so that
 * every line of the log reads alike (event_id, event_type, occurred_at, data, metadata):
 *
 *   {"event_id":<derived from dlq topic/partition/offset>,"event_type":"message.dead_lettered",
 *    "occurred_at":<x-dlq-failed-at>,"data":{"reason":…,"error":…,"group":…,"original_topic":…,
 *    "original_partition":…,"original_offset":…,"dlq_topic":…,"dlq_partition":…,"dlq_offset":…,
 *    "value":<the message's bytes as a string>},"metadata":{"correlation_id":…,"causation_id":…,"source":<group>}}
 *
 * The id is derived from where the dead letter sits in Kafka, so a redelivered dead letter is deduplicated
 * like any event, and two groups giving up on the same message make two lines. The value is kept as a string,
 * byte for byte when it is UTF-8 (base64 with `value_encoding` otherwise), never re-serialized: what failed to
 * parse is exactly what an investigation needs to see.
 */

export const DEAD_LETTER_EVENT_TYPE = "message.dead_lettered";

/** The dead-letter topics of `topics`: what the audit agent reads besides the topics themselves. */
export function deadLetterTopics(topics: readonly string[]): string[] {
  return topics.map((topic) => topic + DLQ_SUFFIX);
}

export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The envelope the audit log holds for a dead-lettered message (see above); its JSON has no line break. */
export function deadLetterEntry(message: RawMessage): EventEnvelope {
  const header = (name: string) => headerText(message, name);
  const eventId = derivedId("dead-letter", message.topic, String(message.partition), String(message.offset));
  const { text, encoding } = valueText(message.value);
  const original = originalOf(text);
  const group = header(DeadLetterHeaders.group) ?? "unknown";
  const failedAt = isoTime(header(DeadLetterHeaders.failedAt)) ?? isoTime(message.timestamp) ?? new Date().toISOString();
  const event = {
    event_id: eventId,
    event_type: DEAD_LETTER_EVENT_TYPE,
    occurred_at: failedAt,
    data: {
      reason: header(DeadLetterHeaders.reason) ?? "unknown",
      error: header(DeadLetterHeaders.error) ?? "",
      group,
      original_topic: header(DeadLetterHeaders.topic) ?? message.topic.slice(0, -DLQ_SUFFIX.length),
      original_partition: numberOrNull(header(DeadLetterHeaders.partition)),
      original_offset: numberOrNull(header(DeadLetterHeaders.offset)),
      dlq_topic: message.topic,
      dlq_partition: message.partition,
      dlq_offset: message.offset,
      ...(encoding ? { value_encoding: encoding } : {}),
      value: text,
    },
    metadata: {
      // The original's own tracing when it has any, so the dead letter joins the story it belongs to; one
      // with none at all is a story of its own.
      correlation_id: original.correlationId ?? header("correlation_id") ?? eventId,
      causation_id: original.eventId ?? header("causation_id") ?? eventId,
      source: group,
    },
  };
  return event;
}

/** What a dead letter's value says of the event it was meant to be, as far as it can be read. */
export interface OriginalMessage {
  eventId?: string;
  eventType?: string;
  source?: string;
  correlationId?: string;
  causationId?: string;
  taskId?: string;
  workflowId?: string;
}

/** Reads the tracing fields out of a dead letter's value; nothing when it is not a JSON object. */
export function originalOf(value: string | null): OriginalMessage {
  if (value === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return {};
  }
  const root = objectOr(parsed);
  const metadata = objectOr(root.metadata);
  const data = objectOr(root.data);
  return {
    eventId: stringOr(root.event_id),
    eventType: stringOr(root.event_type),
    source: stringOr(metadata.source),
    correlationId: stringOr(metadata.correlation_id),
    causationId: stringOr(metadata.causation_id),
    taskId: stringOr(data.task_id),
    workflowId: stringOr(data.workflow_id),
  };
}

function valueText(value: Uint8Array | null): { text: string | null; encoding?: "base64" } {
  if (value === null) return { text: null };
  try {
    return { text: utf8.decode(value) };
  } catch {
    return { text: Buffer.from(value).toString("base64"), encoding: "base64" };
  }
}

function isoTime(value: string | number | undefined): string | undefined {
  if (value === undefined || value === -1) return undefined;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

function numberOrNull(value: string | undefined): number | null {
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isInteger(n) ? n : null;
}

/** The value when it is a JSON object, else an empty one: for reading fields of what may be anything. */
export function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The value when it is a non-empty string. */
export function stringOr(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
