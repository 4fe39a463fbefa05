import { cString, type Pointer } from "../runtime/native.ts";
import { openLibc, openLibrdkafka, type Libc, type Librdkafka } from "./ffi.ts";
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

let libcOpened: Libc | null | undefined;

/** libc, or null where it cannot be opened (not glibc Linux): callers then fall back to plain polling. */
export function libc(): Libc | null {
  if (libcOpened === undefined) {
    try {
      libcOpened = process.platform === "linux" ? openLibc("libc.so.6") : null;
    } catch {
      libcOpened = null;
    }
  }
  return libcOpened;
}

/**
 * Blocks up to `timeoutMs` until every librdkafka client of this process has been destroyed (its threads
 * joined); false if some are still alive. For leak checks: a closed Producer, Consumer or Admin leaves none.
 */
export function allClientsDestroyed(timeoutMs: number): boolean {
  return !opened || opened.rd_kafka_wait_destroyed(timeoutMs) === 0;
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
  return pointer ? cString(pointer) : "";
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
