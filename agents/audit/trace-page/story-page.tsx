import { causationTree, isFailure, millis, type TracedEvent } from "../../../src/trace/causation-tree.ts";
import { clockTime, EventTree } from "./event-tree.tsx";
import { Layout } from "./layout.tsx";
import { formatMs, Timeline } from "./timeline.tsx";

/** /trace/{id}: what happened because of one request, as a summary, a waterfall and the causation tree. */
export function StoryPage({ id, events }: { id: string; events: readonly TracedEvent[] }) {
  const tree = causationTree(events);
  const times = events.map(millis);
  const first = Math.min(...times);
  const correlations = [...new Set(events.map((event) => event.correlationId))];
  const sources = [...new Set(events.map((event) => event.source))];
  const failures = events.filter(isFailure).length;
  const title = taskTitle(events);
  return (
    <Layout title={`Trace ${id}`} searched={id}>
      <h1>
        Trace <span class="mono">{id}</span>
      </h1>
      {title === undefined ? "" : <p class="subtitle">{title}</p>}
      <dl class="summary">
        <dt>correlation</dt>
        <dd class="mono">{correlations.join(", ")}</dd>
        <dt>events</dt>
        <dd>{events.length}</dd>
        <dt>failures</dt>
        <dd class={failures > 0 ? "bad" : undefined}>{failures}</dd>
        <dt>agents</dt>
        <dd>{sources.join(", ")}</dd>
        <dt>from</dt>
        <dd>
          {new Date(first).toISOString().slice(0, 10)} {clockTime(new Date(first).toISOString())} UTC, over {formatMs(Math.max(...times) - first)}
        </dd>
      </dl>
      <h2>Timeline</h2>
      <Timeline tree={tree} />
      <h2>Events</h2>
      <EventTree tree={tree} />
    </Layout>
  );
}

/** The title the request gave its task, if the story starts with one: the first thing a person recognises. */
function taskTitle(events: readonly TracedEvent[]): string | undefined {
  for (const event of events) {
    if (event.eventType !== "task.created") continue;
    try {
      const title = (JSON.parse(event.json) as { data?: { title?: unknown } }).data?.title;
      if (typeof title === "string") return title;
    } catch {
      // A line that is not JSON has no title to show.
    }
  }
  return undefined;
}
