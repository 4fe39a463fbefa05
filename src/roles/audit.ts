import { existsSync } from "node:fs";
import { createAuditAgent } from "../../agents/audit/index.ts";
import { TraceIndex } from "../../agents/audit/trace-index.ts";
import { traceRoutes, type TraceSource } from "../../agents/audit/trace-page/index.tsx";
import type { RoleContext, RoleInstance } from "./role.ts";

/** Before the first audit line the directory does not exist: there is nothing to show, which is no fault. */
const NOTHING_AUDITED: TraceSource = { story: () => [], recent: () => [] };

/**
 * The audit agent, and the trace pages that read the index it keeps beside its log. The pages open the index
 * on the first request after the log exists; only the agent writes it.
 */
export function startAuditRole({ config, logger }: RoleContext): RoleInstance {
  const agent = createAuditAgent({ audit: config.audit, logger });
  let index: TraceIndex | undefined;
  const source = (): TraceSource => {
    if (index) return index;
    if (!existsSync(config.audit.logDir)) return NOTHING_AUDITED;
    return (index = TraceIndex.open(config.audit.logDir));
  };
  return {
    agents: [agent],
    routes: traceRoutes(source),
    close: () => index?.close(),
  };
}
