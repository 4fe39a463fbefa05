import type { KafkaProperties } from "./kafka/client-config.ts";

/*
 * Where our roles depart from librdkafka's defaults, in one place. A KAFKA_* setting overrides each of them,
 * except the api's message.timeout.ms, which is its answer deadline.
 */

/**
 * The api's producer. linger.ms=1: each request waits for its acknowledgement, so batching longer only adds
 * latency (at 64 concurrent clients: 23,500 req/s with 1 ms against 9,500 with librdkafka's 5 ms). The
 * producer gives up when the client is answered 503, so "nothing claimed" holds.
 */
export function apiProducerProperties(properties: KafkaProperties, publishTimeoutMs: number): KafkaProperties {
  return { "linger.ms": "1", ...properties, "message.timeout.ms": String(publishTimeoutMs) };
}

/**
 * The producer agents publish their facts and dead letters through. linger.ms=1 as for the api: a worker's
 * slot waits on the acknowledgement of its report, so batching longer only holds the slot (librdkafka's 5 ms
 * cost a worker with a 100 ms handler about a tenth of its throughput).
 */
export function agentProducerProperties(properties: KafkaProperties): KafkaProperties {
  return { "linger.ms": "1", ...properties };
}

/** Properties only the classic group protocol takes; given one of them, the classic protocol is what is meant. */
const CLASSIC_PROTOCOL_ONLY = ["session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy", "group.protocol.type"];

/**
 * The agents' consumers. librdkafka prefetches up to 64 MiB per partition: an audit agent catching up on
 * three busy partitions held ~190 MB of it (peak RSS 677 MB at 71k events/s). 16 MiB per partition measured
 * 610 MB at 75k events/s: the prefetch never ran short.
 *
 * group.protocol=consumer, Kafka 4's consumer group protocol (KIP-848): after a broker outage longer than the
 * session timeout a classic member is evicted locally and must wait for the broker to expire its old self
 * before its group re-forms (45.2 s measured after 63 s away, bench/outage-cpu.ts); a KIP-848 member keeps
 * its place and is ready 2.8 s after the broker's return. Brokers before Kafka 4.0 refuse it: /readyz then
 * says to set KAFKA_GROUP_PROTOCOL=classic. A classic-only setting (KAFKA_SESSION_TIMEOUT_MS, ...) keeps the
 * classic protocol, since librdkafka refuses it with the new one.
 *
 * Against the embedded broker, also fetch.wait.max.ms=50. librdkafka's mock cluster answers a fetch only
 * when the consumer's wait (500 ms by default) is up, new messages or not: events took 200-500 ms to reach
 * the agents. At 50 ms they take 17-49 ms, and `--role=all` idles at 1.6 % of a core instead of 0.6 %.
 * A consumer property only: producers given it warn that they ignore it.
 */
export function agentConsumerProperties(
  properties: KafkaProperties,
  embeddedBroker: boolean,
  options: { coPartitioned?: boolean; fetchWaitMs?: number } = {},
): KafkaProperties {
  const fetchWait: KafkaProperties =
    options.fetchWaitMs !== undefined
      ? { "fetch.wait.max.ms": String(options.fetchWaitMs), "fetch.min.bytes": String(256 * 1024) }
      : embeddedBroker
        ? { "fetch.wait.max.ms": "50" }
        : {};
  const classic = CLASSIC_PROTOCOL_ONLY.some((name) => properties[name] !== undefined);
  const protocol: KafkaProperties = classic ? {} : { "group.protocol": "consumer" };
  const merged: Record<string, string> = { "queued.max.messages.kbytes": "16384", ...fetchWait, ...protocol, ...properties };
  if (options.coPartitioned) {
    // Not the user's to choose: the orchestrator is only correct when partition N of each of its topics
    // goes to one member, which both protocols' range assignors do for topics of equal partition counts.
    if (merged["group.protocol"] === "consumer") merged["group.remote.assignor"] = "range";
    else merged["partition.assignment.strategy"] = "range";
  }
  return merged;
}
