import { ptr, type Pointer } from "../runtime/native.ts";
import { silentLogger, type Logger } from "../log.ts";
import { RD_KAFKA_PRODUCER, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS } from "./ffi.ts";
import { createHandle } from "./client-handle.ts";
import { KafkaError } from "./errors.ts";
import { cstr, errorFromCode, librdkafka } from "./library.ts";

export interface EmbeddedBroker {
  bootstrap: string;
  /** The mock cluster has no CreateTopics handler, so topics are made through its own API. */
  createTopics(topics: ReadonlyArray<{ topic: string; partitions: number }>): void;
  close(): void;
}

/**
 * Starts librdkafka's in-process mock cluster, the development default when no Kafka is configured.
 * It lives in this process's memory: nothing survives a restart, so it is never for production.
 */
export function startEmbeddedBroker(logger: Logger = silentLogger, brokers = 1): EmbeddedBroker {
  const lib = librdkafka();
  // The mock cluster needs a client handle to live on; this one sends nothing and reports nothing.
  const host = createHandle(RD_KAFKA_PRODUCER, { "log_level": "3" }, 0, { polled: false });
  const cluster = lib.rd_kafka_mock_cluster_new(host, brokers);
  if (!cluster) {
    lib.rd_kafka_destroy(host);
    throw new KafkaError(-1, "could not start the embedded broker");
  }
  const bootstrap = lib.rd_kafka_mock_cluster_bootstraps(cluster).toString();
  logger.warn(
    { bootstrap },
    "embedded broker started: in-memory and NOT durable; every event is lost when this process exits. " +
      "Set KAFKA_BOOTSTRAP_SERVERS to use a real Kafka cluster.",
  );
  let closed = false;
  return {
    bootstrap,
    createTopics(topics) {
      for (const { topic, partitions } of topics) {
        const code = lib.rd_kafka_mock_topic_create(cluster, ptr(cstr(topic)), partitions, 1);
        if (code !== 0 && code !== RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) throw errorFromCode(code, `create topic ${topic}`);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      lib.rd_kafka_mock_cluster_destroy(cluster as Pointer);
      lib.rd_kafka_destroy(host);
    },
  };
}
