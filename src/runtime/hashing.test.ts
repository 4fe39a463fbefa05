// The trace index stores wyhash values, and the audit chain SHA-256 ones: both runtimes must compute the
// very same numbers. Both implementations run here under Bun, the Deno one on node:crypto and wyhash.ts.
import { describe, expect, test } from "bun:test";
import { hashing as bunHashing } from "./hashing-bun.ts";
import { hashing as denoHashing } from "./hashing-deno.ts";
import { wyhash, wyhash53 } from "./wyhash.ts";

/** Random bytes, of every length up to where each code path (≤16, ≤48, blocks of 48 and the tail) is crossed. */
function* randomInputs(): Generator<Uint8Array> {
  for (let length = 0; length <= 300; length++) {
    for (let i = 0; i < 10; i++) yield crypto.getRandomValues(new Uint8Array(length));
  }
  yield crypto.getRandomValues(new Uint8Array(64 * 1024));
}

const STRINGS = ["", "a", "é", "€", "😀", "\ud800", "agent:worker-1", crypto.randomUUID(), "x".repeat(1000) + "é"];

describe("wyhash", () => {
  test("equals Bun.hash.wyhash on bytes of every length", () => {
    for (const bytes of randomInputs()) expect(wyhash(bytes)).toBe(Bun.hash.wyhash(bytes));
  });

  test("hashes a string as its UTF-8 bytes, as Bun does (a lone surrogate as U+FFFD)", () => {
    for (const text of STRINGS) expect(wyhash(text)).toBe(Bun.hash.wyhash(text));
  });

  test("wyhash53 is its top 53 bits, a safe integer", () => {
    for (const bytes of randomInputs()) {
      const key = wyhash53(bytes);
      expect(key).toBe(Number(Bun.hash.wyhash(bytes) >> 11n));
      expect(Number.isSafeInteger(key)).toBe(true);
    }
  });
});

describe("the runtimes' hashing", () => {
  test("give the same wyhash53", () => {
    for (const bytes of randomInputs()) expect(denoHashing.wyhash53(bytes)).toBe(bunHashing.wyhash53(bytes));
    for (const text of STRINGS) expect(denoHashing.wyhash53(text)).toBe(bunHashing.wyhash53(text));
  });

  test("give the same SHA-256, incremental over strings and bytes, and into a buffer", () => {
    const known = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // SHA-256("abc")
    for (const { createSha256 } of [bunHashing, denoHashing]) {
      expect(createSha256().update("a").update(new TextEncoder().encode("bc")).digest("hex")).toBe(known);
      expect(createSha256().update("é\n").update("€").digest("hex")).toBe(bunHashing.createSha256().update("é\n€").digest("hex"));
    }
    for (const bytes of randomInputs()) {
      const fromBun = new Uint8Array(32);
      const fromDeno = new Uint8Array(32);
      bunHashing.sha256Into(bytes, fromBun);
      denoHashing.sha256Into(bytes, fromDeno);
      expect(fromDeno).toEqual(fromBun);
    }
  });
});
