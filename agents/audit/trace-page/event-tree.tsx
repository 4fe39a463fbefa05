import { isFailure, type TraceNode } from "../../../src/trace/causation-tree.ts";
import { formatMs } from "./timeline.tsx";

/** The causation tree: each event under its cause, opening to its full JSON. */
export function EventTree({ tree }: { tree: readonly TraceNode[] }) {
  return (
    <ul class="tree">
      {tree.map((node) => (
        <EventNode node={node} />
      ))}
    </ul>
  );
}

function EventNode({ node }: { node: TraceNode }) {
  const { event } = node;
  const failed = isFailure(event);
  return (
    <li class={failed ? "failed" : undefined} data-event-id={event.eventId}>
      <details>
        <summary>
          {failed ? <span class="bad" aria-label="failed">✗ </span> : ""}
          <span class="type mono">{event.eventType}</span>
          <span class="meta">
            {event.source} · <time datetime={event.occurredAt}>{clockTime(event.occurredAt)}</time>
            {node.gapMs === undefined ? "" : ` · +${formatMs(node.gapMs)}`}
          </span>
          {event.deadLetter ? (
            <span class="note">
              dead-lettered by {event.deadLetter.group} ({event.deadLetter.reason}): {event.deadLetter.error}
            </span>
          ) : (
            ""
          )}
        </summary>
        <pre class="json">{prettyJson(event.json)}</pre>
      </details>
      {node.children.length > 0 ? (
        <ul>
          {node.children.map((child) => (
            <EventNode node={child} />
          ))}
        </ul>
      ) : (
        ""
      )}
    </li>
  );
}

/** HH:MM:SS.mmm in UTC, as the events' own times are. */
export function clockTime(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : time.toISOString().slice(11, 23);
}

/** Indented for reading; a line that is not JSON (an unparseable dead letter) is shown as it is. */
function prettyJson(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
