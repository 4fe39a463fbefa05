import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../src/config.ts";
import { createEvent, parseEvent, serializeEvent, type EventEnvelope } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import { MemoryPublisher } from "../../src/transport/memory-publisher.ts";
import type { RetryOptions } from "../../src/transport/middleware/retry.ts";
import type { Delivery } from "../../src/transport/types.ts";
import { createEmailAgent } from "./index.ts";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export function emailSettings(overrides: Partial<Config["email"]> = {}): Config["email"] {
  return { domain: "example.com", from: "tasks@example.com", smtp: undefined, outboxDir: join(tempDir("outbox"), "email"), ...overrides };
}

export function smtpOn(port: number): Config["email"]["smtp"] {
  return { host: "127.0.0.1", port, secure: false };
}

/** An agent over a fresh (or the given) data dir; retries wait for nothing and are counted. */
export function startAgent(email: Config["email"], options: { dataDir?: string; maxRetries?: number } = {}) {
  const publisher = new MemoryPublisher();
  const dataDir = options.dataDir ?? tempDir("email-data");
  const waits: number[] = [];
  const retry: RetryOptions = {
    maxRetries: options.maxRetries ?? 3,
    initialDelayMs: 1,
    sleep: async (ms) => void waits.push(ms),
  };
  const agent = createEmailAgent({ email, dataDir, publisher, retry, logger: silentLogger });
  return { agent, publisher, dataDir, waits };
}

export function taskCreated(data: { task_id?: string; title?: string; owner_id?: string; priority?: number } = {}, correlationId = "req-abc-123") {
  return createEvent(
    "task.created",
    { task_id: "task-123", title: "Review quarterly report", owner_id: "user-456", priority: 2, ...data },
    { correlation_id: correlationId, causation_id: "api-create-task-123", source: "task-api" },
  );
}

/** The event as the consume loop hands it over: serialized, read back and parsed. */
export function deliveryOf(event: EventEnvelope, offset = 0): Delivery {
  const value = serializeEvent(event);
  const parsed = parseEvent(value);
  if (!parsed.ok) throw parsed.error;
  const message = { topic: "task-events", partition: 0, offset, key: null, value, headers: [], timestamp: Date.now() };
  return { known: parsed.known, event: parsed.event, message, logger: silentLogger, signal: new AbortController().signal } as Delivery;
}
