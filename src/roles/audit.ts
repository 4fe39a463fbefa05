import { createAuditAgent } from "../../agents/audit/index.ts";
import { traceRoutes, type TraceSource } from "../../agents/audit/trace-page/index.tsx";
import { TraceIndex } from "../../agents/audit/trace-index.ts";
import type { RoleContext, RoleInstance } from "./role.ts";

/**
 * The audit agent, and the trace pages that read the index it keeps beside its log. The pages open the index
 * on their first request, read-only in effect: only the agent writes it.
 */
export function startAuditRole({ config, logger }: RoleContext): RoleInstance {
  const agent = createAuditAgent({ audit: config.audit, logger });
  let index: TraceIndex | undefined;
  const source = (): TraceSource => (index ??= TraceIndex.open(config.audit.logDir));
  return {
    agents: [agent],
    routes: traceRoutes(source),
    close: () => index?.close(),
  };
}
