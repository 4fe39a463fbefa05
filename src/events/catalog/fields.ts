import * as v from "valibot";

/** Length in Unicode code points, which is what Python's `len()` counts, so both sides agree on limits. */
export function codePointLength(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** Free text bounded in code points; short strings skip the count, since code points never exceed UTF-16 units. */
export function boundedText(min: number, max: number) {
  return v.pipe(
    v.string("must be a string"),
    v.check(
      (text) => (text.length >= min && text.length <= max) || isWithin(codePointLength(text), min, max),
      `must be ${min}-${max} characters`,
    ),
  );
}

function isWithin(n: number, min: number, max: number): boolean {
  return n >= min && n <= max;
}

/** Why something failed, for people reading logs and dashboards. */
export const Reason = boundedText(1, 2000);

/** What a finished piece of work produced, in a sentence or a page. */
export const Summary = boundedText(0, 10_000);

/** A JSON object of at most `maxBytes` as UTF-8 JSON: a task's input. */
export function jsonObject(maxBytes: number) {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (value) => typeof value === "object" && value !== null && !Array.isArray(value),
      "must be a JSON object",
    ),
    v.check((value) => jsonBytes(value) <= maxBytes, `must be at most ${Math.round(maxBytes / 1024)} KiB as JSON`),
  );
}

/** The size of a value as UTF-8 JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "");
}

/** How many times a task has been handed out, the first time included. */
export const Attempt = v.pipe(
  v.number("must be a number"),
  v.integer("must be an integer"),
  v.minValue(1, "must be at least 1"),
  v.maxValue(1000, "must be at most 1000"),
);

export const Count = v.pipe(v.number("must be a number"), v.integer("must be an integer"), v.minValue(0, "must be 0 or more"));
