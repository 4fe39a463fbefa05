import { join } from "node:path";
import { BrokerProbe } from "./broker-probe.ts";
import { agentConsumerProperties, apiProducerProperties } from "./client-defaults.ts";
import { createAuditAgent } from "../agents/audit/index.ts";
import { createEmailAgent } from "../agents/email/index.ts";
import { createSlackAgent } from "../agents/slack/index.ts";
import type { Config, Role } from "./config.ts";
import { TOPICS } from "./events/index.ts";
import { createApp } from "./http/app.ts";
import { IdempotencyStore } from "./http/idempotency-store.ts";
import { Metrics } from "./http/metrics.ts";
import { Admin } from "./kafka/admin.ts";
import { validateProperties } from "./kafka/client-config.ts";
import { Consumer } from "./kafka/consumer.ts";
import { startEmbeddedBroker, type EmbeddedBroker } from "./kafka/embedded-broker.ts";
import { Producer } from "./kafka/producer.ts";
import type { Logger } from "./log.ts";
import type { Agent } from "./transport/agent.ts";
import { DLQ_SUFFIX } from "./transport/dead-letter.ts";
import { KafkaPublisher } from "./transport/kafka-publisher.ts";
import { Subscriber } from "./transport/subscriber.ts";

export interface RunningRole {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stop taking work, finish what is in hand, commit, flush, leave the groups. */
  stop(): Promise<void>;
}

type AgentRole = Exclude<Role, "api" | "all">;

/** Every agent the binary holds, bound to its role name; static imports keep them all in the executable. */
const agentFactories: Record<AgentRole, (config: Config, publisher: KafkaPublisher, logger: Logger) => Agent> = {
  email: (config, publisher, logger) =>
    createEmailAgent({ email: config.email, dataDir: config.dataDir, publisher, retry: retryOf(config), logger }),
  slack: (config, publisher, logger) =>
    createSlackAgent({ slack: config.slack, dataDir: config.dataDir, publisher, retry: retryOf(config), logger }),
  audit: (config, _publisher, logger) => createAuditAgent({ audit: config.audit, logger }),
};

const retryOf = (config: Config) => ({
  maxRetries: config.handler.maxRetries,
  initialDelayMs: config.handler.retryBackoffMs,
});

export async function startRole(config: Config, logger: Logger): Promise<RunningRole> {
  validateProperties(config.kafka.properties);
  const roles: Role[] = config.role === "all" ? ["api", "email", "slack", "audit"] : [config.role];
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    let broker: EmbeddedBroker | undefined;
    const properties = { ...config.kafka.properties };
    if (config.kafka.embedded) {
      broker = startEmbeddedBroker(logger);
      cleanup.push(() => broker!.close());
      properties["bootstrap.servers"] = broker.bootstrap;
    }
    await ensureTopics(config, properties, broker, logger);

    // The embedded broker lives in this process (and cannot answer DescribeCluster): it is always reachable.
    let probe: BrokerProbe | undefined;
    if (!broker) {
      // A short request timeout: readiness should turn within seconds of the cluster going away.
      const admin = new Admin(properties, logger.child({ client: "admin" }), 3_000);
      probe = new BrokerProbe(admin, logger);
      cleanup.push(() => admin.close(), () => probe!.stop());
    }
    const metrics = new Metrics();
    // main.ts names the process's role, except for `all`, whose lines name the role they come from.
    const loggerFor = (role: Role) => (role === config.role ? logger : logger.child({ role }));
    const agentsProducer = new Producer(properties, logger.child({ client: "producer" }));
    cleanup.push(() => agentsProducer.close());
    const onPublished = (event: { event_type: string }, seconds: number) =>
      metrics.deliverySeconds.observe({ event_type: event.event_type }, seconds);

    const subscribers: Subscriber[] = [];
    for (const role of roles) {
      if (role === "api" || role === "all") continue;
      const agentLogger = loggerFor(role);
      const agent = agentFactories[role](config, new KafkaPublisher(agentsProducer, onPublished), agentLogger);
      const consumer = new Consumer({
        groupId: agent.group,
        properties: agentConsumerProperties(properties, broker !== undefined),
        logger: agentLogger.child({ client: "consumer" }),
      });
      const subscriber = new Subscriber({
        consumer,
        group: agent.group,
        topics: agent.topics,
        handle: agent.handle,
        producer: agentsProducer,
        logger: agentLogger,
        metrics: metrics.forGroup(agent.group),
        maxBatch: agent.maxBatch,
      });
      subscribers.push(subscriber);
      metrics.addLagSource(() => subscriber.lag().map((entry) => ({ group: agent.group, ...entry })));
      cleanup.push(async () => {
        await subscriber.stop();
        await agent.close();
      });
      void subscriber.start().catch((error) => agentLogger.fatal({ err: error }, "consume loop stopped"));
    }

    let tasks;
    if (roles.includes("api")) {
      const apiProducer = new Producer(
        apiProducerProperties(properties, config.api.publishTimeoutMs),
        logger.child({ client: "api-producer" }),
      );
      const idempotency = new IdempotencyStore(join(config.dataDir, "api-idempotency.sqlite"));
      cleanup.push(() => apiProducer.close(), () => idempotency.close());
      tasks = {
        publisher: new KafkaPublisher(apiProducer, onPublished),
        idempotency,
        logger: loggerFor("api"),
        publishTimeoutMs: config.api.publishTimeoutMs,
      };
    }

    const app = createApp({
      logger,
      metrics,
      tasks,
      apiTokens: config.api.tokens,
      readiness: () => ({
        broker: probe?.ok ?? true,
        producer: !agentsProducer.failed,
        ...Object.fromEntries(subscribers.map((s, i) => [`consumer-${i}-joined`, s.ready])),
      }),
    });
    const server = Bun.serve({ hostname: config.http.host, port: config.http.port, fetch: app.fetch });
    cleanup.push(() => server.stop());
    const url = `http://${config.http.host}:${server.port}`;
    logger.info({ url, roles }, "agent-events running");
    if (broker) announceDevSetup(config, url, logger);

    return {
      url,
      async stop() {
        await runCleanup(cleanup);
      },
    };
  } catch (error) {
    await runCleanup(cleanup);
    throw error;
  }
}

/** The four coordination topics and their dead-letter topics, created when missing. */
async function ensureTopics(
  config: Config,
  properties: Record<string, string>,
  broker: EmbeddedBroker | undefined,
  logger: Logger,
): Promise<void> {
  const topics = TOPICS.flatMap((topic) => [topic, topic + DLQ_SUFFIX]).map((topic) => ({
    topic,
    partitions: config.kafka.topicPartitions,
    replicationFactor: config.kafka.topicReplicationFactor,
  }));
  if (broker) return broker.createTopics(topics);
  const admin = new Admin(properties, logger.child({ client: "admin" }));
  try {
    await admin.createTopics(topics);
  } finally {
    admin.close();
  }
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

async function runCleanup(steps: Array<() => Promise<void> | void>): Promise<void> {
  // Reverse order: the HTTP server stops first, the broker last.
  for (const step of steps.splice(0).reverse()) {
    try {
      await step();
    } catch {
      // One failing step must not keep the others from releasing their resources.
    }
  }
}
