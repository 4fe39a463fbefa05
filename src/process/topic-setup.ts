import { Admin, type TopicSpec } from "../kafka/admin.ts";
import type { EmbeddedBroker } from "../kafka/embedded-broker.ts";
import type { Logger } from "../log.ts";
import { OutageLog } from "../outage-log.ts";
import { abortableSleep } from "../transport/abortable-sleep.ts";
import type { KafkaClients } from "./kafka-clients.ts";

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/** An attempt's request timeout: long enough for a controller to answer, short enough to retry soon. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Creates the coordination topics in the background, so a role serves /healthz and /readyz from its first
 * second whether the cluster is there or not. An attempt is made only while some client of the process has
 * a broker connection up: librdkafka's admin client, asked to reach the controller while no broker answers,
 * retries in a tight loop (measured: 58 % of a core, one log line per attempt) until its request times out.
 * Failed attempts are retried with a backoff capped at 30 s.
 */
export class TopicSetup {
  /** Resolves once every topic exists. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private created = false;
  private lastError: string | undefined;
  private readonly stopped = new AbortController();
  private readonly outage: OutageLog;

  constructor(
    private readonly topics: readonly TopicSpec[],
    private readonly clients: KafkaClients,
    private readonly logger: Logger,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.outage = new OutageLog(logger, { name: "topics", recovered: "topics created" });
  }

  /** The readiness check: undefined once the topics exist. */
  problem(): string | undefined {
    if (this.created) return undefined;
    return `topics not created${this.lastError ? `: ${this.lastError}` : " yet: waiting for the broker"}`;
  }

  /** The embedded broker has no CreateTopics handler; its own API makes them at once. */
  createOnEmbedded(broker: EmbeddedBroker): void {
    broker.createTopics(this.topics);
    this.done();
  }

  /** Starts the attempts; they go on until the topics exist or `stop` is called. */
  start(): void {
    void this.attempts();
  }

  stop(): void {
    this.stopped.abort();
  }

  private async attempts(): Promise<void> {
    const signal = this.stopped.signal;
    for (let delay = FIRST_RETRY_MS; !signal.aborted; delay = Math.min(MAX_RETRY_MS, delay * 2)) {
      await this.clusterAnswers(signal);
      if (signal.aborted) return;
      const admin = new Admin(this.clients.properties, this.logger.child({ client: "admin" }), ATTEMPT_TIMEOUT_MS);
      try {
        await admin.createTopics(this.topics);
        this.done();
        return;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.outage.began(`topics not created: ${this.lastError}; retrying in ${Math.round(delay / 1000)} s`);
      } finally {
        admin.close();
      }
      await abortableSleep(delay, signal);
    }
  }

  private clusterAnswers(signal: AbortSignal): Promise<void> {
    if (this.clients.anyUp()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        unsubscribe();
        signal.removeEventListener("abort", done);
        resolve();
      };
      const unsubscribe = this.clients.onChange(() => this.clients.anyUp() && done());
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private done(): void {
    this.created = true;
    this.lastError = undefined;
    this.outage.ended();
    this.logger.info({ topics: this.topics.map((t) => t.topic) }, "topics ready");
    this.markReady();
  }
}
