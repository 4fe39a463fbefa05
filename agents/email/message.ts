import type { SendMailOptions } from "nodemailer";
import type { Config } from "../../src/config.ts";
import type { DomainEvent } from "../../src/events/index.ts";
import { PermanentError } from "../../src/transport/types.ts";

/** An email ready for a Mailer; `eventId` names it (the outbox file, the Message-ID). */
export interface TaskEmail {
  readonly eventId: string;
  readonly recipient: string;
  readonly messageId: string;
  readonly mail: SendMailOptions;
}

// C0 controls, DEL, C1 controls (with NEL, U+0085) and the Unicode line and paragraph separators: each can end
// a header line early for some parser or mail client, so none may reach a header from user text.
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

// An unquoted (dot-atom) local part, RFC 5322 §3.4.1, over the characters an owner id may hold. An owner id
// may also contain ":" and leading, trailing or doubled dots, which a mail server would refuse.
const LOCAL_PART = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const LOCAL_PART_MAX_LENGTH = 64;

/** User text made safe for one header line: every control or line-breaking character becomes a space. */
export function singleLine(text: string): string {
  return text.replace(LINE_BREAKING, " ");
}

/** `{owner_id}@{domain}`, or a PermanentError when the owner id cannot be a mailbox name. */
export function recipientOf(ownerId: string, domain: string): string {
  if (ownerId.length > LOCAL_PART_MAX_LENGTH || !LOCAL_PART.test(ownerId)) {
    throw new PermanentError(`owner_id ${JSON.stringify(ownerId)} cannot be the local part of an e-mail address`);
  }
  return `${ownerId}@${domain}`;
}

/**
 * The "New task" email for a task.created event. Its Message-ID is derived from the event, so a resend after
 * a crash is recognisable as the same message by the receiving side.
 */
export function taskCreatedEmail(event: DomainEvent<"task.created">, settings: Config["email"]): TaskEmail {
  const { task_id, title, owner_id, priority } = event.data;
  const recipient = recipientOf(owner_id, settings.domain);
  const correlationId = singleLine(event.metadata.correlation_id);
  const messageId = `<${event.event_id}@agent-events>`;
  return {
    eventId: event.event_id,
    recipient,
    messageId,
    mail: {
      from: settings.from,
      to: recipient,
      subject: `New task: ${singleLine(title)}`,
      messageId,
      headers: { "X-Correlation-ID": correlationId, "X-Event-ID": event.event_id },
      // The title stays on one line in the body too, so it cannot fake the lines that follow it.
      text: [
        "A new task was created for you.",
        "",
        `Task ID:        ${task_id}`,
        `Title:          ${singleLine(title)}`,
        `Priority:       ${priority}`,
        `Correlation ID: ${correlationId}`,
        "",
      ].join("\n"),
    },
  };
}
