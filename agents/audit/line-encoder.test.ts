import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { chainHash, formatLine, formatRecord, GENESIS } from "./chain.ts";
import { AuditLineEncoder } from "./line-encoder.ts";

/** The lines as chain.ts defines them, built from strings. */
function referenceLines(prev: string, entries: Array<[string, string]>): { text: string; last: string } {
  let text = "";
  for (const [loggedAt, eventJson] of entries) {
    const record = formatRecord(loggedAt, eventJson);
    const hash = chainHash(prev, record);
    text += `${formatLine(record, prev, hash)}\n`;
    prev = hash;
  }
  return { text, last: prev };
}

const loggedAt = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString());
// Any JSON object text, non-ASCII included; the encoder copies its bytes, so only their UTF-8 matters.
const eventJson = fc.dictionary(fc.string({ unit: "grapheme" }), fc.jsonValue()).map((value) => JSON.stringify(value));

describe("audit line encoder", () => {
  test("writes byte for byte the lines chain.ts defines, chained from the given hash", () => {
    fc.assert(
      fc.property(fc.constantFrom(GENESIS, "ab".repeat(32)), fc.array(fc.tuple(loggedAt, eventJson), { maxLength: 20 }), (prev, entries) => {
        const encoder = new AuditLineEncoder(prev);
        for (const [at, json] of entries) encoder.append(at, new TextEncoder().encode(json));
        const expected = referenceLines(prev, entries);
        expect(new TextDecoder().decode(encoder.bytes())).toBe(expected.text);
        expect(encoder.lastHash).toBe(expected.last);
      }),
      { numRuns: 200 },
    );
  });

  test("grows past its first buffer without losing what it holds", () => {
    const big = JSON.stringify({ blob: "x".repeat(300_000) });
    const entries: Array<[string, string]> = Array.from({ length: 5 }, (_, i) => [`2025-01-15T00:00:0${i}.000Z`, big]);
    const encoder = new AuditLineEncoder(GENESIS);
    for (const [at, json] of entries) encoder.append(at, new TextEncoder().encode(json));
    expect(encoder.bytes().length).toBeGreaterThan(1_500_000);
    expect(new TextDecoder().decode(encoder.bytes())).toBe(referenceLines(GENESIS, entries).text);
  });
});
