import * as v from "valibot";

/** Characters allowed in identifiers that travel in headers, keys, logs and e-mail local parts. */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
export const SAFE_ID_MAX_LENGTH = 128;

/** Any RFC 4122-shaped UUID, any version, either case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isSafeId(value: unknown): value is string {
  return (
    typeof value === "string" && value.length > 0 && value.length <= SAFE_ID_MAX_LENGTH && SAFE_ID_PATTERN.test(value)
  );
}

/** An entity identifier (task, agent, workflow, owner...): bounded and free of characters that need escaping. */
export const SafeId = v.pipe(
  v.string("must be a string"),
  v.nonEmpty("must not be empty"),
  v.maxLength(SAFE_ID_MAX_LENGTH, `must be at most ${SAFE_ID_MAX_LENGTH} characters`),
  v.regex(SAFE_ID_PATTERN, "may only contain A-Z a-z 0-9 . _ : -"),
);
export type SafeId = v.InferOutput<typeof SafeId>;

export const EventId = v.pipe(v.string("must be a string"), v.regex(UUID_PATTERN, "must be a UUID"));
export type EventId = v.InferOutput<typeof EventId>;
