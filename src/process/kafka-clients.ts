import { agentConsumerProperties } from "../client-defaults.ts";
import type { KafkaProperties } from "../kafka/client-config.ts";
import type { Connectivity, ConnectivitySnapshot } from "../kafka/connectivity.ts";
import { Consumer } from "../kafka/consumer.ts";
import { Producer } from "../kafka/producer.ts";
import type { Logger } from "../log.ts";

/**
 * The Kafka clients of one process, made here so that readiness can ask all of them whether they reach the
 * cluster, and so that stopping can close each within the time left.
 */
export class KafkaClients {
  readonly producers: Producer[] = [];
  readonly consumers: Consumer[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(
    /** Every client's librdkafka properties (bootstrap.servers included). */
    readonly properties: KafkaProperties,
    private readonly logger: Logger,
    private readonly embeddedBroker: boolean,
  ) {}

  /** An idempotent, acks=all producer; `overrides` are the role's defaults, under the user's properties. */
  producer(name: string, properties: KafkaProperties = this.properties, logger: Logger = this.logger): Producer {
    const producer = new Producer(properties, logger.child({ client: name }));
    this.track(producer.connectivity);
    this.producers.push(producer);
    return producer;
  }

  /** A consumer group member with the agents' defaults (client-defaults.ts). */
  consumer(groupId: string, logger: Logger, options: { maxBuffered?: number; coPartitioned?: boolean; fetchWaitMs?: number } = {}): Consumer {
    const consumer = new Consumer({
      groupId,
      properties: agentConsumerProperties(this.properties, this.embeddedBroker, { coPartitioned: options.coPartitioned, fetchWaitMs: options.fetchWaitMs }),
      logger: logger.child({ client: "consumer" }),
      maxBuffered: options.maxBuffered,
    });
    this.track(consumer.connectivity);
    this.consumers.push(consumer);
    return consumer;
  }

  /** Whether some client has a connection up: the cluster answers. */
  anyUp(): boolean {
    return this.all().some((c) => c.state === "up");
  }

  /** Calls `listener` when any client's connectivity changes. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The readiness check: undefined when every client reaches the cluster, else the worst client's story. */
  brokerProblem(now = Date.now()): string | undefined {
    const snapshots = this.all().map((c) => c.snapshot());
    const worst =
      snapshots.find((s) => s.state === "authentication-failed") ??
      snapshots.find((s) => s.state === "unreachable") ??
      snapshots.find((s) => s.state === "connecting");
    return worst && describe(worst, now);
  }

  private all(): Connectivity[] {
    return [...this.producers, ...this.consumers].map((client) => client.connectivity);
  }

  private track(connectivity: Connectivity): void {
    connectivity.onChange(() => {
      for (const listener of this.listeners) listener();
    });
  }
}

function describe(snapshot: ConnectivitySnapshot, now: number): string {
  if (snapshot.state === "connecting") return "connecting to the broker";
  const what = snapshot.state === "authentication-failed" ? "authentication failed" : "broker unreachable";
  const since = snapshot.since === undefined ? "" : ` for ${Math.round((now - snapshot.since) / 1000)} s`;
  return `${what}${since}${snapshot.lastError ? `: ${snapshot.lastError}` : ""}`;
}
