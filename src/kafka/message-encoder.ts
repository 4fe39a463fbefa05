import { ptr, type Pointer } from "../runtime/native.ts";
import {
  RD_KAFKA_VTYPE_HEADER,
  RD_KAFKA_VTYPE_KEY,
  RD_KAFKA_VTYPE_MSGFLAGS,
  RD_KAFKA_VTYPE_OPAQUE,
  RD_KAFKA_VTYPE_PARTITION,
  RD_KAFKA_VTYPE_RKT,
  RD_KAFKA_VTYPE_VALUE,
  RD_KAFKA_VU_SIZE,
} from "./ffi.ts";

export type HeaderValue = string | Uint8Array | null;
export type Headers = Readonly<Record<string, HeaderValue>> | ReadonlyArray<readonly [string, HeaderValue]>;

const FIXED_FIELDS = 6;

/**
 * Lays out one message as an rd_kafka_vu_t array for rd_kafka_produceva. Keys, values and header bytes go
 * into one reused arena, so a send costs no allocation beyond the caller's own; librdkafka copies
 * everything (RD_KAFKA_MSG_F_COPY) before produceva returns, so the arena is free again after.
 */
export class MessageEncoder {
  private arena = Buffer.alloc(64 * 1024);
  private arenaAddress = ptr(this.arena);
  private used = 0;
  private vus = new Uint8Array(RD_KAFKA_VU_SIZE * (FIXED_FIELDS + 8));
  private words = new Uint32Array(this.vus.buffer);
  private ints = new Int32Array(this.vus.buffer);
  /** Where the last encode() left its rd_kafka_vu_t array. */
  address: Pointer = ptr(this.vus);

  /** Encodes one message at `address`; returns how many rd_kafka_vu_t it takes. */
  encode(
    topic: Pointer,
    partition: number,
    key: string | Uint8Array | null,
    value: string | Uint8Array | null,
    headers: Headers | undefined,
    opaque: number,
    flags: number,
  ): number {
    this.reserve(key, value, headers);
    let slot = 0;
    this.setType(slot, RD_KAFKA_VTYPE_RKT);
    this.setPointer(slot++, 8, topic);
    this.setType(slot, RD_KAFKA_VTYPE_PARTITION);
    this.ints[(slot++ * RD_KAFKA_VU_SIZE + 8) / 4] = partition;
    this.setType(slot, RD_KAFKA_VTYPE_MSGFLAGS);
    this.ints[(slot++ * RD_KAFKA_VU_SIZE + 8) / 4] = flags;
    this.setType(slot, RD_KAFKA_VTYPE_OPAQUE);
    this.setPointer(slot++, 8, opaque);
    if (key !== null) slot = this.setBytes(slot, RD_KAFKA_VTYPE_KEY, key);
    slot = this.setBytes(slot, RD_KAFKA_VTYPE_VALUE, value);
    // Objects are walked with for...in rather than Object.entries: no array per header per send.
    if (Array.isArray(headers)) {
      for (const [name, headerValue] of headers as ReadonlyArray<readonly [string, HeaderValue]>) {
        slot = this.setHeader(slot, name, headerValue);
      }
    } else if (headers !== undefined) {
      const record = headers as Readonly<Record<string, HeaderValue>>;
      for (const name in record) if (Object.hasOwn(record, name)) slot = this.setHeader(slot, name, record[name]!);
    }
    this.used = 0;
    return slot;
  }

  private setHeader(slot: number, name: string, value: HeaderValue): number {
    this.setType(slot, RD_KAFKA_VTYPE_HEADER);
    this.setPointer(slot, 8, this.arenaAddress + this.put(name, true));
    if (value === null) {
      this.setPointer(slot, 16, 0);
      this.setPointer(slot, 24, 0);
    } else {
      const start = this.put(value, false);
      this.setPointer(slot, 16, this.arenaAddress + start);
      this.setPointer(slot, 24, this.used - start);
    }
    return slot + 1;
  }

  private setBytes(slot: number, type: number, bytes: string | Uint8Array | null): number {
    this.setType(slot, type);
    if (bytes === null) {
      this.setPointer(slot, 8, 0);
      this.setPointer(slot, 16, 0);
    } else {
      const start = this.put(bytes, false);
      this.setPointer(slot, 8, this.arenaAddress + start);
      this.setPointer(slot, 16, this.used - start);
    }
    return slot + 1;
  }

  private setType(slot: number, type: number): void {
    this.ints[(slot * RD_KAFKA_VU_SIZE) / 4] = type;
  }

  // Pointers are below 2^53, so they split exactly into two 32-bit words.
  private setPointer(slot: number, offset: number, value: number): void {
    const word = (slot * RD_KAFKA_VU_SIZE + offset) / 4;
    this.words[word] = value >>> 0;
    this.words[word + 1] = Math.floor(value / 0x1_0000_0000);
  }

  /** Copies bytes into the arena; returns their start. An empty value still gets a valid address. */
  private put(bytes: string | Uint8Array, terminate: boolean): number {
    const start = this.used;
    // Buffer.write encodes UTF-8 in place, without the subarray that TextEncoder.encodeInto needs.
    if (typeof bytes === "string") this.used += this.arena.write(bytes, start);
    else {
      this.arena.set(bytes, start);
      this.used += bytes.length;
    }
    if (terminate) this.arena[this.used++] = 0;
    return start;
  }

  /** Grows the arena and slot table so the whole message fits; sized by the UTF-8 worst case. */
  private reserve(key: HeaderValue, value: HeaderValue, headers: Headers | undefined): void {
    let need = worstCase(key) + worstCase(value);
    let count = 0;
    if (Array.isArray(headers)) {
      for (const [name, headerValue] of headers as ReadonlyArray<readonly [string, HeaderValue]>) {
        need += worstCase(name) + 1 + worstCase(headerValue);
        count++;
      }
    } else if (headers !== undefined) {
      const record = headers as Readonly<Record<string, HeaderValue>>;
      for (const name in record) {
        if (!Object.hasOwn(record, name)) continue;
        need += worstCase(name) + 1 + worstCase(record[name]!);
        count++;
      }
    }
    if (need > this.arena.length) {
      this.arena = Buffer.alloc(2 ** Math.ceil(Math.log2(need)));
      this.arenaAddress = ptr(this.arena);
    }
    const slots = FIXED_FIELDS + count;
    if (slots * RD_KAFKA_VU_SIZE > this.vus.length) {
      this.vus = new Uint8Array(RD_KAFKA_VU_SIZE * slots * 2);
      this.words = new Uint32Array(this.vus.buffer);
      this.ints = new Int32Array(this.vus.buffer);
      this.address = ptr(this.vus);
    }
  }
}

function worstCase(part: HeaderValue): number {
  if (part === null) return 0;
  return typeof part === "string" ? part.length * 3 : part.length;
}
