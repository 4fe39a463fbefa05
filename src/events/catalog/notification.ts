import * as v from "valibot";
import { SafeId } from "../identifiers.ts";
import { boundedText } from "./fields.ts";

/**
 * A notification agent delivered a message about a task. `recipient` is channel-specific (an e-mail address,
 * a Slack channel or user), so it is bounded text rather than an identifier; 320 fits any e-mail address.
 */
export const NotificationSent = v.looseObject({
  notification_id: v.optional(SafeId),
  channel: v.picklist(["email", "slack"], "must be email or slack"),
  task_id: SafeId,
  recipient: boundedText(1, 320),
});
export type NotificationSent = v.InferOutput<typeof NotificationSent>;

export const notificationEvents = {
  "notification.sent": NotificationSent,
} as const;
