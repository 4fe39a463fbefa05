import type { Workflows } from "../workflows/definition.ts";
import { requiredInputPaths } from "../workflows/definition.ts";
import type { Problem } from "./problem.ts";

/** What a task may be for: the agent types that registered, and the workflows defined. */
export interface TaskTargets {
  /** Every agent type registered within agent-results' retention, or undefined while not read up to now yet. */
  agentTypes(): ReadonlySet<string> | undefined;
  workflows: Workflows;
}

/** The optional fields of POST /tasks that make a task some agent's work, or a workflow run. */
export interface TaskTargetFields {
  agent_type?: string;
  workflow?: string;
  input?: Record<string, unknown>;
}

export type TargetCheck = { kind: "ok" } | { kind: "invalid"; problems: Problem[] } | { kind: "not-known-yet"; why: string };

/**
 * Checks what a task is for against what exists: an agent type some agent registered, a workflow defined,
 * the input a workflow's steps refer to. Every problem is listed; a check that needs the agent registry
 * before it has caught up says so instead of refusing.
 */
export function checkTarget(fields: TaskTargetFields, targets: TaskTargets): TargetCheck {
  const problems: Problem[] = [];
  const { agent_type, workflow, input } = fields;
  if (agent_type !== undefined && workflow !== undefined) problems.push({ path: "workflow", message: "give agent_type or workflow, not both" });
  if (input !== undefined && agent_type === undefined && workflow === undefined) {
    problems.push({ path: "input", message: "is only for a task with an agent_type or a workflow" });
  }
  const needed = new Map<string, string>();
  if (agent_type !== undefined) needed.set(agent_type, "agent_type");
  if (workflow !== undefined) {
    const definition = targets.workflows.get(workflow);
    if (!definition) {
      const defined = [...targets.workflows.keys()];
      const known = defined.length > 0 ? `defined: ${defined.join(", ")}` : "none is defined: set WORKFLOWS_FILE";
      problems.push({ path: "workflow", message: `no workflow is named ${workflow} (${known})` });
    } else {
      for (const path of requiredInputPaths(definition)) {
        if (valueAt(input ?? {}, path) === undefined) problems.push({ path: ["input", ...path].join("."), message: `is required by workflow ${workflow}` });
      }
      for (const step of definition.steps) if (!needed.has(step.agent_type)) needed.set(step.agent_type, `step ${step.id}`);
    }
  }
  if (needed.size > 0) {
    const types = targets.agentTypes();
    if (types === undefined) {
      if (problems.length > 0) return { kind: "invalid", problems };
      return { kind: "not-known-yet", why: "the agent registry has not read agent-results up to now yet" };
    }
    for (const [type, where] of needed) {
      if (types.has(type)) continue;
      const known = types.size > 0 ? `registered: ${[...types].sort().join(", ")}` : "no agent has registered yet";
      const path = where === "agent_type" ? "agent_type" : "workflow";
      const subject = where === "agent_type" ? `no agent of type ${type}` : `${where} needs agent type ${type}, but no agent of that type`;
      problems.push({ path, message: `${subject} has registered (${known})` });
    }
  }
  return problems.length > 0 ? { kind: "invalid", problems } : { kind: "ok" };
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((at, key) => (typeof at === "object" && at !== null ? (at as Record<string, unknown>)[key] : undefined), value);
}
