import type { Admin } from "./kafka/admin.ts";
import type { Logger } from "./log.ts";

/**
 * Whether the cluster answered lately: a DescribeCluster every `intervalMs` (asynchronous, it never
 * blocks the event loop). /readyz reports it, so a load balancer stops sending tasks the api could only
 * answer with 503.
 */
export class BrokerProbe {
  private reachable = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private probing = false;

  constructor(
    private readonly admin: Admin,
    private readonly logger: Logger,
    intervalMs = 5_000,
  ) {
    void this.probe();
    this.timer = setInterval(() => void this.probe(), intervalMs);
    this.timer.unref();
  }

  get ok(): boolean {
    return this.reachable;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const cluster = await this.admin.describeCluster();
      if (!this.reachable) this.logger.info({ brokers: cluster.brokers.length }, "broker reachable");
      this.reachable = cluster.brokers.length > 0;
    } catch (error) {
      if (this.reachable) this.logger.warn({ err: error }, "broker unreachable");
      this.reachable = false;
    } finally {
      this.probing = false;
    }
  }
}
