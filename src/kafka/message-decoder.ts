import { ptr, read, type Pointer } from "../runtime/native.ts";
import { MESSAGE, MSG_PRIVATE, MSG_PRIVATE_VERSION } from "./ffi.ts";
import { libc, librdkafka, readCString } from "./library.ts";
import { MAX_POOLED_BYTES, NativeCopier } from "./native-copier.ts";
import { HeaderNames, parseHeaders, sameHeaders, type Header } from "./record-headers.ts";

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Keys and values of messages fetched together may share one 128 KiB buffer: keep `.slice()` of a value held long. */
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<[string, Uint8Array | null]>;
  /** Milliseconds since the epoch, as the producer or broker stamped it; -1 when unknown. */
  timestamp: number;
}

const TWO_32 = 2 ** 32;
/** Varint lengths between a record's key, value and headers: at most 5 bytes each. */
const RECORD_SLACK = 10;
/** Messages (and messages with headers) checked against the public accessors before trusting the layout. */
const LAYOUT_CHECKS = 4;

// Whether rd_kafka_msg_t's private fields (MSG_PRIVATE) may be read directly: only with the librdkafka
// version they were taken from, and only after they matched the public accessors on real messages. Parsed
// headers keep being compared until LAYOUT_CHECKS messages that have headers agreed.
let layout: "unknown" | "checking" | "trusted" | "refused" = "unknown";
let layoutChecks = 0;
let headerChecks = 0;

/**
 * Copies a consumed rd_kafka_message_t into JS memory. Everything is copied because the native message is
 * freed right after; nothing handed to callers points into librdkafka.
 *
 * The per-message cost is two memcpy calls: one of the message struct, read afterwards as a typed array,
 * and one of the record's key, value and header bytes, which lie back to back in the fetched buffer. The
 * public accessors would cost an FFI call per field, rd_kafka_message_timestamp, and for headers
 * rd_kafka_message_headers plus one rd_kafka_header_get_all per header, with librdkafka parsing and
 * allocating a header list; the headers are parsed here instead.
 */
export class MessageDecoder {
  private readonly topicNames = new Map<number, string>();
  private lastRkt = 0;
  private lastTopic = "";
  private readonly out = new BigUint64Array(3);
  private readonly copier = new NativeCopier();
  private readonly struct = new Uint32Array(MSG_PRIVATE.size / 4);
  private readonly structSigned = new Int32Array(this.struct.buffer);
  private readonly structAddress = ptr(this.struct);
  private readonly memcpy = libc()?.memcpy;
  private readonly view = (index: number, length: number) => this.copier.view(index, length);
  private readonly headerNames = new HeaderNames();
  private key: Uint8Array | null = null;
  private value: Uint8Array | null = null;

  /** The message, or librdkafka's error code when it carries a consumer error instead. */
  decode(message: Pointer): ConsumedMessage | number {
    if (layout === "unknown") {
      layout = librdkafka().rd_kafka_version() === MSG_PRIVATE_VERSION && this.memcpy ? "checking" : "refused";
    }
    this.load(message, layout === "refused" ? MESSAGE.size : MSG_PRIVATE.size);
    const error = this.structSigned[MESSAGE.err / 4]!;
    if (error !== 0) return error;
    if (layout !== "trusted") return this.decodeChecked(message);
    let headers = this.copyRecord();
    if (headers === null || (headers.length > 0 && headerChecks < LAYOUT_CHECKS)) headers = this.checkedHeaders(message, headers);
    return this.build(headers, this.int64(MSG_PRIVATE.timestamp));
  }

  private decodeChecked(message: Pointer): ConsumedMessage {
    const timestamp = Number(librdkafka().rd_kafka_message_timestamp(message, null));
    if (layout === "refused") {
      this.key = this.copy(MESSAGE.key, this.struct[MESSAGE.key_len / 4]!);
      this.value = this.copy(MESSAGE.payload, this.struct[MESSAGE.len / 4]!);
      return this.build(this.publicHeaders(message), timestamp);
    }
    const headers = this.checkedHeaders(message, this.copyRecord());
    if (this.int64(MSG_PRIVATE.timestamp) !== timestamp) layout = "refused";
    else if (layout === "checking" && ++layoutChecks >= LAYOUT_CHECKS) layout = "trusted";
    return this.build(headers, timestamp);
  }

  private build(headers: Header[], timestamp: number): ConsumedMessage {
    return {
      topic: this.topic(this.pointer(MESSAGE.rkt)),
      partition: this.structSigned[MESSAGE.partition / 4]!,
      offset: this.int64(MESSAGE.offset),
      key: this.key,
      value: this.value,
      headers,
      timestamp,
    };
  }

