import type { Logger } from "../log.ts";
import { OutageLog } from "../outage-log.ts";

/** What one client knows of its brokers. */
export type ConnectionState =
  /** No connection yet, and no error either: just started. */
  | "connecting"
  | "up"
  /** Connections fail: refused, timed out, not resolvable, TLS failing. */
  | "unreachable"
  /** A broker answered but refused our credentials: retrying will not help until they change. */
  | "authentication-failed";

export interface ConnectivitySnapshot {
  state: ConnectionState;
  /** librdkafka's last connection error, when not up. */
  lastError: string | undefined;
  /** When the current outage began (ms since epoch), when not up. */
  since: number | undefined;
}

// librdkafka's client-level errors that say "cannot talk to the brokers" rather than "this request failed".
const CONNECTION_ERRORS = new Set(["_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_SSL", "_AUTHENTICATION", "_TIMED_OUT"]);
// Broker states (rd_kafka_broker_state_names) in which a connection is established.
const CONNECTED_STATES = new Set(["UP", "UPDATE", "REAUTH"]);

interface BrokerStats {
  source?: string;
  state?: string;
}

/**
 * A client's view of whether it can reach the cluster. librdkafka's statistics (every
 * statistics.interval.ms) give its brokers' states and decide: up when any broker connection is up.
 * Connection errors only supply the diagnosis: librdkafka reports some of them late (a summary of
 * suppressed repeats can arrive after the connection is back), so an error alone never marks a client down.
 *
 * It replaces librdkafka's own reporting of an outage, which repeats "N/N brokers are down" and every failed
 * connect many times a minute, with one line when the outage begins, one every 30 s while it lasts, and one
 * when it ends (OutageLog).
 */
export class Connectivity {
  private current: ConnectionState = "connecting";
  private lastError: string | undefined;
  private lastErrorCode: string | undefined;
  private readonly outage: OutageLog;
  private readonly listeners = new Set<() => void>();

  constructor(logger: Logger, now: () => number = Date.now) {
    this.outage = new OutageLog(logger, { name: "broker", recovered: "broker reachable" }, now);
  }

  get state(): ConnectionState {
    return this.current;
  }

  snapshot(): ConnectivitySnapshot {
    const up = this.current === "up";
    return { state: this.current, lastError: up ? undefined : this.lastError, since: up ? undefined : this.outage.since };
  }

  /** Calls `listener` whenever the state changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True when librdkafka's error code is about reaching the brokers: it is then this class's to report. */
  static isConnectionError(codeName: string): boolean {
    return CONNECTION_ERRORS.has(codeName);
  }

  /** A connection error reported by librdkafka: kept as the diagnosis for the next statistics. */
  failed(codeName: string, detail: string): void {
    // "2/2 brokers are down" says less than the connect error that came with it, and a refused connect less
    // than the authentication failure before it.
    if (codeName === "_ALL_BROKERS_DOWN" && this.lastError !== undefined) return;
    if (this.lastErrorCode === "_AUTHENTICATION" && codeName !== "_AUTHENTICATION" && this.current !== "up") return;
    this.lastError = detail;
    this.lastErrorCode = codeName;
  }

  /** librdkafka's statistics JSON: any configured or learned broker in a connected state means up. */
  stats(json: string): void {
    let brokers: Record<string, BrokerStats>;
    try {
      brokers = (JSON.parse(json) as { brokers?: Record<string, BrokerStats> }).brokers ?? {};
    } catch {
      return;
    }
    const up = Object.values(brokers).some((b) => b.source !== "internal" && CONNECTED_STATES.has(b.state ?? ""));
    this.observed(up);
  }

  /** Applies one observation of the brokers' states. */
  observed(up: boolean): void {
    let next: ConnectionState;
    if (up) {
      next = "up";
      this.lastError = this.lastErrorCode = undefined;
    } else if (this.lastErrorCode === "_AUTHENTICATION") {
      next = "authentication-failed";
    } else if (this.lastErrorCode !== undefined || this.current !== "connecting") {
      // Once lost, a connection stays lost until statistics show it back, errors or not.
      next = "unreachable";
    } else {
      next = "connecting";
    }
    if (next === "up") this.outage.ended();
    else if (next !== "connecting") this.outage.began(this.describe(next));
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener();
  }

  private describe(state: ConnectionState): string {
    const what = state === "authentication-failed" ? "authentication failed" : "broker unreachable";
    return this.lastError ? `${what}: ${this.lastError}` : what;
  }
}
