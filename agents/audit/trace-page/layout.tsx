import type { Child } from "hono/jsx";
import { STYLES } from "./styles.ts";

/**
 * The page around every trace view: a search box on each page, so a person can jump from one id to the next.
 * No script anywhere: the pages read the same with JavaScript off, and the Content-Security-Policy the routes
 * send forbids scripts outright, so a title carrying markup could not run even if escaping failed.
 */
export function Layout({ title, searched, children }: { title: string; searched?: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · agent-events`}</title>
        <style dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body>
        <header>
          <a class="home" href="/trace">
            agent-events · trace
          </a>
          <form action="/trace" method="get" role="search">
            <input
              type="search"
              name="id"
              value={searched ?? ""}
              placeholder="correlation id, task id, workflow id or event id"
              aria-label="id to trace"
              required
            />
            <button type="submit">Trace</button>
          </form>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
