import { join } from "node:path";
import { createOrchestrator } from "../../agents/orchestrator/index.ts";
import { statusRoutes } from "../../agents/orchestrator/status-routes.ts";
import { StatusView } from "../../agents/orchestrator/status-view.ts";
import type { RoleContext, RoleInstance } from "./role.ts";

/**
 * The orchestrator: dispatches tasks and workflow steps to workers, retries, times out, and serves what it
 * knows (GET /tasks/{id}, /workflows/{id}, /agents) from a status view kept in DATA_DIR.
 */
export function startOrchestratorRole(context: RoleContext): RoleInstance {
  const { config, logger, metrics, publisher } = context;
  const registry = context.agentRegistry();
  const orchestrator = createOrchestrator({
    settings: { workflows: config.workflows, ...config.orchestrator },
    publisher,
    registry,
    logger,
    metrics: metrics.forOrchestrator(),
  });
  metrics.addOpenWork(() => orchestrator.open());
  const view = new StatusView(join(config.dataDir, "orchestrator-status.sqlite"), logger);
  if (config.workflows.size > 0) logger.info({ workflows: [...config.workflows.keys()] }, "workflows defined");
  return {
    agents: [orchestrator.agent, view.agent],
    routes: statusRoutes({ view, registry, workflows: config.workflows }),
    readiness: {
      partitions: () => orchestrator.problem(),
      "status-view:disk": () => view.problem(),
    },
  };
}
