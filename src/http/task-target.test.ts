import { describe, expect, test } from "bun:test";
import { parseWorkflows, type Workflows } from "../workflows/definition.ts";
import { checkTarget, type TaskTargets } from "./task-target.ts";

const WORKFLOWS = parseWorkflows(`
workflows:
  - name: brief
    steps:
      - { id: summary, agent_type: summarizer, input: { text: "{{input.text}}", lang: "{{input.options.lang}}" } }
      - { id: keywords, agent_type: keywords, input: { text: "{{input.text}}" } }
      - id: headline
        agent_type: summarizer
        depends_on: [summary, keywords]
        input: { text: "{{steps.summary.output.summary}}" }
  - name: echo
    steps:
      - { id: only, agent_type: echo }
`);

/** Targets with these agent types registered, or the registry not caught up yet when `undefined`. */
function targets(types: string[] | undefined, workflows: Workflows = WORKFLOWS): TaskTargets {
  return { agentTypes: () => (types === undefined ? undefined : new Set(types)), workflows };
}

const ALL = targets(["summarizer", "keywords", "echo"]);
const INPUT = { text: "One. Two.", options: { lang: "en" } };

describe("checkTarget: what is fine", () => {
  test("a plain task, with neither agent_type nor workflow nor input, is ok without asking the registry", () => {
    const asked: string[] = [];
    const result = checkTarget({}, { agentTypes: () => (asked.push("asked"), undefined), workflows: WORKFLOWS });
    expect(result).toEqual({ kind: "ok" });
    expect(asked).toEqual([]);
  });

  test("a task for a registered agent type, with or without input, is ok", () => {
    expect(checkTarget({ agent_type: "summarizer" }, ALL)).toEqual({ kind: "ok" });
    expect(checkTarget({ agent_type: "summarizer", input: { text: "x" } }, ALL)).toEqual({ kind: "ok" });
  });

  test("a run of a defined workflow whose input has every path its steps refer to, and whose agent types are registered, is ok", () => {
    expect(checkTarget({ workflow: "brief", input: INPUT }, ALL)).toEqual({ kind: "ok" });
  });

  test("a run of a workflow that refers to no input needs no input", () => {
    expect(checkTarget({ workflow: "echo" }, ALL)).toEqual({ kind: "ok" });
  });

  test("an input value that is null or empty counts as given", () => {
    expect(checkTarget({ workflow: "brief", input: { text: "", options: { lang: null } } }, ALL)).toEqual({ kind: "ok" });
  });
});

describe("checkTarget: what the request itself gets wrong", () => {
  test("agent_type and workflow together are refused at path workflow", () => {
    expect(checkTarget({ agent_type: "summarizer", workflow: "brief", input: INPUT }, ALL)).toEqual({
      kind: "invalid",
      problems: [{ path: "workflow", message: "give agent_type or workflow, not both" }],
    });
  });

  test("input without agent_type or workflow is refused at path input", () => {
    expect(checkTarget({ input: { text: "x" } }, ALL)).toEqual({
      kind: "invalid",
      problems: [{ path: "input", message: "is only for a task with an agent_type or a workflow" }],
    });
  });
});

