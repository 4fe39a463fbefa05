import { readFileSync } from "node:fs";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../errors.ts";
import { SafeId } from "../events/index.ts";
import { referencesOf } from "./template.ts";

const Step = v.strictObject({
  id: SafeId,
  agent_type: SafeId,
  /** The step's input: JSON whose strings may refer to `{{input.…}}` and `{{steps.<id>.output.…}}`. */
  input: v.optional(v.record(v.string(), v.unknown()), {}),
  depends_on: v.optional(v.array(SafeId, "must be a list of step ids"), []),
  /** Attempts in all, the first included; TASK_MAX_ATTEMPTS unless given. */
  attempts: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.maxValue(100, "must be at most 100"))),
  /** How long one attempt may take, from its assignment. */
  timeout_ms: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(100, "must be at least 100"))),
});

const WorkflowSchema = v.strictObject({
  name: v.pipe(SafeId),
  description: v.optional(v.string()),
  steps: v.pipe(v.array(Step, "must be a list of steps"), v.minLength(1, "must have at least one step")),
});

const FileSchema = v.strictObject({ workflows: v.array(v.unknown(), "must be a list of workflows") });

export type WorkflowStep = v.InferOutput<typeof Step>;
export type Workflow = v.InferOutput<typeof WorkflowSchema>;

/** The workflows defined in WORKFLOWS_FILE, by name. */
export type Workflows = ReadonlyMap<string, Workflow>;

/**
 * Reads a workflow file (YAML, or JSON, which is YAML too) and checks it whole: the shape, unique names and
 * step ids, dependencies that exist and do not loop, and references that name the run's input or a step the
 * referring step waits for. Throws ConfigError listing every problem.
 */
export function loadWorkflows(path: string): Workflows {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([`WORKFLOWS_FILE: cannot read ${path}: ${(error as Error).message}`]);
  }
  return parseWorkflows(text, `WORKFLOWS_FILE (${path})`);
}

/** valibot's words for an unknown or missing field, said as the file's reader would. */
function messageOf(issue: v.BaseIssue<unknown>, depth = 0): string {
  if (issue.type !== "strict_object") return issue.message;
  const path = [...Array(depth).fill(""), ...(v.getDotPath(issue)?.split(".") ?? [])];
  const [what, fields] =
    path.length >= 4 ? ["step", Object.keys(Step.entries)] : path.length >= 2 ? ["workflow", Object.keys(WorkflowSchema.entries)] : ["workflow file", Object.keys(FileSchema.entries)];
  if (issue.expected === "never") return `is not a field of a ${what} (${fields.join(", ")})`;
  return issue.input === undefined ? "is required" : issue.message;
}

export function parseWorkflows(text: string, source = "WORKFLOWS_FILE"): Workflows {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`${source}: not YAML or JSON: ${(error as Error).message}`]);
  }
  const file = v.safeParse(FileSchema, raw);
  if (!file.success) throw new ConfigError(file.issues.map((issue) => `${source}: ${v.getDotPath(issue) ?? "(file)"}: ${messageOf(issue)}`));
  const problems: string[] = [];
  const workflows = new Map<string, Workflow>();
  // Each workflow on its own: one's shape problems do not hide another's (or its own) dependency problems.
  for (const [index, candidate] of file.output.workflows.entries()) {
    const parsed = v.safeParse(WorkflowSchema, candidate);
    if (!parsed.success) {
      problems.push(...parsed.issues.map((issue) => `${source}: workflows.${index}.${v.getDotPath(issue) ?? ""}: ${messageOf(issue, 2)}`.replace(/\.: /, ": ")));
      continue;
    }
    const workflow = parsed.output;
    const where = `${source}: workflows.${index} (${workflow.name})`;
    if (workflows.has(workflow.name)) problems.push(`${where}: the name ${workflow.name} is used twice`);
    workflows.set(workflow.name, workflow);
    problems.push(...stepProblems(workflow).map((problem) => `${where}: ${problem}`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return workflows;
}

function stepProblems(workflow: Workflow): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const step of workflow.steps) {
    if (ids.has(step.id)) problems.push(`step ${step.id} is defined twice`);
    ids.add(step.id);
  }
  for (const step of workflow.steps) {
    for (const dependency of step.depends_on) {
      if (!ids.has(dependency)) problems.push(`step ${step.id} depends on ${dependency}, which is not a step of this workflow`);
      if (dependency === step.id) problems.push(`step ${step.id} depends on itself`);
    }
    const waitsFor = upstream(workflow, step.id);
    for (const reference of referencesOf(step.input)) {
      if (reference.kind === "invalid") problems.push(`step ${step.id} refers to {{${reference.text}}}: refer to input.… or steps.<id>.output.…`);
      else if (reference.kind === "step" && !waitsFor.has(reference.step)) {
        problems.push(`step ${step.id} refers to the output of ${reference.step}, which it does not wait for (add it to depends_on)`);
      }
    }
  }
  const cycle = findCycle(workflow);
  if (cycle) problems.push(`steps depend on each other in a loop: ${cycle.join(" -> ")}`);
  return problems;
}

/** Every step `id` waits for, directly or not. */
export function upstream(workflow: Workflow, id: string, seen = new Set<string>()): Set<string> {
  for (const dependency of workflow.steps.find((s) => s.id === id)?.depends_on ?? []) {
    if (seen.has(dependency)) continue;
    seen.add(dependency);
    upstream(workflow, dependency, seen);
  }
  return seen;
}

function findCycle(workflow: Workflow): string[] | undefined {
  const byId = new Map(workflow.steps.map((step) => [step.id, step]));
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const walk = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "visiting");
    path.push(id);
    for (const dependency of byId.get(id)?.depends_on ?? []) {
      const cycle = byId.has(dependency) ? walk(dependency) : undefined;
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const step of workflow.steps) {
    const cycle = walk(step.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The paths of the run's input the workflow's steps refer to: a run whose input lacks one is refused. */
export function requiredInputPaths(workflow: Workflow): string[][] {
  const paths = new Map<string, string[]>();
  for (const step of workflow.steps) {
    for (const reference of referencesOf(step.input)) {
      if (reference.kind === "input" && reference.path.length > 0) paths.set(reference.path.join("."), reference.path);
    }
  }
  return [...paths.values()];
}
