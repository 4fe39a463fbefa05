import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { occurredAt } from "../../test/fixtures/events/arbitraries.ts";
import { isCanonicalTimestamp, normalizeTimestamp } from "./timestamp.ts";

describe("normalizeTimestamp", () => {
  test.each([
    ["2025-01-15T14:30:22.456Z", "2025-01-15T14:30:22.456Z"],
    ["2025-01-15T14:30:22.456789+00:00", "2025-01-15T14:30:22.456Z"], // Python's isoformat()
    ["2025-01-15T14:30:22+00:00", "2025-01-15T14:30:22.000Z"], // isoformat() when microseconds are 0
    ["2025-01-15T14:30:22.4Z", "2025-01-15T14:30:22.400Z"],
    ["2025-01-15T14:30:22.999999999Z", "2025-01-15T14:30:22.999Z"], // truncated, never rounded into the next second
    ["2025-01-15T16:30:22.456+02:00", "2025-01-15T14:30:22.456Z"],
    ["2025-01-15T09:00:22.456-05:30", "2025-01-15T14:30:22.456Z"],
    ["2025-01-01T00:30:00+01:00", "2024-12-31T23:30:00.000Z"],
    ["2025-01-15t14:30:22.456z", "2025-01-15T14:30:22.456Z"],
    ["2025-01-15 14:30:22.456+00:00", "2025-01-15T14:30:22.456Z"], // Python's str(datetime)
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"], // not mapped to 1901 like Date.UTC would
    ["2025-01-15T14:30:22.456-00:00", "2025-01-15T14:30:22.456Z"], // RFC 3339's "offset unknown", still UTC
  ])("reads %s as %s", (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  test.each([
    "2025-01-15T14:30:22.456", // no offset: not an instant
    "2025-01-15",
    "2025-02-29T00:00:00Z", // not a leap year
    "2025-04-31T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-01-15T24:00:00Z",
    "2025-01-15T14:30:60Z", // leap second
    "2025-01-15T14:30:22+0100", // offset without colon is ISO 8601 but not RFC 3339
    "2025-01-15T14:30:22+24:00",
    "9999-12-31T23:59:59-01:00", // past year 9999 in UTC
    "2025-01-15T14:30:22.Z",
    " 2025-01-15T14:30:22Z",
    "Wed, 15 Jan 2025 14:30:22 GMT",
  ])("refuses %s", (input) => {
    expect(normalizeTimestamp(input)).toBeUndefined();
  });

  test("keeps every instant Date can write, and calls it canonical", () => {
    fc.assert(
      fc.property(occurredAt, (iso) => {
        expect(isCanonicalTimestamp(iso)).toBe(true);
        expect(normalizeTimestamp(iso)).toBe(iso);
      }),
    );
  });
});
