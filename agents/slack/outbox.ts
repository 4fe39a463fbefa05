import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { EventEnvelope } from "../../src/events/index.ts";
import type { SlackMessage } from "./message.ts";

/** The file operations the outbox uses; node:fs/promises' by default, others in tests to watch the order. */
export interface OutboxFiles {
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<unknown>;
  open(path: string, flags: "a", mode: number): Promise<OutboxFileHandle>;
}

export interface OutboxFileHandle {
  write(data: string): Promise<unknown>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const nodeFiles: OutboxFiles = { mkdir, open };

/**
 * Development stand-in for the webhook: one JSON line per message, appended and fsynced before this resolves,
 * so the line is on disk before the offset commit. Mode 0640: messages name people and tasks.
 */
export async function appendToOutbox(
  file: string,
  event: EventEnvelope,
  payload: SlackMessage,
  files: OutboxFiles = nodeFiles,
): Promise<void> {
  await files.mkdir(dirname(file), { recursive: true, mode: 0o750 });
  const line = {
    posted_at: new Date().toISOString(),
    event_id: event.event_id,
    correlation_id: event.metadata.correlation_id,
    payload,
  };
  const handle = await files.open(file, "a", 0o640);
  try {
    await handle.write(`${JSON.stringify(line)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
