import { join } from "node:path";
import type { Config } from "../../src/config.ts";
import { TASK_EVENTS } from "../../src/events/index.ts";
import type { Logger } from "../../src/log.ts";
import type { BatchAgent } from "../../src/transport/agent.ts";
import { eachEvent } from "../../src/transport/compose.ts";
import { notificationSent } from "../notification/notification-sent.ts";
import { retry, type RetryOptions } from "../../src/transport/middleware/retry.ts";
import { ProcessedEvents } from "../../src/transport/processed-events.ts";
import type { Delivery, Publisher } from "../../src/transport/types.ts";
import { createMailer } from "./mailer.ts";
import { taskCreatedEmail } from "./message.ts";

export interface EmailAgentOptions {
  email: Config["email"];
  /** Holds `email-processed.sqlite`, the event_ids already emailed. */
  dataDir: string;
  publisher: Publisher;
  retry: RetryOptions;
  /** For the agent's own lines; per-event lines go to the delivery's logger. */
  logger: Logger;
}

const SOURCE = "email-agent";

/**
 * Emails the owner of every new task, once per event even across redeliveries and restarts, then publishes
 * notification.sent. The processed-event row is written after the mail server's 250 and before the Kafka
 * commit; the follow-up event is published on every delivery with an event_id derived from the task event,
 * because a crash may have come between the send and the publish, and consumers deduplicate by event_id.
 */
export function createEmailAgent(options: EmailAgentOptions): BatchAgent {
  const { email, publisher, logger } = options;
  const processed = new ProcessedEvents(join(options.dataDir, "email-processed.sqlite"));
  const mailer = createMailer(email);
  logger.info(
    email.smtp ? { smtp_host: email.smtp.host, smtp_port: email.smtp.port } : { outbox_dir: email.outboxDir },
    email.smtp ? "email agent sends through SMTP" : "no SMTP_HOST: email agent writes .eml files to the outbox",
  );

  async function emailTaskOwner(delivery: Delivery): Promise<void> {
    if (!delivery.known || delivery.event.event_type !== "task.created") return;
    const event = delivery.event;
    const message = taskCreatedEmail(event, email);
    const { outcome, doneAt } = await processed.once(`email:${event.event_id}`, () => mailer.send(message));
    if (outcome === "done") {
      delivery.logger.info({ recipient: message.recipient, message_id: message.messageId }, "email sent");
    } else {
      // Debug: a batch retried while the disk is full passes here once per event and attempt.
      delivery.logger.debug({ message_id: message.messageId }, "email already sent for this event; not sending again");
    }
    const sent = notificationSent(event, "email", message.recipient, SOURCE, doneAt);
    await publisher.publish(sent);
  }

  return {
    name: "email",
    group: "notification-email",
    topics: [TASK_EVENTS],
    // The processed-event store is this process's own: a partition moving to another instance must find
    // every effect before it committed, so each is committed before the next starts.
    commitEach: true,
    handle: eachEvent(new Set(["task.created"]), emailTaskOwner, [retry(options.retry)]),
    async close() {
      mailer.close();
      processed.close();
    },
  };
}