  /**
   * Copies key and value (into this.key, this.value) and parses the headers from the raw record bytes;
   * null when those are malformed or too large to copy here.
   */
  private copyRecord(): Header[] | null {
    const words = this.struct;
    const keyAddress = this.pointer(MESSAGE.key);
    const keyLength = words[MESSAGE.key_len / 4]!;
    const valueAddress = this.pointer(MESSAGE.payload);
    const valueLength = words[MESSAGE.len / 4]!;
    const headersLength = Math.max(0, this.structSigned[MSG_PRIVATE.rawHeadersLength / 4]!);
    const headersAddress = headersLength > 0 ? this.pointer(MSG_PRIVATE.rawHeaders) : 0;
    const first = keyAddress || valueAddress || headersAddress;
    const end = headersAddress ? headersAddress + headersLength : valueAddress ? valueAddress + valueLength : keyAddress + keyLength;
    const span = end - first;
    const copier = this.copier;
    // In a v2 record the key, value and headers follow each other with only varint lengths between, so
    // one copy takes them all. Anything else (a null key between, or unexpected addresses) is copied apart.
    if (
      first !== 0 &&
      span <= MAX_POOLED_BYTES &&
      span <= keyLength + valueLength + headersLength + RECORD_SLACK &&
      (!keyAddress || keyAddress + keyLength <= (valueAddress || end)) &&
      (!valueAddress || (valueAddress >= first && valueAddress + valueLength <= (headersAddress || end))) &&
      (!headersAddress || headersAddress >= first)
    ) {
      const index = copier.copyIn(first, span);
      this.key = keyAddress ? copier.view(index + keyAddress - first, keyLength) : null;
      this.value = valueAddress ? copier.view(index + valueAddress - first, valueLength) : null;
      return this.headersAt(headersAddress ? index + headersAddress - first : -1, headersLength);
    }
    this.key = this.copy(MESSAGE.key, keyLength);
    this.value = this.copy(MESSAGE.payload, valueLength);
    if (!headersAddress) return [];
    if (headersLength > MAX_POOLED_BYTES) return null;
    return this.headersAt(copier.copyIn(headersAddress, headersLength), headersLength);
  }

  /** Headers parsed from the copy at `index` of the copier's bytes; [] for none (index -1, or a count of 0). */
  private headersAt(index: number, length: number): Header[] | null {
    if (index < 0 || this.copier.bytes[index] === 0) return [];
    return parseHeaders(this.copier.bytes, index, length, this.view, this.headerNames);
  }

  /** The public accessors' headers, after comparing them with `parsed` from the raw bytes. */
  private checkedHeaders(message: Pointer, parsed: Header[] | null): Header[] {
    const headers = this.publicHeaders(message);
    if (parsed === null || !sameHeaders(parsed, headers)) layout = "refused";
    else if (headers.length > 0) headerChecks++;
    return headers;
  }

  private publicHeaders(message: Pointer): Header[] {
    const lib = librdkafka();
    const out = this.out;
    if (lib.rd_kafka_message_headers(message, ptr(out)) !== 0) return [];
    const list = Number(out[0]) as Pointer;
    const headers: Header[] = [];
    for (let i = 0; lib.rd_kafka_header_get_all(list, i, ptr(out), ptr(out, 8), ptr(out, 16)) === 0; i++) {
      const value = Number(out[1]);
      headers.push([readCString(Number(out[0])), value ? this.copier.copy(value, Number(out[2])) : null]);
    }
    return headers;
  }

  private copy(field: number, length: number): Uint8Array | null {
    const address = this.pointer(field);
    return address ? this.copier.copy(address, length) : null;
  }

  private topic(rkt: number): string {
    if (rkt === this.lastRkt) return this.lastTopic;
    let topic = this.topicNames.get(rkt);
    if (topic === undefined) {
      topic = librdkafka().rd_kafka_topic_name(rkt as Pointer).toString();
      this.topicNames.set(rkt, topic);
    }
    this.lastRkt = rkt;
    this.lastTopic = topic;
    return topic;
  }

  // One memcpy of the struct, then typed-array reads: cheaper than a read.* call per field.
  private load(message: Pointer, size: number): void {
    if (this.memcpy) this.memcpy(this.structAddress, message, size);
    else for (let i = 0; i < size / 4; i++) this.struct[i] = read.u32(message, i * 4);
  }

  /** A pointer field of the loaded struct; addresses are below 2^53. */
  private pointer(offset: number): number {
    return this.struct[offset / 4]! + this.struct[offset / 4 + 1]! * TWO_32;
  }

  /** A 64-bit integer field of the loaded struct, exact below 2^53 (offsets, timestamps); little-endian. */
  private int64(offset: number): number {
    return this.struct[offset / 4]! + this.structSigned[offset / 4 + 1]! * TWO_32;
  }
}

const decoder = new TextDecoder();

/** A header's value as text, or undefined when absent. */
export function headerText(message: Pick<ConsumedMessage, "headers">, name: string): string | undefined {
  for (const [headerName, value] of message.headers) {
    if (headerName === name) return value === null ? undefined : decoder.decode(value);
  }
  return undefined;
}
