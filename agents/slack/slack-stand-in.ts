// Test support: a real HTTP server playing Slack's incoming-webhook endpoint, and an agent wired to it.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, serializeEvent, TASK_EVENTS, type DomainEvent } from "../../src/events/index.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { serve } from "../../src/runtime/http-server.ts";
import type { Agent } from "../../src/transport/agent.ts";
import { MemoryPublisher } from "../../src/transport/memory-publisher.ts";
import type { Delivery } from "../../src/transport/types.ts";
import { createSlackAgent } from "./index.ts";

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  contentType: string | null;
  body: { text?: unknown };
  answered: number;
}

const opened: Array<{ close(): Promise<void> | void }> = [];

/** Stops every stand-in server and closes every agent made since the last call; for afterEach. */
export async function closeAll(): Promise<void> {
  for (const thing of opened.splice(0).reverse()) await thing.close();
}

/** Answers each request with the next scripted reply; the last one repeats. Records what arrived. */
export function slackStandIn(script: Reply[] = [{ status: 200, body: "ok" }]) {
  const requests: ReceivedRequest[] = [];
  const server = serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const reply = script[Math.min(requests.length, script.length - 1)]!;
      requests.push({ contentType: request.headers.get("content-type"), body: (await request.json()) as ReceivedRequest["body"], answered: reply.status });
      return new Response(reply.body ?? "", { status: reply.status, headers: reply.headers });
    },
  });
  opened.push({ close: () => server.stop(true) });
  return {
    // The path stands for the secret part of a real webhook URL.
    url: `http://127.0.0.1:${server.port}/services/T0000/B0000/s3cr3tT0k3n`,
    requests,
    /** Requests Slack accepted, i.e. messages that appeared in the channel. */
    posted: () => requests.filter((r) => r.answered >= 200 && r.answered < 300),
  };
}

export function makeAgent(options: { webhookUrl?: string; dataDir?: string; maxRetries?: number; logger?: Logger } = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "slack-agent-"));
  const publisher = new MemoryPublisher();
  const waits: number[] = [];
  const outboxFile = join(dataDir, "outbox", "slack.jsonl");
  const agent: Agent = createSlackAgent({
    slack: { webhookUrl: options.webhookUrl, outboxFile },
    dataDir,
    publisher,
    retry: { maxRetries: options.maxRetries ?? 0, initialDelayMs: 100 },
    logger: options.logger ?? silentLogger,
    sleep: async (ms) => void waits.push(ms),
  });
  opened.push(agent);
  return { agent, publisher, waits, dataDir, outboxFile };
}

export function taskCreated(data: { task_id?: string; title?: string } = {}): DomainEvent<"task.created"> {
  return createEvent(
    "task.created",
    { task_id: data.task_id ?? "task-123", title: data.title ?? "Review quarterly report", owner_id: "user-456", priority: 2 },
    { correlation_id: "req-abc-123", causation_id: "api-create-task-123", source: "task-api" },
  );
}

/** A delivery as the consume loop builds it from a Kafka message. */
export function deliveryOf(event: DomainEvent, logger: Logger = silentLogger): Delivery {
  const message = {
    topic: TASK_EVENTS,
    partition: 0,
    offset: 0,
    key: null,
    value: serializeEvent(event),
    headers: [],
    timestamp: Date.now(),
  };
  return { known: true, event, message, logger, signal: new AbortController().signal };
}
