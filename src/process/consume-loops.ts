import type { Consumer } from "../kafka/consumer.ts";
import type { Producer } from "../kafka/producer.ts";
import type { Logger } from "../log.ts";
import type { Agent } from "../transport/agent.ts";
import type { ConsumeLoop } from "../transport/consume-loop.ts";
import type { Delivery } from "../transport/types.ts";
import { ParallelLoop } from "../transport/parallel-loop.ts";
import { Subscriber, type SubscriberMetrics } from "../transport/subscriber.ts";
import { tracedBatch, tracedOne } from "../telemetry/handling-spans.ts";
import type { Tracer } from "../telemetry/tracer.ts";
import type { KafkaClients } from "./kafka-clients.ts";

export interface LoopParts {
  kafka: KafkaClients;
  /** Writes dead letters. */
  producer: Producer;
  logger: Logger;
  metrics: SubscriberMetrics;
  tracer: Tracer;
}

/** The consume loop an agent asks for, over a consumer of its own group. */
export function consumeLoopFor(agent: Agent, { kafka, producer, logger, metrics, tracer }: LoopParts): { loop: ConsumeLoop; consumer: Consumer } {
  const common = { group: agent.group, topics: agent.topics, producer, logger, metrics };
  if (agent.kind === "parallel") {
    // Taking more than the slots can run only holds memory: the consumer's buffer is kept to the concurrency.
    const consumer = kafka.consumer(agent.group, logger, { maxBuffered: agent.concurrency });
    const handleOne = (delivery: Delivery) => agent.handleOne(delivery);
    const loop = new ParallelLoop({
      ...common,
      consumer,
      concurrency: agent.concurrency,
      accepts: agent.accepts?.bind(agent),
      handle: tracer.exporting ? tracedOne(tracer, agent, handleOne) : handleOne,
    });
    return { loop, consumer };
  }
  const consumer = kafka.consumer(agent.group, logger, { coPartitioned: agent.coPartitioned, fetchWaitMs: agent.fetchWaitMs });
  const loop = new Subscriber({
    ...common,
    consumer,
    handle: tracer.exporting ? tracedBatch(tracer, agent, agent.handle) : agent.handle,
    maxBatch: agent.maxBatch,
    commitEach: agent.commitEach,
    accepts: agent.accepts?.bind(agent),
    decode: agent.decode?.bind(agent),
    replay: agent.replay,
  });
  return { loop, consumer };
}
