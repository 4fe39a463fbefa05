import { settledBy } from "../deadline.ts";
import type { EmbeddedBroker } from "../kafka/embedded-broker.ts";
import type { Producer } from "../kafka/producer.ts";
import type { Logger } from "../log.ts";
import type { RoleInstance } from "../roles/role.ts";
import type { HttpServer } from "../runtime/http-server.ts";
import type { Agent } from "../transport/agent.ts";
import type { ConsumeLoop } from "../transport/consume-loop.ts";
import type { StopResult } from "../transport/subscriber.ts";
import type { TopicSetup } from "./topic-setup.ts";

/** The share of the stop budget that work in hand (a batch, an HTTP request awaiting its ack) may take. */
const HAND_SHARE = 0.6;
/** Kept at the end of the budget for the producers' last flush. */
const FLUSH_RESERVE_MS = 1_000;

export interface StopOutcome {
  /** Every offset asked for was committed and every message sent was acknowledged. */
  clean: boolean;
}

export interface StoppableProcess {
  logger: Logger;
  begun: AbortController;
  graceOver: AbortController;
  topics: TopicSetup;
  server: HttpServer;
  agents: ReadonlyArray<{ agent: Agent; loop: ConsumeLoop }>;
  instances: readonly RoleInstance[];
  producers: readonly Producer[];
  broker: EmbeddedBroker | undefined;
}

/**
 * Stops a process within `budgetMs`, whatever the broker's state: takes no new work; lets work in hand
 * finish for most of the budget (HTTP requests get 201 or, once the grace is over, 503); commits and leaves
 * the groups; flushes the producers. Nothing here can block the JS thread, so the caller's hard deadline
 * always fires. What could not be committed or flushed is logged in one line, and the outcome is unclean.
 */
export async function stopProcess(process: StoppableProcess, budgetMs: number): Promise<StopOutcome> {
  const { logger, begun, graceOver, topics, server, agents, instances, producers, broker } = process;
  const started = Date.now();
  const deadline = started + budgetMs;
  const handDeadline = started + budgetMs * HAND_SHARE;
  begun.abort();
  topics.stop();
  const grace = setTimeout(() => graceOver.abort(), handDeadline - Date.now());

  const httpDrained = server.stop();
  const stopped: StopResult[] = await Promise.all(
    agents.map(({ loop }) => loop.stop(handDeadline, deadline - FLUSH_RESERVE_MS)),
  );
  await settledBy(httpDrained, deadline - FLUSH_RESERVE_MS);
  clearTimeout(grace);
  graceOver.abort();

  for (const { agent } of agents) await quietly(() => agent.close(), logger);
  for (const instance of instances) await quietly(() => instance.close?.(), logger);
  const flushed = await Promise.all(producers.map((producer) => producer.close(Math.max(0, deadline - Date.now()))));
  broker?.close();

  const uncommitted = stopped.flatMap(({ group, uncommitted }) =>
    uncommitted.map(({ topic, partition, requested, committed }) => ({ group, topic, partition, committed: committed ?? null, requested })),
  );
  const unflushed = flushed.reduce((sum, { unflushed }) => sum + unflushed, 0);
  const notLeft = stopped.filter((s) => !s.left).map((s) => s.group);
  const clean = uncommitted.length === 0 && unflushed === 0 && notLeft.length === 0;
  if (!clean) {
    logger.error(
      { uncommitted, unflushed, groups_not_left: notLeft, stop_ms: Date.now() - started },
      "stopped without committing everything: messages after each committed offset will be delivered again (handlers deduplicate them)",
    );
  }
  return { clean };
}

async function quietly(step: () => Promise<void> | void, logger: Logger): Promise<void> {
  try {
    await step();
  } catch (error) {
    // One failing step must not keep the others from releasing their resources.
    logger.warn({ err: error }, "a resource could not be released cleanly");
  }
}
