import type { RecordSink } from "./message-source.ts";
import type { RawMessage } from "./types.ts";

export const DLQ_SUFFIX = ".dlq";

/** Header names on a dead-lettered message; the original headers are kept after them. */
export const DeadLetterHeaders = {
  error: "x-dlq-error",
  reason: "x-dlq-reason",
  topic: "x-dlq-original-topic",
  partition: "x-dlq-original-partition",
  offset: "x-dlq-original-offset",
  group: "x-dlq-group",
  failedAt: "x-dlq-failed-at",
} as const;

export type DeadLetterReason = "unparseable" | "invalid" | "handler-failed";

/**
 * Republishes a message that cannot be handled to `<topic>.dlq`, unchanged, with why and where it came
 * from in its headers. Resolves when the broker has it, so the caller may then commit past it.
 */
export async function deadLetter(
  producer: RecordSink,
  message: RawMessage,
  group: string,
  reason: DeadLetterReason,
  error: unknown,
): Promise<void> {
  await producer.send({
    topic: message.topic + DLQ_SUFFIX,
    key: message.key,
    value: message.value,
    headers: [
      [DeadLetterHeaders.error, describe(error)],
      [DeadLetterHeaders.reason, reason],
      [DeadLetterHeaders.topic, message.topic],
      [DeadLetterHeaders.partition, String(message.partition)],
      [DeadLetterHeaders.offset, String(message.offset)],
      [DeadLetterHeaders.group, group],
      [DeadLetterHeaders.failedAt, new Date().toISOString()],
      ...message.headers,
    ],
  });
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}
