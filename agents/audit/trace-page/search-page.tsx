import type { RecentCorrelation } from "../trace-index.ts";
import { clockTime } from "./event-tree.tsx";
import { Layout } from "./layout.tsx";

/** /trace: the search box, the most recent requests' correlations and the agents' own, newest first. */
export function SearchPage({ recent, agents }: { recent: readonly RecentCorrelation[]; agents: readonly RecentCorrelation[] }) {
  return (
    <Layout title="Trace">
      <h1>Recent requests</h1>
      <p class="subtitle">The requests the audit log holds, newest first. Search by any id above.</p>
      {recent.length === 0 ? (
        <p class="empty">No events audited yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>correlation</th>
              <th>title</th>
              <th>first event (UTC)</th>
              <th>last event</th>
              <th class="num">events</th>
              <th class="num">failures</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((story) => (
              <tr>
                <td class="mono">
                  <a href={`/trace/${encodeURIComponent(story.correlationId)}`}>{story.correlationId}</a>
                </td>
                <td>{story.title ?? ""}</td>
                <td>
                  {story.firstAt.slice(0, 10)} {clockTime(story.firstAt)}
                </td>
                <td>{clockTime(story.lastAt)}</td>
                <td class="num">{story.events}</td>
                <td class={story.failures > 0 ? "num bad" : "num"}>{story.failures}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {agents.length === 0 ? (
        ""
      ) : (
        <>
          <h2>Agents</h2>
          <p class="subtitle">Each agent's own story: its registration, heartbeats and leaving.</p>
          <p class="agents">
            {agents.map((story) => (
              <>
                <a class="mono" href={`/trace/${encodeURIComponent(story.correlationId)}`}>
                  {story.correlationId}
                </a>{" "}
              </>
            ))}
          </p>
        </>
      )}
    </Layout>
  );
}
