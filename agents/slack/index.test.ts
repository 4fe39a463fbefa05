import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { createEvent } from "../../src/events/index.ts";
import { UUID_PATTERN } from "../../src/events/identifiers.ts";
import { clockPast } from "../notification/testing.ts";
import { derivedId } from "../../src/transport/derived-id.ts";
import type { Delivery } from "../../src/transport/types.ts";
import { appendToOutbox, type OutboxFiles } from "./outbox.ts";
import { closeAll, deliveryOf, makeAgent, slackStandIn, taskCreated } from "./slack-stand-in.ts";

afterEach(closeAll);

describe("slack agent", () => {
  test("subscribes to task-events as its own consumer group", () => {
    const { agent } = makeAgent();
    expect({ name: agent.name, group: agent.group, topics: agent.topics }).toEqual({
      name: "slack",
      group: "notification-slack",
      topics: ["task-events"],
    });
  });

  test("posts the task as JSON with Slack's escaping, so <!channel> in a title is not a mention", async () => {
    const slack = slackStandIn();
    const { agent } = makeAgent({ webhookUrl: slack.url });
    const failures = await agent.handle([deliveryOf(taskCreated({ title: "Deploy <!channel> & <@U123>" }))]);
    expect(failures).toEqual([]);
    expect(slack.requests).toHaveLength(1);
    const [request] = slack.requests;
    expect(request!.contentType).toStartWith("application/json");
    const text = String(request!.body.text);
    expect(text).toContain("Deploy &lt;!channel&gt; &amp; &lt;@U123&gt;");
    expect(text).not.toContain("<!channel>");
    for (const field of ["priority 2", "user-456", "task-123", "req-abc-123"]) expect(text).toContain(field);
  });

  test("publishes notification.sent caused by the task.created, on the same correlation", async () => {
    const slack = slackStandIn();
    const { agent, publisher } = makeAgent({ webhookUrl: slack.url });
    const parent = taskCreated();
    await agent.handle([deliveryOf(parent)]);
    expect(publisher.published).toHaveLength(1);
    const sent = publisher.published[0]!;
    expect(sent.event_type).toBe("notification.sent");
    expect(sent.event_id).toMatch(UUID_PATTERN);
    expect(sent.event_id).toBe(derivedId(parent.event_id, "notification.sent", "slack"));
    expect(sent.metadata).toEqual({ correlation_id: "req-abc-123", causation_id: parent.event_id, source: "slack-agent" });
    expect(sent.data).toEqual({
      notification_id: derivedId(parent.event_id, "slack"),
      channel: "slack",
      task_id: "task-123",
      recipient: "webhook",
    });
  });

  test("does not post a redelivered event again, but publishes the same notification.sent again", async () => {
    const slack = slackStandIn();
    const { agent, publisher } = makeAgent({ webhookUrl: slack.url });
    const delivery = deliveryOf(taskCreated());
    await agent.handle([delivery]);
    // The redelivery comes at a later millisecond, so a fresh occurred_at would differ.
    await clockPast(publisher.published[0]!.occurred_at);
    expect(await agent.handle([delivery])).toEqual([]);
    expect(slack.posted()).toHaveLength(1);
    expect(publisher.published).toHaveLength(2);
    expect(publisher.published[1]).toEqual(publisher.published[0]!);
  });

  test("a new agent on the same data dir still skips an event posted before the restart", async () => {
    const slack = slackStandIn();
    const first = makeAgent({ webhookUrl: slack.url });
    const parent = taskCreated();
    await first.agent.handle([deliveryOf(parent)]);
    await first.agent.close();
    const second = makeAgent({ webhookUrl: slack.url, dataDir: first.dataDir });
    expect(await second.agent.handle([deliveryOf(parent)])).toEqual([]);
    expect(slack.posted()).toHaveLength(1);
    expect(second.publisher.published.map((e) => e.event_id)).toEqual([first.publisher.published[0]!.event_id]);
  });

  test("when publishing fails the handler fails, and the retry publishes without posting again", async () => {
    const slack = slackStandIn();
    const { agent, publisher } = makeAgent({ webhookUrl: slack.url });
    const delivery = deliveryOf(taskCreated());
    publisher.failWith = new Error("broker unavailable");
    const failures = await agent.handle([delivery]);
    expect(failures.map((f) => (f.error as Error).message)).toEqual(["broker unavailable"]);
    publisher.failWith = undefined;
    expect(await agent.handle([delivery])).toEqual([]);
    expect(slack.posted()).toHaveLength(1);
    expect(publisher.published).toHaveLength(1);
  });

  test("ignores other event types and events it does not know", async () => {
    const slack = slackStandIn();
    const { agent, publisher } = makeAgent({ webhookUrl: slack.url });
    const assigned = createEvent(
      "task.assigned",
      { task_id: "task-123", agent_type: "summarizer", attempt: 1, input: { text: "Review quarterly report" } },
      { correlation_id: "req-abc-123", causation_id: "x", source: "orchestrator" },
    );
    const unknown = { ...deliveryOf(taskCreated()), known: false, event: { ...assigned, event_type: "task.archived" } };
    expect(await agent.handle([deliveryOf(assigned), unknown as Delivery])).toEqual([]);
    expect(slack.requests).toHaveLength(0);
    expect(publisher.published).toHaveLength(0);
  });
});

