import { AppError } from "../errors.ts";
import { errorCodeName } from "./codes.ts";

/**
 * A failure reported by librdkafka. `codeName` is librdkafka's own name for the code (e.g. `_MSG_TIMED_OUT`,
 * `TOPIC_AUTHORIZATION_FAILED`), so logs and callers can match on it without a second table.
 */
export class KafkaError extends AppError {
  readonly code: number;
  readonly codeName: string;
  readonly retriable: boolean;
  readonly fatal: boolean;

  constructor(
    code: number,
    detail: string,
    options: { retriable?: boolean; fatal?: boolean; cause?: unknown; context?: string } = {},
  ) {
    const codeName = errorCodeName(code);
    super(`${options.context ? `${options.context}: ` : ""}${codeName}: ${detail}`, options);
    this.code = code;
    this.codeName = codeName;
    this.retriable = options.retriable ?? retriableCodes.has(codeName);
    this.fatal = options.fatal ?? false;
  }
}

// librdkafka only says "retriable" on rd_kafka_error_t objects; delivery reports carry a bare code, so
// these are the codes for which sending the same message again can succeed.
const retriableCodes = new Set([
  "_MSG_TIMED_OUT",
  "_TIMED_OUT",
  "_TRANSPORT",
  "_ALL_BROKERS_DOWN",
  "_QUEUE_FULL",
  "_PURGE_QUEUE",
  "_PURGE_INFLIGHT",
  "REQUEST_TIMED_OUT",
  "NOT_LEADER_OR_FOLLOWER",
  "LEADER_NOT_AVAILABLE",
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "NETWORK_EXCEPTION",
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "REBALANCE_IN_PROGRESS",
]);
