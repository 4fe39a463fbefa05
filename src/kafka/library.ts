import { CString, type Pointer } from "bun:ffi";
import { openLibrdkafka, type Librdkafka } from "./ffi.ts";
import { KafkaError } from "./errors.ts";

// Where `scripts/build-librdkafka.sh` leaves the library. A compiled binary and the
// LIBRDKAFKA_PATH setting (read by config.ts) override it through useLibrdkafka().
const LIBRDKAFKA_VERSION = "2.15.1";
const defaultPath = new URL(`../../.cache/librdkafka/${LIBRDKAFKA_VERSION}/lib/librdkafka.so.1`, import.meta.url)
  .pathname;

let path = defaultPath;
let opened: Librdkafka | undefined;

/** Chooses the librdkafka shared object; must run before the first client is made. */
export function useLibrdkafka(libraryPath: string): void {
  if (opened && libraryPath !== path) throw new Error(`librdkafka already loaded from ${path}`);
  path = libraryPath;
}

export function librdkafka(): Librdkafka {
  if (!opened) {
    try {
      opened = openLibrdkafka(path).symbols;
    } catch (cause) {
      throw new KafkaError(-1, `cannot load librdkafka from ${path} (run scripts/build-librdkafka.sh)`, { cause });
    }
  }
  return opened;
}

export function librdkafkaVersion(): string {
  return librdkafka().rd_kafka_version_str().toString();
}

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `text`, for const char* arguments. */
export function cstr(text: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.byteLength(text) + 1);
  encoder.encodeInto(text, bytes);
  return bytes;
}

export function readCString(pointer: Pointer | null | number): string {
  return pointer ? new CString(pointer as Pointer).toString() : "";
}

/** Turns an rd_kafka_error_t* into a KafkaError and frees it; null means success. */
export function takeError(error: Pointer | null, context?: string): KafkaError | null {
  if (!error) return null;
  const lib = librdkafka();
  const result = new KafkaError(lib.rd_kafka_error_code(error), lib.rd_kafka_error_string(error).toString(), {
    retriable: lib.rd_kafka_error_is_retriable(error) !== 0,
    fatal: lib.rd_kafka_error_is_fatal(error) !== 0,
    context,
  });
  lib.rd_kafka_error_destroy(error);
  return result;
}

export function errorFromCode(code: number, context?: string): KafkaError {
  return new KafkaError(code, librdkafka().rd_kafka_err2str(code).toString(), { context });
}
