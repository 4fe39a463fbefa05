import { join } from "node:path";
import type { Config } from "../../src/config.ts";
import { TASK_EVENTS } from "../../src/events/index.ts";
import type { Logger } from "../../src/log.ts";
import { abortableSleep } from "../../src/transport/abortable-sleep.ts";
import type { BatchAgent } from "../../src/transport/agent.ts";
import { eachEvent } from "../../src/transport/compose.ts";
import { notificationSent } from "../notification/notification-sent.ts";
import { retry } from "../../src/transport/middleware/retry.ts";
import { ProcessedEvents } from "../../src/transport/processed-events.ts";
import type { Delivery, Publisher } from "../../src/transport/types.ts";
import { taskCreatedMessage, type SlackMessage } from "./message.ts";
import { appendToOutbox } from "./outbox.ts";
import { postToWebhook } from "./webhook.ts";

export interface SlackAgentOptions {
  slack: Config["slack"];
  dataDir: string;
  publisher: Publisher;
  retry: { maxRetries: number; initialDelayMs: number };
  logger: Logger;
  /** Every wait (429, backoff, handler retry) goes through it, so tests need no real waiting. */
  sleep?: (ms: number) => Promise<void>;
}

const SOURCE = "slack-agent";

/**
 * Posts a Slack message for every task.created, once per event_id, then publishes notification.sent.
 * Without a webhook URL the messages go to a JSON-lines outbox file instead.
 */
export function createSlackAgent(options: SlackAgentOptions): BatchAgent {
  const { slack, publisher, logger, sleep = abortableSleep } = options;
  const processed = new ProcessedEvents(join(options.dataDir, "slack-processed.sqlite"));
  const webhookUrl = slack.webhookUrl;
  // The channel behind a webhook is not known here, so the recipient names where the message went.
  const recipient = webhookUrl ? "webhook" : "outbox";
  const deliver: (message: SlackMessage, delivery: Delivery) => Promise<void> = webhookUrl
    ? (message) => postToWebhook(message, { url: webhookUrl, sleep })
    : (message, delivery) => appendToOutbox(slack.outboxFile, delivery.event, message);
  logger.info(webhookUrl ? { mode: "webhook" } : { mode: "outbox", file: slack.outboxFile }, "slack agent ready");

  async function notifySlack(delivery: Delivery): Promise<void> {
    if (!delivery.known) return;
    const { event } = delivery;
    if (event.event_type !== "task.created") return;
    // The row is written after the post and before the commit: a crash in between posts twice, never zero times.
    const { outcome, doneAt } = await processed.once(`slack:${event.event_id}`, () => deliver(taskCreatedMessage(event), delivery));
    // Debug for a repeat: a batch retried while the disk is full passes here once per event and attempt.
    delivery.logger[outcome === "done" ? "info" : "debug"](
      { task_id: event.data.task_id, outcome },
      outcome === "done" ? "slack message posted" : "slack message already posted; not posting again",
    );
    // Published on every delivery: the first attempt may have posted and then failed to publish.
    const sent = notificationSent(event, "slack", recipient, SOURCE, doneAt);
    await publisher.publish(sent);
  }

  return {
    name: "slack",
    group: "notification-slack",
    topics: [TASK_EVENTS],
    // The processed-event store is this process's own: a partition moving to another instance must find
    // every effect before it committed, so each is committed before the next starts.
    commitEach: true,
    handle: eachEvent(new Set(["task.created"]), notifySlack, [retry({ ...options.retry, sleep })]),
    async close() {
      processed.close();
    },
  };
}
