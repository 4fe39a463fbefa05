/** A record header as consumers see it: its name, and its value (null when the record says null). */
export type Header = [string, Uint8Array | null];

/**
 * Parses a Kafka v2 record's header bytes as librdkafka's rd_kafka_msg_headers_parse does: a zigzag varint
 * count, then per header a varint name length, the name, a varint value length (-1 for null) and the value.
 * Values are returned by `value(index, length)`, so they can be views of the bytes rather than copies.
 * Returns null when the bytes are malformed.
 */
export function parseHeaders(
  bytes: Uint8Array,
  start: number,
  length: number,
  value: (index: number, length: number) => Uint8Array,
  names: HeaderNames = new HeaderNames(),
): Header[] | null {
  const end = start + length;
  const reader = { at: start, end };
  const count = readVarint(bytes, reader);
  if (count < 0) return null;
  const headers: Header[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = readVarint(bytes, reader);
    if (nameLength < 0 || reader.at + nameLength > end) return null;
    const name = names.name(i, bytes, reader.at, nameLength);
    reader.at += nameLength;
    const valueLength = readVarint(bytes, reader);
    if (reader.at > end || reader.at + valueLength > end) return null;
    if (valueLength < 0) headers.push([name, null]);
    else {
      headers.push([name, value(reader.at, valueLength)]);
      reader.at += valueLength;
    }
  }
  return headers;
}

/** A zigzag varint; past the end it reads as -1 and moves the reader past the end. */
function readVarint(bytes: Uint8Array, reader: { at: number; end: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (reader.at >= reader.end) {
      reader.at = reader.end + 1;
      return -1;
    }
    const byte = bytes[reader.at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 128;
  }
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

const textDecoder = new TextDecoder();
const MAX_CACHED_NAME = 64;

/**
 * The names last seen at each header position, as bytes and as strings. Messages of one topic carry the
 * same header names in the same order, so a name is usually a byte comparison away, with no string built.
 */
export class HeaderNames {
  private readonly bytes: Uint8Array[] = [];
  private readonly texts: string[] = [];

  name(position: number, source: Uint8Array, start: number, length: number): string {
    const seen = this.bytes[position];
    if (seen !== undefined && seen.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (seen[i] !== source[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.texts[position]!;
    }
    const text = utf8(source, start, length);
    if (length <= MAX_CACHED_NAME && position < 64) {
      this.bytes[position] = source.slice(start, start + length);
      this.texts[position] = text;
    }
    return text;
  }
}

function utf8(bytes: Uint8Array, start: number, length: number): string {
  return textDecoder.decode(bytes.subarray(start, start + length));
}

export function sameHeaders(a: readonly Header[], b: readonly Header[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [nameA, valueA] = a[i]!;
    const [nameB, valueB] = b[i]!;
    if (nameA !== nameB || (valueA === null) !== (valueB === null)) return false;
    if (valueA && valueB && (valueA.length !== valueB.length || valueA.some((byte, j) => byte !== valueB[j]))) return false;
  }
  return true;
}
