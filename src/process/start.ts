import { agentProducerProperties } from "../client-defaults.ts";
import type { Config } from "../config.ts";
import { TOPICS } from "../events/index.ts";
import { Health } from "../health.ts";
import { createApp } from "../http/app.ts";
import { Metrics } from "../http/metrics.ts";
import { validateProperties } from "../kafka/client-config.ts";
import type { KafkaError } from "../kafka/errors.ts";
import { startEmbeddedBroker, type EmbeddedBroker } from "../kafka/embedded-broker.ts";
import type { Producer } from "../kafka/producer.ts";
import type { Logger } from "../log.ts";
import type { RoleContext, RoleInstance } from "../roles/role.ts";
import { ROLE_TABLE, ROLES_IN_ALL, type RoleName } from "../roles/table.ts";
import type { Agent } from "../transport/agent.ts";
import { DLQ_SUFFIX } from "../transport/dead-letter.ts";
import { KafkaPublisher } from "../transport/kafka-publisher.ts";
import type { ConsumeLoop } from "../transport/consume-loop.ts";
import { consumeLoopFor } from "./consume-loops.ts";
import type { Publisher } from "../transport/types.ts";
import { KafkaClients } from "./kafka-clients.ts";
import { AgentRegistry } from "../registry/agent-registry.ts";
import { serve } from "../runtime/http-server.ts";
import { stopProcess, type StopOutcome } from "./stop.ts";
import { startTracing } from "../telemetry/start-tracing.ts";
import { TopicSetup } from "./topic-setup.ts";

const TRACER_CLOSE_MS = 500;

export interface RunningProcess {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8080. */
  url: string;
  /**
   * Stops within `budgetMs`: no new work, work in hand finished (or given up when its grace is over), HTTP
   * requests answered, offsets committed and producers flushed as far as the broker allows.
   */
  stop(budgetMs: number): Promise<StopOutcome>;
}

/**
 * Starts the roles of one process. Nothing here waits for the broker: the HTTP server answers /healthz and
 * /readyz at once, topics are created in the background (TopicSetup), and consume loops start once the
 * topics exist. /readyz names whatever is still missing.
 */
