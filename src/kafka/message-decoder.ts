import { ptr, read, toArrayBuffer, type Pointer } from "bun:ffi";
import { MESSAGE } from "./ffi.ts";
import { librdkafka, readCString } from "./library.ts";

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<[string, Uint8Array | null]>;
  /** Milliseconds since the epoch, as the producer or broker stamped it; -1 when unknown. */
  timestamp: number;
}

/**
 * Copies a consumed rd_kafka_message_t into JS memory. Everything is copied because the native message is
 * freed with its event right after; nothing handed to callers points into librdkafka.
 */
export class MessageDecoder {
  private readonly topicNames = new Map<number, string>();
  private readonly out = new BigUint64Array(3);

  decode(message: Pointer): ConsumedMessage {
    const rkt = read.ptr(message, MESSAGE.rkt);
    let topic = this.topicNames.get(rkt);
    if (topic === undefined) {
      topic = librdkafka().rd_kafka_topic_name(rkt as Pointer).toString();
      this.topicNames.set(rkt, topic);
    }
    return {
      topic,
      partition: read.i32(message, MESSAGE.partition),
      offset: Number(read.i64(message, MESSAGE.offset)),
      key: copyBytes(read.ptr(message, MESSAGE.key), Number(read.u64(message, MESSAGE.key_len))),
      value: copyBytes(read.ptr(message, MESSAGE.payload), Number(read.u64(message, MESSAGE.len))),
      headers: this.headers(message),
      timestamp: Number(librdkafka().rd_kafka_message_timestamp(message, null)),
    };
  }

  private headers(message: Pointer): Array<[string, Uint8Array | null]> {
    const lib = librdkafka();
    const out = this.out;
    if (lib.rd_kafka_message_headers(message, ptr(out)) !== 0) return [];
    const list = Number(out[0]) as Pointer;
    const headers: Array<[string, Uint8Array | null]> = [];
    for (let i = 0; lib.rd_kafka_header_get_all(list, i, ptr(out), ptr(out, 8), ptr(out, 16)) === 0; i++) {
      headers.push([readCString(Number(out[0])), copyBytes(Number(out[1]), Number(out[2]))]);
    }
    return headers;
  }
}

function copyBytes(address: number, length: number): Uint8Array | null {
  if (!address) return null;
  if (length === 0) return new Uint8Array(0);
  return new Uint8Array(toArrayBuffer(address as Pointer, 0, length).slice(0));
}

const decoder = new TextDecoder();

/** A header's value as text, or undefined when absent. */
export function headerText(message: Pick<ConsumedMessage, "headers">, name: string): string | undefined {
  for (const [headerName, value] of message.headers) {
    if (headerName === name) return value === null ? undefined : decoder.decode(value);
  }
  return undefined;
}
