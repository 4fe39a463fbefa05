// The bare request/reply peer's relaying side: one consumer on FROM_TOPIC (bench-requests), each message
// produced to TO_TOPIC (bench-replies) with its key and value, through the same client (librdkafka by bun:ffi)
// and the same producer settings as the roles (idempotent, acks=all, linger.ms=1). No parsing, no state: the
// floor of a crossing. Three of them in a row make the bare chain of four crossings, our round trip's shape.
import { agentConsumerProperties, agentProducerProperties } from "../../src/client-defaults.ts";
import { Consumer } from "../../src/kafka/consumer.ts";
import { Producer } from "../../src/kafka/producer.ts";

const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS!;
const from = process.env.FROM_TOPIC ?? "bench-requests";
const to = process.env.TO_TOPIC ?? "bench-replies";
const linger: Record<string, string> = process.env.KAFKA_LINGER_MS ? { "linger.ms": process.env.KAFKA_LINGER_MS } : {};
const producer = new Producer(agentProducerProperties({ "bootstrap.servers": bootstrap, ...linger }));
const consumer = new Consumer({ groupId: `bench-relay-${from}`, properties: agentConsumerProperties({ "bootstrap.servers": bootstrap }, false) });
consumer.subscribe([from]);
console.log("replying");
for await (const batch of consumer.batches(1_000)) {
  await Promise.all(batch.map((message) => producer.send({ topic: to, key: message.key, value: message.value })));
  void consumer.commit(batch);
}
