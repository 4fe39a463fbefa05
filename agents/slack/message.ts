import type { DomainEvent } from "../../src/events/index.ts";

/** What an incoming webhook accepts; `text` is also the fallback shown in notifications. */
export interface SlackMessage {
  text: string;
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/**
 * Slack's control sequences (`<!channel>`, `<@U123>`, `<https://…|label>`) start with `<`, so escaping
 * these three characters is what keeps a task title from pinging a channel or disguising a link.
 * Slack's formatting guide asks for exactly this and nothing more.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/[&<>]/g, (char) => ESCAPES[char]!);
}

/** One line about a new task; every value from the event is escaped, identifiers included. */
export function taskCreatedMessage(event: DomainEvent<"task.created">): SlackMessage {
  const { title, priority, owner_id, task_id } = event.data;
  const e = escapeSlackText;
  return {
    text:
      `New task: ${e(title)} (priority ${priority}) for ${e(owner_id)}` +
      ` — task ${e(task_id)}, correlation ${e(event.metadata.correlation_id)}`,
  };
}
