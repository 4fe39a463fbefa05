import { describe, expect, test } from "bun:test";
import { HeaderNames, parseHeaders } from "./record-headers.ts";

const encoder = new TextEncoder();
const copy = (bytes: Uint8Array) => (index: number, length: number) => bytes.slice(index, index + length);

/** Zigzag varint, as Kafka writes record lengths. */
function varint(value: number): number[] {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  while (zigzag >= 0x80) {
    out.push((zigzag & 0x7f) | 0x80);
    zigzag = Math.floor(zigzag / 128);
  }
  out.push(zigzag);
  return out;
}

function record(headers: Array<[string, string | null]>): Uint8Array {
  const bytes = [...varint(headers.length)];
  for (const [name, value] of headers) {
    const nameBytes = encoder.encode(name);
    bytes.push(...varint(nameBytes.length), ...nameBytes);
    if (value === null) bytes.push(...varint(-1));
    else {
      const valueBytes = encoder.encode(value);
      bytes.push(...varint(valueBytes.length), ...valueBytes);
    }
  }
  return new Uint8Array(bytes);
}

describe("record header bytes", () => {
  test("parse into names and values, keeping null apart from empty", () => {
    const bytes = record([["event_type", "task.created"], ["empty", ""], ["absent", null], ["naïve", "wörld"]]);
    const headers = parseHeaders(bytes, 0, bytes.length, copy(bytes))!;
    expect(headers.map(([name, value]) => [name, value && new TextDecoder().decode(value)])).toEqual([
      ["event_type", "task.created"],
      ["empty", ""],
      ["absent", null],
      ["naïve", "wörld"],
    ]);
  });

  test("parse from the middle of a larger buffer, with lengths past 127", () => {
    const long = "x".repeat(300);
    const inner = record([["long", long]]);
    const bytes = new Uint8Array([9, 9, ...inner, 9]);
    const headers = parseHeaders(bytes, 2, inner.length, copy(bytes))!;
    expect(headers[0]![1]!.length).toBe(300);
  });

  test("a zero count is no headers", () => {
    expect(parseHeaders(new Uint8Array([0]), 0, 1, copy(new Uint8Array()))).toEqual([]);
  });

  test("truncated bytes are refused rather than read past their end", () => {
    const bytes = record([["event_type", "task.created"]]);
    for (let length = 1; length < bytes.length; length++) {
      expect(parseHeaders(bytes, 0, length, copy(bytes))).toBeNull();
    }
  });
});

describe("header names", () => {
  test("a name seen before at the same position is reused; a different one is read anew", () => {
    const names = new HeaderNames();
    const first = record([["event_type", "a"], ["source", "b"]]);
    const second = record([["event_type", "c"], ["sourcE", "d"]]);
    const parse = (bytes: Uint8Array) => parseHeaders(bytes, 0, bytes.length, copy(bytes), names)!.map(([name]) => name);
    expect(parse(first)).toEqual(["event_type", "source"]);
    expect(parse(second)).toEqual(["event_type", "sourcE"]);
    expect(parse(first)).toEqual(["event_type", "source"]);
  });
});
