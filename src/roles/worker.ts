import { hostname } from "node:os";
import { BUILT_IN_AGENTS } from "../../agents/worker/builtin/index.ts";
import { createWorker, type Worker } from "../../agents/worker/index.ts";
import type { WorkerConfig } from "../config.ts";
import type { RoleContext, RoleInstance } from "./role.ts";

/**
 * Workers: `--role=worker` runs one, of AGENT_TYPE, calling AGENT_HANDLER_URL (or the built-in handler of that
 * type). `--role=all` runs one worker of every built-in type, so the embedded default does real work.
 */
export function startWorkerRole(context: RoleContext): RoleInstance {
  const { config } = context;
  const settings = config.worker;
  const workers = config.role === "all" ? Object.keys(BUILT_IN_AGENTS).map((type) => builtInWorker(context, type)) : [configuredWorker(context, settings)];
  void context.topicsReady.then(() => {
    if (context.shutdown.begun.aborted) return;
    for (const worker of workers) {
      worker.announce().catch((error) => context.logger.warn({ err: error }, "worker could not register"));
    }
  });
  return {
    agents: workers.map((worker) => worker.agent),
    readiness: Object.fromEntries(workers.map((worker) => [`${worker.agent.name}:disk`, () => worker.problem()])),
  };
}

function configuredWorker(context: RoleContext, settings: WorkerConfig): Worker {
  const type = settings.type!;
  const builtIn = BUILT_IN_AGENTS[type];
  const handler = settings.handlerUrl
    ? { url: settings.handlerUrl, retries: settings.handlerRetries }
    : { builtIn: builtIn!.handle, retries: settings.handlerRetries };
  const defaults = builtIn?.card ?? { name: type, version: "1.0.0", skills: [{ id: type, name: type, description: "", tags: [] }] };
  const card = {
    name: settings.card.name ?? defaults.name,
    version: settings.card.version ?? defaults.version,
    skills: settings.card.skills ?? defaults.skills,
  };
  return worker(context, type, settings.id, handler, card);
}

function builtInWorker(context: RoleContext, type: string): Worker {
  const builtIn = BUILT_IN_AGENTS[type]!;
  const id = `${type}-${context.config.worker.id.split("-").slice(-2).join("-")}`;
  return worker(context, type, id, { builtIn: builtIn.handle, retries: context.config.worker.handlerRetries }, builtIn.card);
}

function worker(context: RoleContext, type: string, id: string, handler: Parameters<typeof createWorker>[0]["handler"], card: Parameters<typeof createWorker>[0]["card"]): Worker {
  const { config, publisher, logger, metrics } = context;
  return createWorker({
    type,
    id,
    concurrency: config.worker.concurrency,
    taskTimeoutMs: config.worker.taskTimeoutMs,
    heartbeatMs: config.worker.heartbeatMs,
    handler,
    card,
    host: hostname(),
    dataDir: config.dataDir,
    publisher,
    tracer: context.tracer,
    logger: logger.child({ agent_type: type }),
    metrics: metrics.forWorker(),
  });
}
