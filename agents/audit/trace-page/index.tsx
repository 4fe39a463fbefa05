import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { TracedEvent } from "../../../src/trace/causation-tree.ts";
import { MessagePage } from "./message-page.tsx";
import type { RecentCorrelation } from "../trace-index.ts";
import { SearchPage } from "./search-page.tsx";
import { StoryPage } from "./story-page.tsx";

/** What the pages read: the audit log's trace index. */
export interface TraceSource {
  story(id: string): TracedEvent[];
  /** Newest first: requests' stories, or the agents' own (registration and heartbeats, one per agent). */
  recent(limit: number, of?: "requests" | "agents"): RecentCorrelation[];
}

const RECENT_SHOWN = 50;
const AGENTS_SHOWN = 20;
/** Ids are at most this long everywhere (correlation ids by the api's rule); a longer one names nothing. */
const MAX_ID_LENGTH = 200;
/** No script, no outside resource: the pages need neither, and a title carrying markup can then do nothing. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  c.header("X-Content-Type-Options", "nosniff");
};

/**
 * GET /trace: a search box and the most recent correlations. GET /trace/{id}: the story of a correlation,
 * task, workflow run or event, as a waterfall and the causation tree. Server-rendered, no client code.
 * `source` is asked on each request, so the index is opened only once someone looks.
 */
export function traceRoutes(source: () => TraceSource): Hono {
  const app = new Hono();
  app.use("/trace", securityHeaders);
  app.use("/trace/*", securityHeaders);
  app.get("/trace", (c) => {
    const id = c.req.query("id")?.trim();
    if (id) return c.redirect(`/trace/${encodeURIComponent(id)}`, 303);
    return reading(c, undefined, (index) => c.html(<SearchPage recent={index.recent(RECENT_SHOWN)} agents={index.recent(AGENTS_SHOWN, "agents")} />));
  });
  app.get("/trace/:id", (c) => {
    const id = c.req.param("id");
    if (id.length > MAX_ID_LENGTH) {
      return c.html(<MessagePage title="Id too long" message={`Ids are at most ${MAX_ID_LENGTH} characters; this one has ${id.length}.`} />, 400);
    }
    return reading(c, id, (index) => {
      const events = index.story(id);
      if (events.length > 0) return c.html(<StoryPage id={id} events={events} />);
      const message = `No audited event has ${id} as its correlation, task, workflow or event id. Events show up here once the audit role has written them.`;
      return c.html(<MessagePage title="Nothing found" searched={id} message={message} />, 404);
    });
  });

  /** A page that cannot read the index says why (503), rather than a bare 500. */
  function reading(c: Context, searched: string | undefined, render: (index: TraceSource) => Response | Promise<Response>) {
    try {
      return render(source());
    } catch (error) {
      const message = `The trace index cannot be read: ${(error as Error).message}`;
      return c.html(<MessagePage title="Trace index unavailable" searched={searched} message={message} />, 503);
    }
  }
  return app;
}
