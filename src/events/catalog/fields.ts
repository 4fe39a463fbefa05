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
