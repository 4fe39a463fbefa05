import { AGENT_RESULTS, type AgentSkill, type DomainEvent } from "../events/index.ts";
import { Admin } from "../kafka/admin.ts";
import type { KafkaProperties } from "../kafka/client-config.ts";
import { headerText } from "../kafka/message-decoder.ts";
import type { TopicPartition } from "../kafka/partition-list.ts";
import type { Logger } from "../log.ts";
import type { BatchAgent } from "../transport/agent.ts";
import type { Delivery, HandlerFailure, RawMessage } from "../transport/types.ts";

/** An agent as its registration and heartbeats describe it. */
export interface AgentInfo {
  agent_id: string;
  agent_type: string;
  name?: string;
  version?: string;
  skills: AgentSkill[];
  concurrency?: number;
  host?: string;
  registered_at?: string;
  last_heartbeat?: string;
  status?: "idle" | "busy" | "draining";
  in_flight: number;
  completed: number;
  failed: number;
  heartbeat_ms: number;
  /** Heard from within three heartbeat intervals, and not deregistered. */
  live: boolean;
  /** Why it is not live: "deregistered", "stopped heartbeating". */
  gone_because?: string;
}

interface Known extends Omit<AgentInfo, "live" | "gone_because"> {
  /** When it was last heard from: the event's time while catching up, the time it was read after. */
  lastSeenMs: number;
  deregistered: boolean;
}

const AGENT_EVENTS = new Set(["agent.registered", "agent.heartbeat", "agent.deregistered"]);
const DEFAULT_HEARTBEAT_MS = 5_000;
/** An agent silent for this many heartbeat intervals is gone. */
const MISSED_BEATS = 3;

/**
 * Every agent that registered or beat within agent-results' retention, read from the start of the topic by a
 * group of this process alone (it sees every partition, whichever part of the work the process owns). It
 * commits nothing: each start reads the topic again, skipping all but agent.* events by their header.
 * An agent is live while heard from within three of its heartbeat intervals; once caught up, "heard from" is
 * when this process read the heartbeat, so clocks that differ between hosts do not make agents look gone.
 */
export class AgentRegistry {
  readonly agent: BatchAgent;
  private readonly agents = new Map<string, Known>();
  private readonly seen = new Map<number, number>();
  private ends: Map<number, number> | undefined;

  constructor(
    private readonly properties: KafkaProperties,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.agent = {
      name: "agent-registry",
      group: `agent-registry-${crypto.randomUUID()}`,
      topics: [AGENT_RESULTS],
      maxBatch: 5_000,
      // Every worker report lands on agent-results; waking for each beside the api and the orchestrator
      // only to skip it by header delayed them. Gone means 3 missed heartbeats: 100 ms later is no matter.
      fetchWaitMs: 100,
      accepts: (message) => this.accepts(message),
      handle: (deliveries) => this.handle(deliveries),
      replay: {
        assigned: (partitions) => void this.readEnds(partitions),
        revoked: () => {},
        commitPoints: () => [],
      },
      close: async () => {},
    };
  }

  /** Has read agent-results up to where it ended when this process joined: what it says is then complete. */
  get caughtUp(): boolean {
    const ends = this.ends;
    if (!ends) return false;
    for (const [partition, end] of ends) if (end > 0 && (this.seen.get(partition) ?? -1) < end - 1) return false;
    return true;
  }

  list(): AgentInfo[] {
    return [...this.agents.values()].map((agent) => this.describe(agent)).sort((a, b) => a.agent_type.localeCompare(b.agent_type) || a.agent_id.localeCompare(b.agent_id));
  }

  get(agentId: string): AgentInfo | undefined {
    const agent = this.agents.get(agentId);
    return agent && this.describe(agent);
  }

  /** The agent types seen in the topic's retention, live or not. */
  types(): Set<string> {
    return new Set([...this.agents.values()].map((a) => a.agent_type));
  }

  private accepts(message: RawMessage): boolean {
    if ((this.seen.get(message.partition) ?? -1) < message.offset) this.seen.set(message.partition, message.offset);
    return AGENT_EVENTS.has(headerText(message, "event_type") ?? "");
  }

  private async handle(deliveries: Delivery[]): Promise<HandlerFailure[]> {
    for (const delivery of deliveries) if (delivery.known) this.apply(delivery.event);
    return [];
  }

  private apply(event: DomainEvent): void {
    if (!AGENT_EVENTS.has(event.event_type)) return;
    const data = event.data as { agent_id: string; agent_type: string };
    const at = this.caughtUp ? this.now() : Date.parse(event.occurred_at);
    let agent = this.agents.get(data.agent_id);
    if (!agent) {
      agent = { agent_id: data.agent_id, agent_type: data.agent_type, skills: [], in_flight: 0, completed: 0, failed: 0, heartbeat_ms: DEFAULT_HEARTBEAT_MS, lastSeenMs: at, deregistered: false };
      this.agents.set(data.agent_id, agent);
    }
    agent.lastSeenMs = Math.max(agent.lastSeenMs, at);
    if (event.event_type === "agent.registered") {
      const { name, version, skills, concurrency, host } = event.data;
      Object.assign(agent, { name, version, skills, concurrency, host, registered_at: event.occurred_at, deregistered: false });
    } else if (event.event_type === "agent.heartbeat") {
      const { status, in_flight, completed, failed, heartbeat_ms } = event.data;
      Object.assign(agent, { status, in_flight, completed, failed, last_heartbeat: event.occurred_at, heartbeat_ms: heartbeat_ms ?? agent.heartbeat_ms });
    } else if (event.event_type === "agent.deregistered") {
      if (this.caughtUp && !agent.deregistered) this.logger.info({ agent_id: agent.agent_id, agent_type: agent.agent_type }, "agent deregistered");
      Object.assign(agent, { deregistered: true, in_flight: 0, status: undefined });
    }
  }

  private describe({ lastSeenMs, deregistered, ...info }: Known): AgentInfo {
    if (deregistered) return { ...info, live: false, gone_because: "deregistered" };
    if (this.now() - lastSeenMs > MISSED_BEATS * info.heartbeat_ms) return { ...info, live: false, gone_because: "stopped heartbeating" };
    return { ...info, live: true };
  }

  private async readEnds(partitions: TopicPartition[]): Promise<void> {
    const admin = new Admin(this.properties, this.logger.child({ client: "registry-admin" }), 10_000);
    try {
      const ends = await admin.endOffsets(partitions);
      this.ends = new Map(ends.map(({ partition, offset }) => [partition, offset]));
    } catch (error) {
      this.logger.warn({ err: error }, "could not read agent-results' end offsets; the agent registry counts as complete");
      this.ends = new Map();
    } finally {
      admin.close();
    }
  }
}
