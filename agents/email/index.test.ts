import { afterEach, describe, expect, test } from "bun:test";
import { createEvent } from "../../src/events/index.ts";
import { derivedId } from "../../src/transport/derived-id.ts";
import { PermanentError } from "../../src/transport/types.ts";
import { bodyText, decodeWords, headerValues, startTestSmtpServer } from "./test-smtp-server.ts";
import { clockPast } from "../notification/testing.ts";
import { deliveryOf, emailSettings, smtpOn, startAgent, taskCreated } from "./test-support.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function smtpAgent(options: { dataDir?: string } = {}) {
  const server = await startTestSmtpServer();
  cleanups.push(() => server.close());
  const started = startAgent(emailSettings({ smtp: smtpOn(server.port) }), options);
  cleanups.push(() => started.agent.close());
  return { server, ...started };
}

describe("email agent", () => {
  test("subscribes to task-events as group notification-email", async () => {
    const { agent } = await smtpAgent();
    expect(agent).toMatchObject({ name: "email", group: "notification-email", topics: ["task-events"] });
  });

  test("emails the task owner with the subject, the task in the body and a Message-ID from the event", async () => {
    const { agent, server } = await smtpAgent();
    const event = taskCreated();

    expect(await agent.handle([deliveryOf(event)])).toEqual([]);

    expect(server.received).toHaveLength(1);
    const [mail] = server.received;
    expect(mail!.from).toBe("tasks@example.com");
    expect(mail!.to).toEqual(["user-456@example.com"]);
    expect(headerValues(mail!.raw, "To")).toEqual(["user-456@example.com"]);
    expect(headerValues(mail!.raw, "Subject")).toEqual(["New task: Review quarterly report"]);
    expect(headerValues(mail!.raw, "Message-ID")).toEqual([`<${event.event_id}@agent-events>`]);
    expect(headerValues(mail!.raw, "X-Correlation-ID")).toEqual(["req-abc-123"]);
    expect(headerValues(mail!.raw, "X-Event-ID")).toEqual([event.event_id]);
    expect(headerValues(mail!.raw, "Content-Type")[0]).toMatch(/^text\/plain; charset=utf-8$/i);
    const body = bodyText(mail!.raw);
    for (const line of ["task-123", "Review quarterly report", "Priority:       2", "req-abc-123"]) {
      expect(body).toContain(line);
    }
  });

  test("publishes notification.sent caused by the task event, with an event_id derived from it", async () => {
    const { agent, publisher } = await smtpAgent();
    const event = taskCreated();

    await agent.handle([deliveryOf(event)]);

    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({
      event_id: derivedId(event.event_id, "notification.sent", "email"),
      event_type: "notification.sent",
      data: { channel: "email", task_id: "task-123", recipient: "user-456@example.com" },
      metadata: { correlation_id: "req-abc-123", causation_id: event.event_id, source: "email-agent" },
    });
  });

  test("a redelivered event sends no second email but publishes the same notification.sent again", async () => {
    const { agent, server, publisher } = await smtpAgent();
    const event = taskCreated();

    await agent.handle([deliveryOf(event, 7)]);
    // The redelivery comes at a later millisecond, so a fresh occurred_at would differ.
    await clockPast(publisher.published[0]!.occurred_at);
    expect(await agent.handle([deliveryOf(event, 7)])).toEqual([]);

    expect(server.received).toHaveLength(1);
    expect(publisher.published).toHaveLength(2);
    expect(publisher.published[1]).toEqual(publisher.published[0]!);
  });

  test("after a restart over the same data dir, an event already emailed is not emailed again", async () => {
    const first = await smtpAgent();
    const event = taskCreated();
    await first.agent.handle([deliveryOf(event)]);
    await first.agent.close();

    const second = startAgent(emailSettings({ smtp: smtpOn(first.server.port) }), { dataDir: first.dataDir });
    cleanups.push(() => second.agent.close());
    expect(await second.agent.handle([deliveryOf(event)])).toEqual([]);

    expect(first.server.received).toHaveLength(1);
    expect(second.publisher.published).toEqual(first.publisher.published);
  });

  test("when publishing fails after the send, the redelivery publishes without emailing again", async () => {
    const { agent, server, publisher } = await smtpAgent();
    const event = taskCreated();
    publisher.failWith = new Error("broker unavailable");

    const failures = await agent.handle([deliveryOf(event)]);
    expect(failures.map((f) => (f.error as Error).message)).toEqual(["broker unavailable"]);

    publisher.failWith = undefined;
    expect(await agent.handle([deliveryOf(event)])).toEqual([]);
    expect(server.received).toHaveLength(1);
    expect(publisher.published.map((e) => e.event_id)).toEqual([derivedId(event.event_id, "notification.sent", "email")]);
  });

  test("a title with line breaks or control characters cannot add headers", async () => {
    const { agent, server } = await smtpAgent();
    const title = "Hi\r\nBcc: victim@evil.test\r\nX-Injected: 1\u2028Cc: a@evil.test\u0085Reply-To: b@evil.test\u2029\u0000\tend";
    const event = taskCreated({ title }, "req-1\r\nBcc: victim2@evil.test");

    expect(await agent.handle([deliveryOf(event)])).toEqual([]);

    const raw = server.received[0]!.raw;
    expect(server.received[0]!.to).toEqual(["user-456@example.com"]);
    expect(headerValues(raw, "Subject")).toHaveLength(1);
    for (const name of ["Bcc", "Cc", "Reply-To", "X-Injected"]) expect(headerValues(raw, name)).toEqual([]);
    expect(headerValues(raw, "X-Correlation-ID")).toEqual(["req-1  Bcc: victim2@evil.test"]);
    expect(decodeWords(headerValues(raw, "Subject")[0]!)).toBe(
      "New task: Hi  Bcc: victim@evil.test  X-Injected: 1 Cc: a@evil.test Reply-To: b@evil.test   end",
    );
  });

  test("an owner id that cannot be an address fails for good without sending or retrying", async () => {
    const { agent, server, publisher, waits } = await smtpAgent();

    const failures = await agent.handle([deliveryOf(taskCreated({ owner_id: "team:ops" }))]);

    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toBeInstanceOf(PermanentError);
    expect(waits).toEqual([]);
    expect(server.attempts).toBe(0);
    expect(publisher.published).toEqual([]);
  });

  test("ignores events of other types", async () => {
    const { agent, server, publisher } = await smtpAgent();
    const assigned = createEvent(
      "task.assigned",
      { task_id: "task-123", agent_type: "summarizer", attempt: 1, input: { text: "Review quarterly report" } },
      { correlation_id: "req-abc-123", causation_id: "x", source: "orchestrator" },
    );

    expect(await agent.handle([deliveryOf(assigned)])).toEqual([]);

    expect(server.attempts).toBe(0);
    expect(publisher.published).toEqual([]);
  });
});
