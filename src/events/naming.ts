/**
 * The naming rule for event types, in one place.
 *
 * An event type is `domain.action`: two or more lower-case segments separated by dots (`task.created`,
 * `agent.task.accepted`), each a letter followed by letters, digits or `_`. The last segment is a verb in the
 * past tense, because an event records something that already happened; `task.create` would be a command.
 *
 * "Past tense" is checked mechanically: the last segment ends in `-ed`, or is an irregular past participle
 * listed below, or the whole type is one of the named exceptions, each with its reason.
 */

/** Syntax only; a consumer accepts any type of this shape, known or not. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
export const EVENT_TYPE_MAX_LENGTH = 128;

/** Irregular past forms we are likely to need; add to this list rather than bending a name. */
export const IRREGULAR_PAST_TENSE: ReadonlySet<string> = new Set([
  "begun", "bound", "brought", "built", "chosen", "done", "drawn", "found", "frozen", "given", "held", "hidden",
  "kept", "known", "left", "lost", "made", "met", "paid", "put", "read", "reset", "run", "seen", "sent", "set",
  "shown", "shut", "sold", "split", "spent", "taken", "thrown", "told", "undone", "won", "written",
]);

/** Types that break the rule on purpose, each with why. */
export const NAMING_EXCEPTIONS: Readonly<Record<string, string>> = {
  "agent.heartbeat":
    "named so by the spec; a heartbeat is itself the fact (the agent was alive at occurred_at), not a command",
};

export type NamingCheck = { ok: true } | { ok: false; reason: string };

/** Whether `type` may be added to the catalog. */
export function checkEventTypeName(type: string): NamingCheck {
  if (type.length > EVENT_TYPE_MAX_LENGTH) {
    return { ok: false, reason: `longer than ${EVENT_TYPE_MAX_LENGTH} characters` };
  }
  if (!EVENT_TYPE_PATTERN.test(type)) {
    return { ok: false, reason: "must be lower-case dot-separated segments such as task.created" };
  }
  if (Object.hasOwn(NAMING_EXCEPTIONS, type)) return { ok: true };
  const action = type.slice(type.lastIndexOf(".") + 1);
  if (action.endsWith("ed") || IRREGULAR_PAST_TENSE.has(action)) return { ok: true };
  return { ok: false, reason: `"${action}" is not a past-tense verb: events are facts, not commands` };
}

/** The syntax check alone, as parsing applies it to types it does not know. */
export function isEventTypeSyntax(type: string): boolean {
  return type.length <= EVENT_TYPE_MAX_LENGTH && EVENT_TYPE_PATTERN.test(type);
}
