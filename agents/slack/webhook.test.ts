import { afterEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { PermanentError } from "../../src/transport/types.ts";
import { closeAll, deliveryOf, makeAgent, slackStandIn, taskCreated } from "./slack-stand-in.ts";
import { retryAfterMs, SlackWebhookError } from "./webhook.ts";

afterEach(closeAll);

describe("retryAfterMs", () => {
  test("reads Slack's Retry-After seconds", () => {
    expect(retryAfterMs("2")).toBe(2_000);
    expect(retryAfterMs(" 3 ")).toBe(3_000);
    expect(retryAfterMs("0")).toBe(0);
  });

  test("waits one second when the header is missing or not whole seconds", () => {
    for (const header of [null, "", "soon", "-1", "1.5", "Wed, 21 Oct 2025 07:28:00 GMT"]) {
      expect(retryAfterMs(header)).toBe(1_000);
    }
  });

  test("caps a long wait at a minute so a partition is not held for hours", () => {
    expect(retryAfterMs("3600")).toBe(60_000);
  });
});

// maxRetries is 0 unless said otherwise, so every repeated request below comes from the webhook client itself.
describe("webhook answers", () => {
  test("429 waits Retry-After, then posts once", async () => {
    const slack = slackStandIn([{ status: 429, body: "rate_limited", headers: { "retry-after": "2" } }, { status: 200, body: "ok" }]);
    const { agent, publisher, waits } = makeAgent({ webhookUrl: slack.url });
    expect(await agent.handle([deliveryOf(taskCreated())])).toEqual([]);
    expect(slack.requests).toHaveLength(2);
    expect(slack.posted()).toHaveLength(1);
    expect(waits).toEqual([2_000]);
    expect(publisher.published).toHaveLength(1);
  });

  test("429 does not use up failure attempts, but a limit that never lifts fails retryably after 10 waits", async () => {
    const slack = slackStandIn([{ status: 429, headers: { "retry-after": "1" } }]);
    const { agent, publisher, waits } = makeAgent({ webhookUrl: slack.url });
    const failures = await agent.handle([deliveryOf(taskCreated())]);
    expect(slack.requests).toHaveLength(11);
    expect(waits).toEqual(Array(10).fill(1_000));
    expect(failures[0]!.error).toBeInstanceOf(SlackWebhookError);
    expect(publisher.published).toHaveLength(0);
  });

  test("503 is tried again after a backoff and posts once", async () => {
    const slack = slackStandIn([{ status: 503, body: "service_unavailable" }, { status: 200, body: "ok" }]);
    const { agent, waits } = makeAgent({ webhookUrl: slack.url });
    expect(await agent.handle([deliveryOf(taskCreated())])).toEqual([]);
    expect(slack.requests).toHaveLength(2);
    expect(slack.posted()).toHaveLength(1);
    expect(waits).toEqual([500]);
  });

  test("5xx three times fails retryably with doubling backoff, and the redelivery posts", async () => {
    const slack = slackStandIn([{ status: 500 }, { status: 502 }, { status: 503 }, { status: 200, body: "ok" }]);
    const { agent, waits } = makeAgent({ webhookUrl: slack.url });
    const delivery = deliveryOf(taskCreated());
    const failures = await agent.handle([delivery]);
    expect(slack.requests).toHaveLength(3);
    expect(waits).toEqual([500, 1_000]);
    expect(failures[0]!.error).toBeInstanceOf(SlackWebhookError);
    expect(failures[0]!.error).not.toBeInstanceOf(PermanentError);
    expect(await agent.handle([delivery])).toEqual([]);
    expect(slack.posted()).toHaveLength(1);
  });

  for (const [status, body] of [
    [400, "invalid_payload"],
    [403, "action_prohibited"],
    [404, "no_service"],
  ] as const) {
    test(`${status} ${body} is a PermanentError after exactly one request, with no handler retries`, async () => {
      const slack = slackStandIn([{ status, body }]);
      const { agent, publisher, waits } = makeAgent({ webhookUrl: slack.url, maxRetries: 3 });
      const failures = await agent.handle([deliveryOf(taskCreated())]);
      expect(failures).toHaveLength(1);
      expect(failures[0]!.error).toBeInstanceOf(PermanentError);
      expect((failures[0]!.error as Error).message).toContain(body);
      expect(slack.requests).toHaveLength(1);
      expect(waits).toEqual([]);
      expect(publisher.published).toHaveLength(0);
    });
  }

  test("an unreachable webhook fails retryably, and neither the error nor a log line holds the URL", async () => {
    const slack = slackStandIn();
    await closeAll(); // stops the server: its port now refuses connections
    const lines: string[] = [];
    const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
    const { agent, waits } = makeAgent({ webhookUrl: slack.url, maxRetries: 1, logger });
    const delivery = deliveryOf(taskCreated(), logger);
    const failures = await agent.handle([delivery]);
    // What the consume loop does with a failure: log it, then dead-letter it with name and message.
    delivery.logger.error({ err: failures[0]!.error }, "handler failed for good; dead-lettering");
    const error = failures[0]!.error as Error;
    expect(lines.some((line) => line.includes("retrying"))).toBe(true);
    for (const text of [error.message, String(error.stack), ...lines]) {
      expect(text).not.toContain("s3cr3tT0k3n");
      expect(text).not.toContain("/services/");
    }
    expect(error).toBeInstanceOf(SlackWebhookError);
    expect(waits).toHaveLength(2 + 1 + 2); // client backoffs, one handler retry, client backoffs again
  });
});
