/*
 * Wyhash with seed 0, bit for bit what Bun.hash.wyhash computes (Zig's std.hash.Wyhash), for runtimes
 * without it: the trace index stores these hashes, so an index written under one runtime must be read under
 * the other. Strings are hashed as their UTF-8 bytes, as Bun does.
 *
 * 64-bit words are kept as two 32-bit halves (…H, …L) and results come back in a Uint32Array of registers:
 * measured under Deno, a UUID hashed in 57 ns this way, 430 ns with BigInt and 270 ns with results in
 * module variables and products in floating point.
 */

// Wyhash's four 64-bit secrets, as halves.
const S0H = 0xa0761d64, S0L = 0x78bd642f;
const S1H = 0xe7037ed1, S1L = 0xa0b428db;
const S2H = 0x8ebc6af0, S2L = 0x9c88c6e3;
const S3H = 0x589965cc, S3L = 0x75374cc3;

const registers = new Uint32Array(8);
const PRODUCT_H = 0, PRODUCT_L = 1, LOW_H = 2, LOW_L = 3, HIGH_H = 4, HIGH_L = 5, MIX_H = 6, MIX_L = 7;

/** The 64-bit product of two 32-bit numbers, into PRODUCT_H:PRODUCT_L. */
function multiply32(x: number, y: number): void {
  const xl = x & 0xffff, xh = x >>> 16, yl = y & 0xffff, yh = y >>> 16;
  // 16-bit pieces keep every partial sum below 2^32.
  const lowCross = xh * yl + ((xl * yl) >>> 16);
  const highCross = xl * yh + (lowCross & 0xffff);
  registers[PRODUCT_H] = xh * yh + (lowCross >>> 16) + (highCross >>> 16);
  registers[PRODUCT_L] = Math.imul(x, y);
}

/** Wyhash's mum: the 128-bit product a·b, into LOW_H:LOW_L and HIGH_H:HIGH_L. */
function multiply64(aH: number, aL: number, bH: number, bL: number): void {
  multiply32(aL, bL);
  const word0 = registers[PRODUCT_L]!;
  let sum = registers[PRODUCT_H]!;
  multiply32(aL, bH);
  const crossA = registers[PRODUCT_H]!;
  sum += registers[PRODUCT_L]!;
  multiply32(aH, bL);
  const crossB = registers[PRODUCT_H]!;
  sum += registers[PRODUCT_L]!;
  registers[LOW_L] = word0;
  registers[LOW_H] = sum;
  multiply32(aH, bH);
  sum = crossA + crossB + registers[PRODUCT_L]! + carryOf(sum);
  registers[HIGH_L] = sum;
  registers[HIGH_H] = registers[PRODUCT_H]! + carryOf(sum);
}

/** What a sum of at most three 32-bit numbers carries into the next word. */
function carryOf(sum: number): number {
  return sum >= 0x2_0000_0000 ? 2 : sum >= 0x1_0000_0000 ? 1 : 0;
}

/** Wyhash's mix: the two halves of a·b, xored; into MIX_H:MIX_L. */
function mix(aH: number, aL: number, bH: number, bL: number): void {
  multiply64(aH, aL, bH, bL);
  registers[MIX_H] = registers[LOW_H]! ^ registers[HIGH_H]!;
  registers[MIX_L] = registers[LOW_L]! ^ registers[HIGH_L]!;
}

function read32(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

mix(S0H, S0L, S1H, S1L);
/** The state every hash starts from: seed ^ mix(seed ^ secret0, secret1), with seed 0. */
const START_H = registers[MIX_H]!;
const START_L = registers[MIX_L]!;

/** Hashes bytes[0, length) into MIX_H:MIX_L. */
function hashBytes(bytes: Uint8Array, length: number): void {
  let s0H = START_H, s0L = START_L, s1H = START_H, s1L = START_L, s2H = START_H, s2L = START_L;
  let aH: number, aL: number, bH: number, bL: number;
  if (length <= 16) {
    if (length >= 4) {
      const end = length - 4;
      const quarter = (length >>> 3) << 2;
      aH = read32(bytes, 0);
      aL = read32(bytes, quarter);
      bH = read32(bytes, end);
      bL = read32(bytes, end - quarter);
    } else if (length > 0) {
      aH = 0;
      aL = (bytes[0]! << 16) | (bytes[length >>> 1]! << 8) | bytes[length - 1]!;
      bH = bL = 0;
    } else {
      aH = aL = bH = bL = 0;
    }
  } else {
    let i = 0;
    if (length >= 48) {
      for (; i + 48 < length; i += 48) {
        mix(read32(bytes, i + 4) ^ S1H, read32(bytes, i) ^ S1L, read32(bytes, i + 12) ^ s0H, read32(bytes, i + 8) ^ s0L);
        s0H = registers[MIX_H]!;
        s0L = registers[MIX_L]!;
        mix(read32(bytes, i + 20) ^ S2H, read32(bytes, i + 16) ^ S2L, read32(bytes, i + 28) ^ s1H, read32(bytes, i + 24) ^ s1L);
        s1H = registers[MIX_H]!;
        s1L = registers[MIX_L]!;
        mix(read32(bytes, i + 36) ^ S3H, read32(bytes, i + 32) ^ S3L, read32(bytes, i + 44) ^ s2H, read32(bytes, i + 40) ^ s2L);
        s2H = registers[MIX_H]!;
        s2L = registers[MIX_L]!;
      }
      s0H ^= s1H ^ s2H;
      s0L ^= s1L ^ s2L;
    }
    for (; i + 16 < length; i += 16) {
      mix(read32(bytes, i + 4) ^ S1H, read32(bytes, i) ^ S1L, read32(bytes, i + 12) ^ s0H, read32(bytes, i + 8) ^ s0L);
      s0H = registers[MIX_H]!;
      s0L = registers[MIX_L]!;
    }
    aH = read32(bytes, length - 12);
    aL = read32(bytes, length - 16);
    bH = read32(bytes, length - 4);
    bL = read32(bytes, length - 8);
  }
  multiply64(aH ^ S1H, aL ^ S1L, bH ^ s0H, bL ^ s0L);
  // The length goes into the low half only: ids and log lines are far shorter than 4 GiB.
  mix(registers[LOW_H]! ^ S0H, registers[LOW_L]! ^ S0L ^ length, registers[HIGH_H]! ^ S1H, registers[HIGH_L]! ^ S1L);
}

const encoder = new TextEncoder();
let utf8 = new Uint8Array(256);

function hashInput(input: string | Uint8Array): void {
  if (typeof input !== "string") return hashBytes(input, input.length);
  // Three bytes per UTF-16 unit is UTF-8's worst case.
  if (utf8.length < input.length * 3) utf8 = new Uint8Array(input.length * 3);
  hashBytes(utf8, encoder.encodeInto(input, utf8).written);
}

/** The full 64-bit wyhash, as Bun.hash.wyhash(input) gives it. */
export function wyhash(input: string | Uint8Array): bigint {
  hashInput(input);
  return (BigInt(registers[MIX_H]!) << 32n) | BigInt(registers[MIX_L]!);
}

/** The top 53 bits of wyhash(input), a number: Number(Bun.hash.wyhash(input) >> 11n). */
export function wyhash53(input: string | Uint8Array): number {
  hashInput(input);
  return registers[MIX_H]! * 0x20_0000 + (registers[MIX_L]! >>> 11);
}
