import { createChildEvent, type DomainEvent } from "../../src/events/index.ts";
import { derivedId } from "../../src/transport/derived-id.ts";

/**
 * The notification.sent fact for a task.created that a channel delivered at `sentAt`. Its ids are derived
 * from the cause and `sentAt` is the time recorded with the delivery, so the event published again after
 * a redelivery is the same event, field for field, which consumers deduplicate.
 */
export function notificationSent(
  cause: DomainEvent<"task.created">,
  channel: "email" | "slack",
  recipient: string,
  source: string,
  sentAt: Date,
): DomainEvent<"notification.sent"> {
  return createChildEvent(
    cause,
    "notification.sent",
    { notification_id: derivedId(cause.event_id, channel), channel, task_id: cause.data.task_id, recipient },
    source,
    { eventId: derivedId(cause.event_id, "notification.sent", channel), occurredAt: sentAt },
  );
}