describe("slack agent without a webhook URL", () => {
  test("appends one JSON line per event to the 0640 outbox file, none on redelivery", async () => {
    const { agent, publisher, outboxFile } = makeAgent();
    const first = taskCreated({ title: "Hi <!here>" });
    const second = taskCreated({ task_id: "task-124" });
    await agent.handle([deliveryOf(first), deliveryOf(second)]);
    await agent.handle([deliveryOf(first)]);

    const lines = readFileSync(outboxFile, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((l) => l.event_id)).toEqual([first.event_id, second.event_id]);
    expect(lines[0]).toMatchObject({ correlation_id: "req-abc-123", payload: { text: expect.stringContaining("Hi &lt;!here&gt;") } });
    expect(Date.parse(lines[0].posted_at)).not.toBeNaN();
    expect(statSync(outboxFile).mode & 0o777).toBe(0o640);
    expect(publisher.published.map((e) => e.data)).toContainEqual({
      notification_id: expect.any(String),
      channel: "slack",
      task_id: "task-124",
      recipient: "outbox",
    });
    expect(publisher.published).toHaveLength(3);
  });
});

describe("the slack outbox file", () => {
  test("gets the JSON line written, then fsynced, before the append resolves, and the file closed", async () => {
    const steps: string[] = [];
    const written: string[] = [];
    const files: OutboxFiles = {
      mkdir: async (path, options) => void steps.push(`mkdir ${path} ${options.mode.toString(8)}`),
      open: async (path, flags, mode) => {
        steps.push(`open ${path} ${flags} ${mode.toString(8)}`);
        return {
          write: async (data) => {
            steps.push("write");
            written.push(data);
          },
          // The disk answers a turn of the event loop later: after every continuation that does not wait for it.
          sync: () => {
            steps.push("sync");
            return new Promise<void>((synced) =>
              setImmediate(() => {
                steps.push("synced");
                synced();
              }),
            );
          },
          close: async () => void steps.push("close"),
        };
      },
    };
    const event = taskCreated();
    await appendToOutbox("/data/outbox/slack.jsonl", event, { text: "New task" }, files);
    steps.push("resolved");

    expect(steps).toEqual([
      "mkdir /data/outbox 750",
      "open /data/outbox/slack.jsonl a 640",
      "write",
      "sync",
      "synced",
      "close",
      "resolved",
    ]);
    expect(written).toHaveLength(1);
    expect(written[0]).toEndWith("}\n");
    expect(JSON.parse(written[0]!)).toEqual({
      posted_at: expect.any(String),
      event_id: event.event_id,
      correlation_id: "req-abc-123",
      payload: { text: "New task" },
    });
  });
});
