import * as v from "valibot";
import { AppError } from "../errors.ts";

/** One problem with an event, at a dotted path into the envelope (`""` is the whole input). */
export interface EventIssue {
  readonly path: string;
  readonly message: string;
}

/** An event that cannot be accepted; `issues` lists every problem found, not just the first. */
export class ValidationError extends AppError {
  readonly issues: readonly EventIssue[];

  constructor(issues: readonly EventIssue[], options?: { cause?: unknown }) {
    super(`invalid event: ${issues.map(formatIssue).join("; ")}`, options);
    this.issues = issues;
  }

  /** The shape `v.flatten` gives, for callers that report errors per field. */
  get nested(): Record<string, string[]> {
    const nested: Record<string, string[]> = {};
    for (const { path, message } of this.issues) (nested[path] ??= []).push(message);
    return nested;
  }
}

function formatIssue(issue: EventIssue): string {
  return issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
}

/** Turns valibot issues into our issues, with `prefix` prepended to every path (e.g. `"data"`). */
export function issuesFromValibot(issues: readonly v.BaseIssue<unknown>[], prefix = ""): EventIssue[] {
  const flat = v.flatten(issues.map(withReadableMessage) as [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]);
  const list: EventIssue[] = [];
  for (const message of flat.root ?? []) list.push({ path: prefix, message });
  for (const [path, messages] of Object.entries(flat.nested ?? {})) {
    const full = prefix === "" ? path : `${prefix}.${path}`;
    for (const message of messages ?? []) list.push({ path: full, message });
  }
  for (const message of flat.other ?? []) list.push({ path: prefix, message });
  return list;
}

// valibot words a missing key as `Invalid key: Expected "task_id" but received undefined`; the path already
// names the key, so say what is wrong in plain words.
function withReadableMessage(issue: v.BaseIssue<unknown>): v.BaseIssue<unknown> {
  const last = issue.path?.at(-1);
  const missing = last?.origin === "key" && issue.input === undefined;
  return missing ? { ...issue, message: "is required" } : issue;
}
