import { describe, expect, test } from "bun:test";
import { MessageBuffer } from "./message-buffer.ts";
import type { ConsumedMessage } from "./message-decoder.ts";

function message(offset: number, valueBytes: number, keyBytes = 0): ConsumedMessage {
  const key = keyBytes > 0 ? new Uint8Array(keyBytes) : null;
  return { topic: "t", partition: offset % 2, offset, key, value: new Uint8Array(valueBytes), headers: [], timestamp: -1 };
}

function filled(sizes: number[]): MessageBuffer {
  const buffer = new MessageBuffer();
  sizes.forEach((size, offset) => buffer.push(message(offset, size)));
  return buffer;
}

describe("message buffer", () => {
  test("counts the key and value bytes it holds, through take and drop", () => {
    const buffer = new MessageBuffer();
    buffer.push(message(0, 100, 10));
    buffer.push(message(1, 200));
    buffer.push({ ...message(2, 0), value: null });
    expect([buffer.length, buffer.bytes]).toEqual([3, 310]);
    buffer.take(1);
    expect([buffer.length, buffer.bytes]).toEqual([2, 200]);
    buffer.drop((m) => m.offset === 1);
    expect([buffer.length, buffer.bytes]).toEqual([1, 0]);
  });

  test("takes at most the given number of messages, oldest first", () => {
    const buffer = filled([1, 1, 1, 1, 1]);
    expect(buffer.take(3).map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(buffer.take(3).map((m) => m.offset)).toEqual([3, 4]);
    expect(buffer.take(3)).toEqual([]);
  });

  test("takes no more bytes than allowed, stopping before the message that would pass the limit", () => {
    const buffer = filled([400, 400, 300, 100, 500]);
    expect(buffer.take(100, 1000).map((m) => m.offset)).toEqual([0, 1]);
    expect(buffer.take(100, 1000).map((m) => m.offset)).toEqual([2, 3, 4]);
    expect(buffer.bytes).toBe(0);
  });

  test("hands out a message larger than the byte limit on its own", () => {
    const buffer = filled([5000, 10, 10]);
    expect(buffer.take(100, 1000).map((m) => m.offset)).toEqual([0]);
    expect(buffer.take(100, 1000).map((m) => m.offset)).toEqual([1, 2]);
  });
});
