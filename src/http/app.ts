import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { UnavailableError } from "../errors.ts";
import type { HealthReport } from "../health.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "./metrics.ts";
import { problemResponse } from "./problem.ts";

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  /** What /readyz reports: 200 only when every check passes, else 503 naming what is missing. */
  readiness: () => HealthReport;
  /** The roles' routes (POST /tasks for the api role), mounted at the root. */
  routes?: readonly Hono[];
}

/** Routes and middleware of every process: health, readiness and metrics, plus whatever its roles serve. */
export function createApp(options: AppOptions): Hono {
  const { logger, metrics, readiness } = options;
  const app = new Hono();

  app.use(async function countRequests(c, next) {
    await next();
    metrics.httpRequests.inc({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const { ready, checks, missing } = readiness();
    return c.json({ status: ready ? "ready" : "not ready", checks, missing }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
  );
  for (const routes of options.routes ?? []) app.route("/", routes);

  app.notFound((c) => problemResponse(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof UnavailableError) {
      // A full disk is an outage like a missing broker: the client may retry, nothing was done. Whatever
      // failed logs the outage at its own cadence; one line per refused request would flood the log.
      c.header("Retry-After", "5");
      return problemResponse(c, 503, "temporarily unavailable; nothing was created", [{ path: "", message: error.message }]);
    }
    logger.error({ err: error, path: c.req.path }, "unhandled error");
    return problemResponse(c, 500, "internal error");
  });
  return app;
}