describe("checkTarget: workflows", () => {
  test("an unknown workflow is refused, listing the defined ones", () => {
    expect(checkTarget({ workflow: "nope" }, ALL)).toEqual({
      kind: "invalid",
      problems: [{ path: "workflow", message: "no workflow is named nope (defined: brief, echo)" }],
    });
  });

  test("an unknown workflow when none is defined says to set WORKFLOWS_FILE", () => {
    const result = checkTarget({ workflow: "brief" }, targets(["summarizer"], new Map()));
    expect(result).toEqual({ kind: "invalid", problems: [{ path: "workflow", message: "no workflow is named brief (none is defined: set WORKFLOWS_FILE)" }] });
  });

  test("each input path the steps refer to and the input lacks is a problem at input.<path>", () => {
    const result = checkTarget({ workflow: "brief", input: { options: {} } }, ALL);
    expect(result).toEqual({
      kind: "invalid",
      problems: [
        { path: "input.text", message: "is required by workflow brief" },
        { path: "input.options.lang", message: "is required by workflow brief" },
      ],
    });
  });

  test("a run with no input at all lacks every required path", () => {
    const result = checkTarget({ workflow: "brief" }, ALL);
    expect(result.kind).toBe("invalid");
    expect(result.kind === "invalid" && result.problems.map((p) => p.path)).toEqual(["input.text", "input.options.lang"]);
  });

  test("a path through a value that is not an object is missing", () => {
    const result = checkTarget({ workflow: "brief", input: { text: "x", options: "en" } }, ALL);
    expect(result).toEqual({ kind: "invalid", problems: [{ path: "input.options.lang", message: "is required by workflow brief" }] });
  });

  test("a step needing an agent type nobody registered is a problem at path workflow, naming the step, the type and the registered types", () => {
    const result = checkTarget({ workflow: "brief", input: INPUT }, targets(["summarizer", "echo"]));
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.problems).toHaveLength(1);
    const [problem] = result.problems;
    expect(problem!.path).toBe("workflow");
    expect(problem!.message).toContain("step keywords");
    expect(problem!.message).toContain("needs agent type keywords, but no agent of that type has registered (registered: echo, summarizer)");
  });

  test("an agent type several steps need is reported once, for the first step needing it", () => {
    const result = checkTarget({ workflow: "brief", input: INPUT }, targets(["keywords"]));
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.message).toContain("step summary");
    expect(result.problems[0]!.message).not.toContain("step headline");
  });
});

describe("checkTarget: agent types", () => {
  test("an agent type nobody registered is refused at path agent_type, listing the registered types sorted", () => {
    expect(checkTarget({ agent_type: "translator" }, targets(["summarizer", "echo", "keywords"]))).toEqual({
      kind: "invalid",
      problems: [{ path: "agent_type", message: "no agent of type translator has registered (registered: echo, keywords, summarizer)" }],
    });
  });

  test("says when no agent has registered at all", () => {
    expect(checkTarget({ agent_type: "translator" }, targets([]))).toEqual({
      kind: "invalid",
      problems: [{ path: "agent_type", message: "no agent of type translator has registered (no agent has registered yet)" }],
    });
  });
});

describe("checkTarget: the registry not caught up yet", () => {
  test("a task for an agent type is not known yet, rather than refused", () => {
    const result = checkTarget({ agent_type: "summarizer" }, targets(undefined));
    expect(result.kind).toBe("not-known-yet");
    expect(result.kind === "not-known-yet" && result.why).toContain("agent registry");
  });

  test("a valid workflow run is not known yet, rather than refused", () => {
    expect(checkTarget({ workflow: "brief", input: INPUT }, targets(undefined)).kind).toBe("not-known-yet");
  });

  test("a request with other problems is invalid, listing those problems only", () => {
    expect(checkTarget({ workflow: "brief", input: {} }, targets(undefined))).toEqual({
      kind: "invalid",
      problems: [
        { path: "input.text", message: "is required by workflow brief" },
        { path: "input.options.lang", message: "is required by workflow brief" },
      ],
    });
    expect(checkTarget({ agent_type: "summarizer", workflow: "brief", input: INPUT }, targets(undefined))).toEqual({
      kind: "invalid",
      problems: [{ path: "workflow", message: "give agent_type or workflow, not both" }],
    });
  });
});

describe("checkTarget: every problem at once", () => {
  test("lists the request's, the workflow's and the registry's problems together", () => {
    const result = checkTarget({ agent_type: "translator", workflow: "brief", input: { options: { lang: "en" } } }, targets(["summarizer"]));
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.problems.map((p) => p.path)).toEqual(["workflow", "input.text", "agent_type", "workflow"]);
    expect(result.problems[2]!.message).toStartWith("no agent of type translator has registered");
    expect(result.problems[3]!.message).toContain("needs agent type keywords");
  });
});