export async function startProcess(config: Config, logger: Logger): Promise<RunningProcess> {
  validateProperties(config.kafka.properties);
  const roles: readonly RoleName[] = config.role === "all" ? ROLES_IN_ALL : [config.role];
  let broker: EmbeddedBroker | undefined;
  const properties = { ...config.kafka.properties };
  if (config.kafka.embedded) {
    broker = startEmbeddedBroker(logger);
    properties["bootstrap.servers"] = broker.bootstrap;
  }
  const kafka = new KafkaClients(properties, logger, broker !== undefined);
  const metrics = new Metrics();
  const health = new Health();
  const topics = new TopicSetup(topicSpecs(config), kafka, logger);
  const begun = new AbortController();
  const graceOver = new AbortController();
  const tracer = await startTracing(config.tracing, logger);
  metrics.watchTracer(tracer);

  // The producer roles publish and dead-letter through, made when first needed: an api-only process has
  // its own and would only hold a second connection.
  let shared: { producer: Producer; publisher: KafkaPublisher } | undefined;
  const sharedProducer = () => {
    if (!shared) {
      const producer = kafka.producer("producer", agentProducerProperties(kafka.properties));
      const onPublished = (event: { event_type: string }, seconds: number) =>
        metrics.deliverySeconds.observe({ event_type: event.event_type }, seconds);
      shared = { producer, publisher: new KafkaPublisher(producer, onPublished, tracer) };
    }
    return shared;
  };
  const publisher: Publisher = { publish: (event) => sharedProducer().publisher.publish(event), close: async () => {} };

  // One per process: the api checks agent types against it, the orchestrator watches heartbeats with it.
  let registry: AgentRegistry | undefined;
  const agentRegistry = () => (registry ??= new AgentRegistry(kafka.properties, logger.child({ client: "agent-registry" })));

  // main.ts names the process's role, except for `all`, whose lines name the role they come from.
  const loggerFor = (role: RoleName) => (role === config.role ? logger : logger.child({ role }));
  const instances: Array<{ role: RoleName; instance: RoleInstance }> = [];
  for (const role of roles) {
    const context: RoleContext = {
      config,
      logger: loggerFor(role),
      publisher,
      kafka,
      metrics,
      topicsProblem: () => topics.problem(),
      topicsReady: topics.ready,
      shutdown: { begun: begun.signal, graceOver: graceOver.signal },
      agentRegistry,
      tracer,
    };
    instances.push({ role, instance: ROLE_TABLE[role].start(context) });
  }
  if (registry) {
    const reading = registry;
    const instance: RoleInstance = {
      agents: [reading.agent],
      readiness: { "agent-registry": () => (reading.caughtUp ? undefined : "the agent registry has not read agent-results up to now yet") },
    };
    instances.push({ role: roles[0]!, instance });
  }

  const agents: Array<{ agent: Agent; loop: ConsumeLoop }> = [];
  for (const { role, instance } of instances) {
    for (const agent of instance.agents ?? []) {
      const agentLogger = loggerFor(role);
      const { loop, consumer } = consumeLoopFor(agent, {
        kafka,
        producer: sharedProducer().producer,
        logger: agentLogger,
        metrics: metrics.forGroup(agent.group),
        tracer,
      });
      agents.push({ agent, loop });
      metrics.addLagSource(() => loop.lag().map((entry) => ({ group: agent.group, ...entry })));
      health.add(`group:${agent.group}`, () => groupProblem(agent.group, loop, consumer.fatalError));
      health.add(`batches:${agent.group}`, () => loop.blocked && `${agent.group}: ${loop.blocked}`);
      void topics.ready.then(() => {
        if (begun.signal.aborted) return;
        loop.start().catch((error) => agentLogger.fatal({ err: error }, "consume loop stopped"));
      });
    }
    for (const [name, check] of Object.entries(instance.readiness ?? {})) health.add(`${role}:${name}`, check);
  }
  health.add("broker", () => kafka.brokerProblem());
  health.add("topics", () => topics.problem());
  health.add("producer", () => (shared?.producer.failed ? "the agents' producer failed: see the log" : undefined));

  if (broker) topics.createOnEmbedded(broker);
  else topics.start();

  const app = createApp({
    logger,
    metrics,
    readiness: () => health.report(),
    routes: instances.flatMap(({ instance }) => instance.routes ?? []),
  });
  const server = serve({ hostname: config.http.host, port: config.http.port, fetch: app.fetch });
  const url = `http://${config.http.host}:${server.port}`;
  logger.info({ url, roles }, "agent-events running");
  if (broker) announceDevSetup(config, url, logger);

  return {
    url,
    stop: async (budgetMs) => {
      const outcome = await stopProcess(
        {
          logger,
          begun,
          graceOver,
          topics,
          server,
          agents,
          instances: instances.map(({ instance }) => instance),
          producers: kafka.producers,
          broker,
        },
        budgetMs,
      );
      // The spans of the stop itself go out too, within the second of margin main.ts keeps past the budget.
      await tracer.close(TRACER_CLOSE_MS);
      return outcome;
    },
  };
}

function groupProblem(group: string, loop: ConsumeLoop, fatal: KafkaError | undefined): string | undefined {
  if (fatal) {
    // What a broker before Kafka 4.0 answers to the consumer group protocol (client-defaults.ts).
    const hint = /UNSUPPORTED/.test(fatal.codeName)
      ? "; the broker does not take Kafka 4's consumer group protocol (none before Kafka 4.0 does): set KAFKA_GROUP_PROTOCOL=classic"
      : "";
    return `group ${group} cannot be joined: ${fatal.message}${hint}`;
  }
  return loop.ready ? undefined : `group ${group} not joined`;
}

/** The four coordination topics and their dead-letter topics. */
function topicSpecs(config: Config) {
  return TOPICS.flatMap((topic) => [topic, topic + DLQ_SUFFIX]).map((topic) => ({
    topic,
    partitions: config.kafka.topicPartitions,
    replicationFactor: config.kafka.topicReplicationFactor,
  }));
}

function announceDevSetup(config: Config, url: string, logger: Logger): void {
  logger.info(
    {
      email_outbox: config.email.smtp ? undefined : config.email.outboxDir,
      slack_outbox: config.slack.webhookUrl ? undefined : config.slack.outboxFile,
      audit_log_dir: config.audit.logDir,
      try: `curl -X POST ${url}/tasks -H 'Content-Type: application/json' -d '{"title":"Review quarterly report","owner_id":"user-456","priority":2}'`,
    },
    "development setup: embedded broker and local outboxes",
  );
}
