import { join } from "node:path";
import { apiProducerProperties } from "../client-defaults.ts";
import { IdempotencyStore } from "../http/idempotency-store.ts";
import { tasksRoute } from "../http/tasks-route.ts";
import { KafkaPublisher } from "../transport/kafka-publisher.ts";
import type { RoleContext, RoleInstance } from "./role.ts";

/**
 * The HTTP producer: POST /tasks publishes task.created through a producer of its own, whose
 * message.timeout.ms is the answer deadline, so a request answered 503 leaves nothing behind to be sent.
 */
export function startApiRole(context: RoleContext): RoleInstance {
  const { config, kafka, logger, metrics, shutdown } = context;
  const registry = context.agentRegistry();
  const producer = kafka.producer("api-producer", apiProducerProperties(kafka.properties, config.api.publishTimeoutMs), logger);
  const idempotency = new IdempotencyStore(join(config.dataDir, "api-idempotency.sqlite"), Date.now, logger);
  const publisher = new KafkaPublisher(producer, (event, seconds) =>
    metrics.deliverySeconds.observe({ event_type: event.event_type }, seconds), context.tracer,
  );
  const routes = tasksRoute({
    publisher,
    idempotency,
    logger,
    publishTimeoutMs: config.api.publishTimeoutMs,
    tokens: config.api.tokens,
    targets: { agentTypes: () => (registry.caughtUp ? registry.types() : undefined), workflows: config.workflows },
    // Before the topics exist or while the producer cannot reach the cluster, a request would only wait out
    // its deadline: it is answered 503 at once, with what is missing.
    unavailable: () => [context.topicsProblem(), producer.failed ? "producer failed" : undefined, producerProblem()].filter(isText),
    shutdown,
    tracer: context.tracer,
  });
  function producerProblem(): string | undefined {
    const { state } = producer.connectivity;
    return state === "up" ? undefined : `the api's producer cannot reach the broker (${state})`;
  }
  return {
    routes,
    readiness: {
      producer: () => (producer.failed ? "the api's producer failed: see the log" : undefined),
      disk: () => idempotency.problem(),
    },
    close: () => idempotency.close(),
  };
}

function isText(value: string | undefined): value is string {
  return value !== undefined;
}
