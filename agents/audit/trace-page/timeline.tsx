import { flatten, isFailure, millis, type TraceNode } from "../../../src/trace/causation-tree.ts";
import { sourceClass } from "./sources.ts";

/**
 * The waterfall: one row per event in tree order, its bar running from its cause's time to its own, on a
 * scale from the story's first event to its last. A slow hop is the long bar; colours tell the agents apart.
 */
export function Timeline({ tree }: { tree: readonly TraceNode[] }) {
  const rows = flatten(tree);
  const times = rows.map(({ node }) => millis(node.event));
  const start = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - start);
  const at = (ms: number) => ((ms - start) / span) * 100;
  return (
    <section aria-label="timeline">
      <div class="waterfall">
        <span />
        <div class="axis">
          <span>0 ms</span>
          <span>{formatMs(span / 2)}</span>
          <span>{formatMs(span)}</span>
        </div>
        <span />
        {rows.map(({ node, depth }) => {
          const end = millis(node.event);
          const from = node.gapMs === undefined ? end : end - node.gapMs;
          const failed = isFailure(node.event);
          return (
            <div class={failed ? "row row-bad" : "row"} style="display: contents">
              <span class="label mono" style={`padding-left: ${depth * 0.9}rem`} title={`${node.event.eventType} from ${node.event.source}`}>
                {node.event.eventType} <span class="empty">{node.event.source}</span>
              </span>
              <div class="track">
                <span
                  class={`bar ${failed ? "failed" : sourceClass(node.event.source)}`}
                  style={`left: ${at(from).toFixed(2)}%; width: ${Math.max(0, at(end) - at(from)).toFixed(2)}%`}
                />
              </div>
              <span class="gap">{node.gapMs === undefined ? "" : `+${formatMs(node.gapMs)}`}</span>
            </div>
          );
        })}
      </div>
    </section>
  );
}

export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
}
