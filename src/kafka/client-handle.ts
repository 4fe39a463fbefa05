import { ptr, read, type Pointer } from "../runtime/native.ts";
import type { Logger } from "../log.ts";
import { buildConf, type KafkaProperties } from "./client-config.ts";
import { RD_KAFKA_EVENT_ERROR, RD_KAFKA_EVENT_LOG, RD_KAFKA_EVENT_STATS } from "./ffi.ts";
import { Connectivity } from "./connectivity.ts";
import { KafkaError } from "./errors.ts";
import { librdkafka, readCString } from "./library.ts";
import { ConfigError } from "../errors.ts";

const ERRSTR_SIZE = 512;
/**
 * How often librdkafka reports its brokers' states. They are how a client learns that the cluster is back
 * after an outage (librdkafka emits no event when a connection comes up), so readiness turns within this.
 */
export const STATISTICS_INTERVAL_MS = 1000;

/**
 * Makes an rd_kafka_t that reports everything through its queues (the event API) and sends its logs to
 * the main queue too, so nothing but the JS thread ever handles them.
 */
export function createHandle(type: number, properties: KafkaProperties, events: number, options: { polled?: boolean } = {}): Pointer {
  const lib = librdkafka();
  // A handle nobody polls (the embedded broker's host) must not queue statistics it would keep forever.
  const statistics: KafkaProperties = options.polled === false ? {} : { "statistics.interval.ms": String(STATISTICS_INTERVAL_MS) };
  // librdkafka backs reconnects off up to 10 s; at 2 s a client is back within ~3 s of the cluster's return
  // (statistics included), and a client retrying every 2 s while the cluster is away costs next to nothing.
  const conf = buildConf({ "log.queue": "true", "reconnect.backoff.max.ms": "2000", ...properties, ...statistics });
  lib.rd_kafka_conf_set_events(conf, events | RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR | (options.polled === false ? 0 : RD_KAFKA_EVENT_STATS));
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

// Every client gets every KAFKA_* setting; a consumer-only one given to a producer is expected, not a mistake.
const IGNORED_PROPERTY = /is a (consumer|producer) property and will be ignored by this (producer|consumer) instance/;
// Log facilities that only repeat what the connection errors say; Connectivity reports outages instead.
const CONNECTION_FACILITIES = new Set(["FAIL", "BROKERFAIL"]);

/** The events every client gets: librdkafka's logs, its client-level errors and its statistics. */
export class CommonEvents {
  private readonly out = new BigUint64Array(2);
  private readonly level = new Int32Array(1);
  fatal: KafkaError | undefined;
  readonly connectivity: Connectivity;

  constructor(
    private readonly rk: Pointer,
    private readonly logger: Logger,
  ) {
    this.connectivity = new Connectivity(logger);
  }

  /** Returns false when the event is not a log, error or statistics event. */
  handle(event: Pointer, type: number): boolean {
    const lib = librdkafka();
    if (type === RD_KAFKA_EVENT_STATS) {
      this.connectivity.stats(lib.rd_kafka_event_stats(event).toString());
      return true;
    }
    if (type === RD_KAFKA_EVENT_LOG) {
      lib.rd_kafka_event_log(event, ptr(this.out), ptr(this.out, 8), ptr(this.level));
      const facility = readCString(Number(this.out[0]));
      const message = readCString(Number(this.out[1]));
      const level = CONNECTION_FACILITIES.has(facility) || IGNORED_PROPERTY.test(message) ? "debug" : (levelNames[this.level[0] ?? 7] ?? "debug");
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
        const error = new KafkaError(code, detail);
        // librdkafka keeps retrying connections by itself; Connectivity logs the outage at a sane rate.
        if (Connectivity.isConnectionError(error.codeName)) this.connectivity.failed(error.codeName, detail);
        else this.logger.warn({ code: error.codeName }, detail);
      }
      return true;
    }
    return false;
  }
}

export function pointerAt(base: Pointer, offset: number): Pointer | null {
  return read.ptr(base, offset) as Pointer | null;
}
