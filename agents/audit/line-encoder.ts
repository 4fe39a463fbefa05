import { sha256Into } from "../../src/runtime/hashing.ts";
import { GENESIS } from "./chain.ts";

const HEX = new TextEncoder().encode("0123456789abcdef");
const RECORD_HEAD = Buffer.from('{"logged_at":"');
const RECORD_MIDDLE = Buffer.from('","event":');
const TAIL_PREV = Buffer.from(',"prev":"');
const TAIL_HASH = Buffer.from('","hash":"');
const TAIL_END = Buffer.from('"}\n');
const HASH_HEX = GENESIS.length;
const INITIAL_BYTES = 64 * 1024;
const KEPT_BYTES = 64 * 1024 * 1024;
/** Bytes a line takes beyond its event's and logged_at's: the record's own, the chain's tail, the scratch prefix. */
const OVERHEAD = HASH_HEX + 1 + RECORD_HEAD.length + RECORD_MIDDLE.length + 1 + TAIL_PREV.length + 2 * HASH_HEX + TAIL_HASH.length + TAIL_END.length;

/**
 * Writes audit lines (chain.ts) as UTF-8 bytes into one growing buffer, chaining each from the last.
 *
 * Hand-written because the obvious string version was most of the agent's time: measured per 1 KiB event,
 * hashing a concatenated string cost 6-7 µs (it is flattened and transcoded first), joining the batch 4.4 µs
 * and encoding it 4 µs, against 0.7 µs to hash the same bytes with Bun.SHA256 and 0.2 µs to copy them.
 * So the record is laid out once, after "<prev>\n", hashed where it lies, then moved over that prefix.
 */
export class AuditLineEncoder {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;
  private readonly prev = Buffer.alloc(HASH_HEX);
  private readonly digest = new Uint8Array(32);

  constructor(prevHash: string) {
    this.restart(prevHash);
  }

  /**
   * Empties the buffer, keeping its memory, and chains the next line from `prevHash`. Reusing one buffer
   * matters: the first touch of fresh pages cost more than the copies into them (1.5 µs per 1 KiB line).
   */
  restart(prevHash: string): void {
    // A batch of outsized events should not pin its memory for good.
    if (this.buffer.length > KEPT_BYTES) this.buffer = Buffer.allocUnsafe(INITIAL_BYTES);
    this.length = 0;
    this.prev.write(prevHash, "latin1");
  }

  /** The hash of the last line written, the next line's prev. */
  get lastHash(): string {
    return this.prev.toString("latin1");
  }

  /** The lines written so far, "\n" after each. A view: valid until the next append. */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Appends the line for `event` (one JSON object, no CR or LF in it) logged at `loggedAt` (ISO 8601, ms, Z). */
  append(loggedAt: string, event: Uint8Array): void {
    this.reserve(event.length + loggedAt.length + OVERHEAD);
    const buffer = this.buffer;
    const start = this.length;
    // Scratch: prev + "\n" + record, hashed as the chain defines.
    let at = start;
    at += this.prev.copy(buffer, at);
    buffer[at++] = 0x0a;
    const recordStart = at;
    at += RECORD_HEAD.copy(buffer, at);
    at += buffer.write(loggedAt, at, "latin1");
    at += RECORD_MIDDLE.copy(buffer, at);
    buffer.set(event, at);
    at += event.length;
    buffer[at++] = 0x7d; // "}"
    sha256Into(buffer.subarray(start, at), this.digest);
    // The line is the record without its "}", moved over the scratch prefix, then the chain's tail.
    buffer.copyWithin(start, recordStart, at - 1);
    at = start + (at - 1 - recordStart);
    at += TAIL_PREV.copy(buffer, at);
    at += this.prev.copy(buffer, at);
    at += TAIL_HASH.copy(buffer, at);
    const digest = this.digest;
    for (let i = 0; i < digest.length; i++) {
      const byte = digest[i]!;
      this.prev[2 * i] = HEX[byte >> 4]!;
      this.prev[2 * i + 1] = HEX[byte & 0x0f]!;
    }
    at += this.prev.copy(buffer, at);
    at += TAIL_END.copy(buffer, at);
    this.length = at;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
