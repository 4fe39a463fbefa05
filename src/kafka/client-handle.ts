import { ptr, read, type Pointer } from "bun:ffi";
import type { Logger } from "../log.ts";
import { buildConf, type KafkaProperties } from "./client-config.ts";
import { RD_KAFKA_EVENT_ERROR, RD_KAFKA_EVENT_LOG } from "./ffi.ts";
import { KafkaError } from "./errors.ts";
import { librdkafka, readCString } from "./library.ts";
import { ConfigError } from "../errors.ts";

const ERRSTR_SIZE = 512;

/**
 * Makes an rd_kafka_t that reports everything through its queues (the event API) and sends its logs to
 * the main queue too, so nothing but the JS thread ever handles them.
 */
export function createHandle(type: number, properties: KafkaProperties, events: number): Pointer {
  const lib = librdkafka();
  const conf = buildConf({ "log.queue": "true", ...properties });
  lib.rd_kafka_conf_set_events(conf, events | RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR);
  const errstr = new Uint8Array(ERRSTR_SIZE);
  const rk = lib.rd_kafka_new(type, conf, ptr(errstr), ERRSTR_SIZE);
  if (!rk) {
    // rd_kafka_new frees the conf only on success.
    lib.rd_kafka_conf_destroy(conf);
    throw new ConfigError([readCString(ptr(errstr))]);
  }
  lib.rd_kafka_set_log_queue(rk, null);
  return rk;
}

// syslog levels, as librdkafka uses them.
const levelNames = ["fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug"] as const;

/** The events every client gets: librdkafka's logs and its client-level errors. */
export class CommonEvents {
  private readonly out = new BigUint64Array(2);
  private readonly level = new Int32Array(1);
  fatal: KafkaError | undefined;

  constructor(
    private readonly rk: Pointer,
    private readonly logger: Logger,
  ) {}

  /** Returns false when the event is not a log or error event. */
  handle(event: Pointer, type: number): boolean {
    const lib = librdkafka();
    if (type === RD_KAFKA_EVENT_LOG) {
      lib.rd_kafka_event_log(event, ptr(this.out), ptr(this.out, 8), ptr(this.level));
      const facility = readCString(Number(this.out[0]));
      const message = readCString(Number(this.out[1]));
      const level = levelNames[this.level[0] ?? 7] ?? "debug";
      this.logger[level]({ facility }, message);
      return true;
    }
    if (type === RD_KAFKA_EVENT_ERROR) {
      const code = lib.rd_kafka_event_error(event);
      const fatal = lib.rd_kafka_event_error_is_fatal(event) !== 0;
      let detail = lib.rd_kafka_event_error_string(event).toString();
      if (fatal) {
        const errstr = new Uint8Array(ERRSTR_SIZE);
        const fatalCode = lib.rd_kafka_fatal_error(this.rk, ptr(errstr), ERRSTR_SIZE);
        detail = readCString(ptr(errstr)) || detail;
        this.fatal = new KafkaError(fatalCode || code, detail, { fatal: true });
        this.logger.error({ code: this.fatal.codeName }, `fatal client error: ${detail}`);
      } else {
        // Transport and broker-down errors are informational: librdkafka keeps retrying by itself.
        const error = new KafkaError(code, detail);
        this.logger.warn({ code: error.codeName }, detail);
      }
      return true;
    }
    return false;
  }
}

export function pointerAt(base: Pointer, offset: number): Pointer | null {
  return read.ptr(base, offset) as Pointer | null;
}
