import * as v from "valibot";

// What we write: exactly `Date.prototype.toISOString()` for years 0000-9999.
const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

// What we read: RFC 3339 `date-time`. The offset is mandatory, because a time without one is not an instant.
// Lower-case `t`/`z` are allowed by RFC 3339 section 5.6; the space separator by its note, and by Python's `str()`.
const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const OFFSET_LESS = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?$/;

/** Whether `text` is already in the form we write, so the hot path can skip the general parser. */
export function isCanonicalTimestamp(text: string): boolean {
  if (!CANONICAL.test(text)) return false;
  // The pattern allows day 31 in any month; only days past 28 need the calendar.
  if (text.charCodeAt(8) < 0x32 || (text.charCodeAt(8) === 0x32 && text.charCodeAt(9) <= 0x38)) return true;
  return Number(text.slice(8, 10)) <= daysInMonth(Number(text.slice(0, 4)), Number(text.slice(5, 7)));
}

/**
 * The UTC instant in `text`, written as `YYYY-MM-DDTHH:mm:ss.sssZ`, or `undefined` if `text` is not an RFC 3339
 * timestamp. Digits past milliseconds are truncated, not rounded, so a normalised time never moves later than
 * the original (Python writes microseconds: `2025-01-15T14:30:22.456789+00:00` becomes `...22.456Z`).
 */
export function normalizeTimestamp(text: string): string | undefined {
  if (isCanonicalTimestamp(text)) return text;
  const m = RFC_3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as Six<number>;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Leap seconds (":60") are refused: Date cannot represent them and no producer of ours writes them.
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // setUTCFullYear, because Date.UTC maps years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, millis);
  const utcYear = date.getUTCFullYear();
  return utcYear >= 0 && utcYear <= 9999 ? date.toISOString() : undefined;
}

type Six<T> = [T, T, T, T, T, T];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function describeBadTimestamp(text: string): string {
  if (OFFSET_LESS.test(text)) return "must have an explicit UTC offset (Z or ±HH:MM)";
  return "must be an RFC 3339 timestamp such as 2025-01-15T14:30:22.456Z";
}

/** Accepts any RFC 3339 timestamp; outputs the canonical UTC form. */
export const Timestamp = v.pipe(
  v.string("must be a string"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const normalized = normalizeTimestamp(dataset.value);
    if (normalized !== undefined) return normalized;
    addIssue({ message: describeBadTimestamp(dataset.value) });
    return NEVER;
  }),
);
export type Timestamp = v.InferOutput<typeof Timestamp>;
