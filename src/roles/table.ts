import { createEmailAgent } from "../../agents/email/index.ts";
import { createSlackAgent } from "../../agents/slack/index.ts";
import type { Config } from "../config.ts";
import type { Agent } from "../transport/agent.ts";
import { startApiRole } from "./api.ts";
import { startAuditRole } from "./audit.ts";
import { startOrchestratorRole } from "./orchestrator.ts";
import { startWorkerRole } from "./worker.ts";
import type { RoleContext, RoleDefinition, RoleInstance } from "./role.ts";

/**
 * Every role the binary holds. The command line's role list and help, `--role=all` and the HTTP app all
 * come from this table; static imports keep every role in the compiled executable.
 */
export const ROLE_TABLE = {
  api: {
    summary: "HTTP producer: POST /tasks publishes task.created once the broker acknowledged it",
    inAll: true,
    start: startApiRole,
  },
  email: agentRole('sends "New task" emails (group notification-email)', ({ config, publisher, logger }) =>
    createEmailAgent({ email: config.email, dataDir: config.dataDir, publisher, retry: retryOf(config), logger }),
  ),
  slack: agentRole("posts to a Slack incoming webhook (group notification-slack)", ({ config, publisher, logger }) =>
    createSlackAgent({ slack: config.slack, dataDir: config.dataDir, publisher, retry: retryOf(config), logger }),
  ),
  audit: {
    summary: "appends every event to a hash-chained log (group audit-log) and serves /trace, each request's story",
    inAll: true,
    start: startAuditRole,
  },
  worker: {
    summary: "runs AGENT_TYPE's tasks through AGENT_HANDLER_URL or a built-in handler (group agent-<type>)",
    inAll: true,
    start: startWorkerRole,
  },
  orchestrator: {
    summary: "assigns tasks and workflow steps to workers, retries them, and serves their status (group orchestrator)",
    inAll: true,
    start: startOrchestratorRole,
  },
} as const satisfies Record<string, RoleDefinition>;

export type RoleName = keyof typeof ROLE_TABLE;

/** The roles `--role=all` runs, in table order. */
export const ROLES_IN_ALL = (Object.keys(ROLE_TABLE) as RoleName[]).filter((name) => ROLE_TABLE[name].inAll);

/** A role that is one consume loop. */
function agentRole(summary: string, create: (context: RoleContext) => Agent): RoleDefinition {
  return {
    summary,
    inAll: true,
    start(context): RoleInstance {
      const agent = create(context);
      return { agents: [agent] };
    },
  };
}

function retryOf(config: Config) {
  return { maxRetries: config.handler.maxRetries, initialDelayMs: config.handler.retryBackoffMs };
}
