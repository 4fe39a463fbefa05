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
 * The agents' consumers. librdkafka prefetches up to 64 MiB per partition: an audit agent catching up on
 * three busy partitions held ~190 MB of it (peak RSS 677 MB at 71k events/s). 16 MiB per partition measured
 * 610 MB at 75k events/s: the prefetch never ran short.
 *
 * Against the embedded broker, also fetch.wait.max.ms=50. librdkafka's mock cluster answers a fetch only
 * when the consumer's wait (500 ms by default) is up, new messages or not: events took 200-500 ms to reach
 * the agents. At 50 ms they take 17-49 ms, and `--role=all` idles at 1.6 % of a core instead of 0.6 %.
 * A consumer property only: producers given it warn that they ignore it.
 */
export function agentConsumerProperties(properties: KafkaProperties, embeddedBroker: boolean): KafkaProperties {
  const fetchWait: KafkaProperties = embeddedBroker ? { "fetch.wait.max.ms": "50" } : {};
  return { "queued.max.messages.kbytes": "16384", ...fetchWait, ...properties };
}
