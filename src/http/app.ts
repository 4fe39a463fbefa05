import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../log.ts";
import type { Metrics } from "./metrics.ts";
import { problemResponse } from "./problem.ts";
import { tasksRoute, type TasksRouteOptions } from "./tasks-route.ts";

export interface Readiness {
  /** Each named check, true when it passes; /readyz is 200 only when all pass. */
  (): Record<string, boolean>;
}

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** Present for the api role: serves POST /tasks. */
  tasks?: TasksRouteOptions;
  /** Bearer tokens for POST /tasks; empty disables auth. Health and metrics stay open. */
  apiTokens?: readonly string[];
}

/** Routes and middleware of every role: health, readiness and metrics, plus POST /tasks for the api role. */
export function createApp(options: AppOptions): Hono {
  const { logger, metrics, readiness } = options;
  const app = new Hono();

  app.use(async function countRequests(c, next) {
    await next();
    metrics.httpRequests.inc({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const checks = readiness();
    const ready = Object.values(checks).every(Boolean);
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
  );

  if (options.tasks) {
    if (options.apiTokens && options.apiTokens.length > 0) {
      const unauthorized = { error: "missing or invalid bearer token", problems: [{ path: "Authorization", message: "send Authorization: Bearer <token>" }] };
      // Hono compares tokens in constant time (a hash of each side, then timingSafeEqual).
      app.use(
        "/tasks",
        bearerAuth({
          token: [...options.apiTokens],
          noAuthenticationHeader: { message: unauthorized },
          invalidAuthenticationHeader: { message: unauthorized },
          invalidToken: { message: unauthorized },
        }),
      );
    }
    app.route("/", tasksRoute(options.tasks));
  }

  app.notFound((c) => problemResponse(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    logger.error({ err: error, path: c.req.path }, "unhandled error");
    return problemResponse(c, 500, "internal error");
  });
  return app;
}
