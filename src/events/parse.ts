import * as v from "valibot";
import { type DomainEvent, isKnownEventType } from "./catalog/index.ts";
import { DEFAULT_MAX_EVENT_BYTES, isPlainObject, UnknownEventSchema, type UnknownEvent } from "./envelope.ts";
import { type EventIssue, issuesFromValibot, ValidationError } from "./errors.ts";
import { DomainEventSchema } from "./event-schema.ts";
import { tryFastPath } from "./fast-path.ts";

export interface ParseOptions {
  /** Larger inputs are refused before decoding or JSON parsing. Defaults to 1 MiB. */
  readonly maxBytes?: number;
}

/**
 * `known: false` means a well-formed envelope of a type outside our catalog, with `data` unvalidated: a newer
 * producer's event. Consumers that do not handle it skip it and commit.
 */
export type ParseResult =
  | { readonly ok: true; readonly known: true; readonly event: DomainEvent }
  | { readonly ok: true; readonly known: false; readonly event: UnknownEvent }
  | { readonly ok: false; readonly error: ValidationError };

// fatal: a message with invalid UTF-8 is refused rather than silently altered with U+FFFD.
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads one event from a Kafka message value (or any JSON text). Never throws on bad input. */
export function parseEvent(input: Uint8Array | string, options: ParseOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  if (exceeds(input, maxBytes)) return failure({ path: "", message: `is over the ${maxBytes}-byte limit` });

  let text: string;
  try {
    text = typeof input === "string" ? input : decoder.decode(input);
  } catch (cause) {
    return failure({ path: "", message: "is not valid UTF-8" }, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    return failure({ path: "", message: `is not valid JSON (${(cause as Error).message})` }, cause);
  }
  return validateEvent(raw);
}

/** Validates an already-decoded JSON value, e.g. one line of an audit log. */
export function validateEvent(raw: unknown): ParseResult {
  const fast = tryFastPath(raw);
  if (fast !== undefined) return { ok: true, ...fast };
  return validateWithSchemas(raw);
}

/** The schema path alone: slower, and lists every problem. Exported for tests holding the fast path to it. */
export function validateWithSchemas(raw: unknown): ParseResult {
  if (!isPlainObject(raw)) return failure({ path: "", message: `must be a JSON object, not ${describe(raw)}` });
  if (typeof raw.event_type === "string" && isKnownEventType(raw.event_type)) {
    const parsed = v.safeParse(DomainEventSchema, raw);
    if (parsed.success) return { ok: true, known: true, event: parsed.output as DomainEvent };
    return { ok: false, error: new ValidationError(issuesFromValibot(parsed.issues)) };
  }
  const parsed = v.safeParse(UnknownEventSchema, raw);
  if (parsed.success) return { ok: true, known: false, event: parsed.output };
  return { ok: false, error: new ValidationError(issuesFromValibot(parsed.issues)) };
}

function exceeds(input: Uint8Array | string, maxBytes: number): boolean {
  if (typeof input !== "string") return input.byteLength > maxBytes;
  // A UTF-16 unit is 1-3 UTF-8 bytes (a surrogate pair is 4 for 2), so the exact count is rarely needed.
  if (input.length > maxBytes) return true;
  if (input.length * 3 <= maxBytes) return false;
  return utf8Length(input) > maxBytes;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 1; // the pair is 4 bytes, 3 of them counted above
        i++;
      }
    }
  }
  return bytes;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function failure(issue: EventIssue, cause?: unknown): ParseResult {
  return { ok: false, error: new ValidationError([issue], { cause }) };
}
