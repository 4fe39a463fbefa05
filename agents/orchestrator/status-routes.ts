import { Hono } from "hono";
import * as v from "valibot";
import { SafeId } from "../../src/events/index.ts";
import { problemResponse } from "../../src/http/problem.ts";
import type { AgentRegistry } from "../../src/registry/agent-registry.ts";
import type { Workflows } from "../../src/workflows/definition.ts";
import type { StatusView } from "./status-view.ts";
import { stepRows, stepsTable } from "./task-status.ts";

export interface StatusRoutesOptions {
  view: StatusView;
  registry: AgentRegistry;
  workflows: Workflows;
}

/**
 * GET /tasks/{id}: a task's status, attempts, agent, output or error, and its events in order.
 * GET /workflows/{id}: a run and its steps (`?format=text`: as a table for a terminal).
 * GET /agents: every agent the registry knows, live or gone.
 */
export function statusRoutes({ view, registry, workflows }: StatusRoutesOptions): Hono {
  const app = new Hono();
  app.get("/tasks/:id", (c) => {
    const id = c.req.param("id");
    if (!v.is(SafeId, id)) return problemResponse(c, 400, "invalid task id", [{ path: "id", message: "may only contain A-Z a-z 0-9 . _ : -" }]);
    const task = view.task(id);
    if (!task) return problemResponse(c, 404, `no task ${id} is known (yet): a task just created shows up once its event is read`);
    return c.json(task);
  });
  app.get("/workflows/:id", (c) => {
    const id = c.req.param("id");
    if (!v.is(SafeId, id)) return problemResponse(c, 400, "invalid workflow id", [{ path: "id", message: "may only contain A-Z a-z 0-9 . _ : -" }]);
    const run = view.task(id);
    if (!run || run.kind !== "workflow") return problemResponse(c, 404, `no workflow run ${id} is known (yet): a run just created shows up once its event is read`);
    const definition = run.workflow ? workflows.get(run.workflow) : undefined;
    const definedTypes = new Map(definition?.steps.map((step) => [step.id, step.agent_type]) ?? []);
    const steps = stepRows(run, view.stepsOf(id), definedTypes);
    const format = c.req.query("format");
    if (format === "text" || (format === undefined && /^text\/plain/.test(c.req.header("accept") ?? ""))) {
      return c.text(stepsTable(run, steps));
    }
    const { events, kind: _, attempts: __, agent_type: ___, output, ...fields } = run;
    const duration = run.finished_at && run.created_at ? Date.parse(run.finished_at) - Date.parse(run.created_at) : undefined;
    return c.json({ ...fields, workflow_id: id, duration_ms: duration, outputs: output, steps, events });
  });
  app.get("/agents", (c) => c.json({ complete: registry.caughtUp, agents: registry.list() }));
  return app;
}
