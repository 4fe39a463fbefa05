import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { causationTree, flatten } from "../../src/trace/causation-tree.ts";
import { silentLogger } from "../../src/log.ts";
import { decodeBatch } from "../../src/transport/decoded-batch.ts";
import type { BatchAgent } from "../../src/transport/agent.ts";
import type { RawMessage } from "../../src/transport/types.ts";
import { verifyAuditDir } from "./index.ts";
import { auditAgent, cleanUp, clock, fileLines, taskCreated, tempDir } from "./testing.ts";
import { TraceIndex } from "./trace-index.ts";

afterAll(cleanUp);

const encode = (text: string) => new TextEncoder().encode(text);

function deadLetter(value: string | null, offset: number, group = "notification-email", reason = "invalid"): RawMessage {
  const headers: Array<[string, Uint8Array | null]> = [
    ["x-dlq-error", encode("ValidationError: data.title: must not be empty")],
    ["x-dlq-reason", encode(reason)],
    ["x-dlq-original-topic", encode("task-events")],
    ["x-dlq-original-partition", encode("2")],
    ["x-dlq-original-offset", encode("17")],
    ["x-dlq-group", encode(group)],
    ["x-dlq-failed-at", encode("2026-11-24T12:00:00.250Z")],
    ["correlation_id", encode("req-from-header")],
  ];
  return { topic: "task-events.dlq", partition: 0, offset, key: null, value: value === null ? null : encode(value), headers, timestamp: -1 };
}

/** Hands messages to the agent as its consume loop would: dead letters decoded, events parsed. */
async function handle(agent: BatchAgent, messages: RawMessage[]) {
  const { deliveries, invalid } = decodeBatch(messages, agent.decode!.bind(agent), { logger: silentLogger, signal: new AbortController().signal });
  expect(invalid).toEqual([]);
  return agent.handle(deliveries);
}

describe("dead letters in the audit log", () => {
  test("are logged as lines of their own, unparseable values kept as text, once each, and pass verify", async () => {
    const dir = tempDir();
    const agent = auditAgent(dir, clock("2026-11-24T12:00:01.000Z"));
    const messages = [deadLetter("{not json", 0), deadLetter(null, 1), deadLetter(String.fromCharCode(0xff), 2)];
    messages.push({ ...messages[2]!, value: new Uint8Array([0xff, 0xfe]) });
    expect(await handle(agent, messages.slice(0, 3))).toEqual([]);
    await handle(agent, messages);
    const lines = fileLines(join(dir, "audit-2026-11-24.jsonl")).map((line) => JSON.parse(line).event);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      event_type: "message.dead_lettered",
      occurred_at: "2026-11-24T12:00:00.250Z",
      data: { reason: "invalid", group: "notification-email", original_topic: "task-events", original_offset: 17, dlq_offset: 0, value: "{not json" },
      metadata: { correlation_id: "req-from-header", source: "notification-email" },
    });
    expect(lines[1].data.value).toBeNull();
    expect(new Set(lines.map((e) => e.event_id)).size).toBe(3);
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: true, lines: 3 });
  });

  test("show in the trace under the event they were, or under its cause when it was never a valid event", async () => {
    const dir = tempDir();
    const agent = auditAgent(dir, clock("2026-11-24T12:00:01.000Z"));
    const created = taskCreated("Review quarterly report");
    const { event } = created;
    const invalidChild = JSON.stringify({ ...event, event_id: "bad-1", data: { ...event.data, title: "" }, metadata: { ...event.metadata, causation_id: event.event_id } });
    await agent.handle([created]);
    await handle(agent, [deadLetter(created.message.value && new TextDecoder().decode(created.message.value), 0, "notification-slack", "handler-failed"), deadLetter(invalidChild, 1)]);
    await agent.close();

    const index = TraceIndex.open(dir);
    try {
      await index.catchUp();
      const story = index.story(event.metadata.correlation_id);
      expect(story).toHaveLength(3);
      const [root] = causationTree(story);
      expect(root!.event.eventId).toBe(event.event_id);
      const children = root!.children.map((child) => child.event);
      // Both failed at the same moment: their order is the tie-break's, by id.
      expect(children.map((e) => [e.eventType, e.deadLetter?.group, e.deadLetter?.reason]).sort()).toEqual([
        ["task.created", "notification-email", "invalid"],
        ["task.created", "notification-slack", "handler-failed"],
      ]);
      expect(flatten(causationTree(index.story("bad-1")))).toHaveLength(3);
    } finally {
      index.close();
    }
  });

  test("the index follows the log after each batch", async () => {
    const dir = tempDir();
    const agent = auditAgent(dir);
    const created = taskCreated("Review quarterly report");
    await agent.handle([created]);
    const index = TraceIndex.open(dir);
    try {
      const deadline = Date.now() + 5_000;
      while (index.story(created.event.event_id).length === 0 && Date.now() < deadline) await Bun.sleep(10);
      expect(index.story(created.event.event_id)).toHaveLength(1);
    } finally {
      index.close();
    }
  });
});
