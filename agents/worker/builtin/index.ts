import type { AgentSkill } from "../../../src/events/index.ts";
import type { TaskHandler } from "../task-request.ts";
import { keywords } from "./keywords.ts";
import { summarizer } from "./summarizer.ts";

/** A worker type that lives in this repository: its card and its handler. */
export interface BuiltInAgent {
  card: { name: string; version: string; description: string; skills: AgentSkill[] };
  handle: TaskHandler;
}

/** The built-in types by AGENT_TYPE; --role=all runs one worker of each. */
export const BUILT_IN_AGENTS: Readonly<Record<string, BuiltInAgent>> = { summarizer, keywords };

export const BUILT_IN_AGENT_TYPES = Object.keys(BUILT_IN_AGENTS);

export function isBuiltInAgentType(type: string): boolean {
  return Object.hasOwn(BUILT_IN_AGENTS, type);
}
