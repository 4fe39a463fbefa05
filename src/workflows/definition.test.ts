import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import { loadWorkflows, parseWorkflows, requiredInputPaths, upstream, type Workflow } from "./definition.ts";

/** The problems parseWorkflows reports for a file; fails the test when it accepts the file. */
function problemsOf(text: string): readonly string[] {
  try {
    parseWorkflows(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the workflow file to be refused");
}

/** One workflow named w with the given steps, as YAML. */
function oneWorkflow(steps: string): string {
  return `workflows:\n  - name: w\n    steps:\n${steps}`;
}

const BRIEF = `
workflows:
  - name: brief
    description: Summary, keywords, then a headline
    steps:
      - { id: summary, agent_type: summarizer, input: { text: "{{input.text}}" } }
      - { id: keywords, agent_type: keywords, input: { text: "{{input.text}}", lang: "{{input.options.lang}}" }, attempts: 1 }
      - id: headline
        agent_type: summarizer
        depends_on: [summary, keywords]
        timeout_ms: 5000
        input: { text: "{{steps.summary.output.summary}}", tags: "{{steps.keywords.output.keywords}}" }
  - name: echo
    steps:
      - { id: only, agent_type: echo }
`;

function workflow(name: string, text = BRIEF): Workflow {
  return parseWorkflows(text).get(name)!;
}

describe("parseWorkflows: a valid file", () => {
  test("gives the workflows by name, with the steps as written and defaults filled in", () => {
    const workflows = parseWorkflows(BRIEF);
    expect([...workflows.keys()]).toEqual(["brief", "echo"]);
    const brief = workflows.get("brief")!;
    expect(brief.description).toBe("Summary, keywords, then a headline");
    expect(brief.steps.map((step) => step.id)).toEqual(["summary", "keywords", "headline"]);
    expect(brief.steps[1]).toMatchObject({ agent_type: "keywords", attempts: 1, depends_on: [] });
    expect(brief.steps[2]).toMatchObject({ depends_on: ["summary", "keywords"], timeout_ms: 5000 });
    expect(workflows.get("echo")!.steps[0]).toEqual({ id: "only", agent_type: "echo", input: {}, depends_on: [] });
  });

  test("accepts JSON as well as YAML", () => {
    const json = JSON.stringify({ workflows: [{ name: "j", steps: [{ id: "a", agent_type: "x", input: { t: "{{input.text}}" } }] }] });
    const workflows = parseWorkflows(json);
    expect([...workflows.keys()]).toEqual(["j"]);
    expect(workflows.get("j")!.steps[0]).toMatchObject({ id: "a", agent_type: "x", input: { t: "{{input.text}}" } });
  });

  test("lets a step refer to the output of a step it waits for only through another", () => {
    const text = oneWorkflow(`      - { id: a, agent_type: x }
      - { id: b, agent_type: x, depends_on: [a] }
      - { id: c, agent_type: x, depends_on: [b], input: { t: "{{steps.a.output.t}}" } }
`);
    expect(parseWorkflows(text).get("w")!.steps).toHaveLength(3);
  });
});

describe("parseWorkflows: the file's shape", () => {
  test("refuses unknown fields on a workflow and on a step, naming each by its path", () => {
    const problems = problemsOf(`workflows:
  - name: w
    colour: red
    steps:
      - { id: a, agent_type: x, retries: 1 }
`);
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining("WORKFLOWS_FILE: workflows.0.colour:"), expect.stringContaining("WORKFLOWS_FILE: workflows.0.steps.0.retries:")]),
    );
  });

  test("refuses an unknown field at the top of the file", () => {
    const problems = problemsOf(`workflows: []\nextra: 1\n`);
    expect(problems).toEqual([expect.stringContaining("WORKFLOWS_FILE: extra:")]);
  });

  test("lists every shape problem at once", () => {
    const problems = problemsOf(`workflows:
  - name: w
    steps: []
  - name: "bad name"
    steps:
      - { id: a, agent_type: x, attempts: 0, timeout_ms: 10 }
`);
    expect(problems).toEqual([
      "WORKFLOWS_FILE: workflows.0.steps: must have at least one step",
      "WORKFLOWS_FILE: workflows.1.name: may only contain A-Z a-z 0-9 . _ : -",
      "WORKFLOWS_FILE: workflows.1.steps.0.attempts: must be at least 1",
      "WORKFLOWS_FILE: workflows.1.steps.0.timeout_ms: must be at least 100",
    ]);
  });

  test("refuses text that is not YAML at all", () => {
    const problems = problemsOf("workflows: [ {");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("WORKFLOWS_FILE: not YAML or JSON:");
  });

  test("refuses YAML that is not a mapping of workflows, naming the whole file", () => {
    expect(problemsOf("just text")).toEqual([expect.stringMatching(/^WORKFLOWS_FILE: \(file\): /)]);
  });

  test("the thrown ConfigError's message lists the problems", () => {
    expect(() => parseWorkflows("workflows: [ {")).toThrow(/invalid configuration:\n {2}- WORKFLOWS_FILE: not YAML or JSON/);
  });
});

describe("parseWorkflows: names, steps and dependencies", () => {
  test("refuses two workflows with the same name", () => {
    const problems = problemsOf(`workflows:
  - { name: w, steps: [{ id: a, agent_type: x }] }
  - { name: w, steps: [{ id: b, agent_type: x }] }
`);
    expect(problems).toEqual(["WORKFLOWS_FILE: workflows.1 (w): the name w is used twice"]);
  });

  test("refuses two steps with the same id", () => {
    expect(problemsOf(oneWorkflow("      - { id: a, agent_type: x }\n      - { id: a, agent_type: y }\n"))).toEqual([
      "WORKFLOWS_FILE: workflows.0 (w): step a is defined twice",
    ]);
  });

  test("refuses a dependency on a step that does not exist", () => {
    expect(problemsOf(oneWorkflow("      - { id: a, agent_type: x, depends_on: [ghost] }\n"))).toEqual([
      "WORKFLOWS_FILE: workflows.0 (w): step a depends on ghost, which is not a step of this workflow",
    ]);
  });

  test("refuses a step that depends on itself", () => {
    const problems = problemsOf(oneWorkflow("      - { id: a, agent_type: x, depends_on: [a] }\n"));
    expect(problems).toContain("WORKFLOWS_FILE: workflows.0 (w): step a depends on itself");
  });

  test("refuses steps that depend on each other in a loop, showing the loop", () => {
    const problems = problemsOf(oneWorkflow("      - { id: a, agent_type: x, depends_on: [b] }\n      - { id: b, agent_type: x, depends_on: [a] }\n"));
    expect(problems).toEqual(["WORKFLOWS_FILE: workflows.0 (w): steps depend on each other in a loop: a -> b -> a"]);
  });

  test("shows a longer loop from where it starts, not the path that led to it", () => {
    const problems = problemsOf(
      oneWorkflow(`      - { id: start, agent_type: x, depends_on: [a] }
      - { id: a, agent_type: x, depends_on: [b] }
      - { id: b, agent_type: x, depends_on: [c] }
      - { id: c, agent_type: x, depends_on: [a] }
`),
    );
    expect(problems).toEqual(["WORKFLOWS_FILE: workflows.0 (w): steps depend on each other in a loop: a -> b -> c -> a"]);
  });
});

describe("parseWorkflows: references in a step's input", () => {
  test("refuses a reference to the output of a step the step does not wait for", () => {
    const problems = problemsOf(oneWorkflow(`      - { id: a, agent_type: x }
      - { id: b, agent_type: x, input: { t: "{{steps.a.output.t}}" } }
`));
    expect(problems).toEqual(["WORKFLOWS_FILE: workflows.0 (w): step b refers to the output of a, which it does not wait for (add it to depends_on)"]);
  });

  test("refuses a reference to the output of a step that waits for it instead", () => {
    const problems = problemsOf(oneWorkflow(`      - { id: a, agent_type: x, input: { t: "{{steps.b.output.t}}" } }
      - { id: b, agent_type: x, depends_on: [a] }
`));
    expect(problems).toEqual(["WORKFLOWS_FILE: workflows.0 (w): step a refers to the output of b, which it does not wait for (add it to depends_on)"]);
  });

  test("refuses a reference that names neither the input nor a step's output, however deep", () => {
    const problems = problemsOf(oneWorkflow(`      - { id: a, agent_type: x, input: { nested: ["see {{foo.bar}}"] } }\n`));
    expect(problems).toEqual(["WORKFLOWS_FILE: workflows.0 (w): step a refers to {{foo.bar}}: refer to input.… or steps.<id>.output.…"]);
  });
});

describe("parseWorkflows: every problem at once", () => {
  test("lists the problems of every step and every workflow in one error", () => {
    const problems = problemsOf(`workflows:
  - name: w
    steps:
      - { id: a, agent_type: x }
      - { id: a, agent_type: x }
      - { id: b, agent_type: x, depends_on: [ghost], input: { t: "{{steps.a.output.t}}", u: "{{foo.bar}}" } }
  - name: v
    steps:
      - { id: p, agent_type: x, depends_on: [q] }
      - { id: q, agent_type: x, depends_on: [p] }
  - name: w
    steps:
      - { id: s, agent_type: x, depends_on: [s] }
`);
    expect(problems).toEqual([
      "WORKFLOWS_FILE: workflows.0 (w): step a is defined twice",
      "WORKFLOWS_FILE: workflows.0 (w): step b depends on ghost, which is not a step of this workflow",
      "WORKFLOWS_FILE: workflows.0 (w): step b refers to the output of a, which it does not wait for (add it to depends_on)",
      "WORKFLOWS_FILE: workflows.0 (w): step b refers to {{foo.bar}}: refer to input.… or steps.<id>.output.…",
      "WORKFLOWS_FILE: workflows.1 (v): steps depend on each other in a loop: p -> q -> p",
      "WORKFLOWS_FILE: workflows.2 (w): the name w is used twice",
      "WORKFLOWS_FILE: workflows.2 (w): step s depends on itself",
      "WORKFLOWS_FILE: workflows.2 (w): steps depend on each other in a loop: s -> s",
    ]);
  });

  test("lists one workflow's shape problems beside another workflow's dependency problems", () => {
    const problems = problemsOf(`workflows:
  - name: shaped-wrong
    steps:
      - { id: a, agent_type: x, retries: 3 }
  - name: looping
    steps:
      - { id: p, agent_type: x, depends_on: [p] }
`);
    expect(problems).toEqual([
      "WORKFLOWS_FILE: workflows.0.steps.0.retries: is not a field of a step (id, agent_type, input, depends_on, attempts, timeout_ms)",
      "WORKFLOWS_FILE: workflows.1 (looping): step p depends on itself",
      "WORKFLOWS_FILE: workflows.1 (looping): steps depend on each other in a loop: p -> p",
    ]);
  });

  test("names the given source instead of WORKFLOWS_FILE", () => {
    expect(() => parseWorkflows(oneWorkflow("      - { id: a, agent_type: x, depends_on: [ghost] }\n"), "flows.yaml")).toThrow(
      "flows.yaml: workflows.0 (w): step a depends on ghost",
    );
  });
});

describe("requiredInputPaths", () => {
  test("lists each input path the steps refer to once, in the order first referred to", () => {
    expect(requiredInputPaths(workflow("brief"))).toEqual([["text"], ["options", "lang"]]);
  });

  test("leaves out references to step outputs and to the whole input", () => {
    const text = oneWorkflow(`      - { id: a, agent_type: x, input: { all: "{{input}}" } }
      - { id: b, agent_type: x, depends_on: [a], input: { t: "{{steps.a.output.t}}" } }
`);
    expect(requiredInputPaths(workflow("w", text))).toEqual([]);
  });

  test("is empty for a workflow whose steps have no input", () => {
    expect(requiredInputPaths(workflow("echo"))).toEqual([]);
  });
});

describe("upstream", () => {
  const CHAIN = oneWorkflow(`      - { id: a, agent_type: x }
      - { id: b, agent_type: x, depends_on: [a] }
      - { id: c, agent_type: x, depends_on: [b] }
      - { id: d, agent_type: x, depends_on: [c, a] }
      - { id: e, agent_type: x }
`);

  test("is every step a step waits for, directly or through others", () => {
    expect(upstream(workflow("w", CHAIN), "d")).toEqual(new Set(["c", "a", "b"]));
    expect(upstream(workflow("w", CHAIN), "c")).toEqual(new Set(["b", "a"]));
  });

  test("is empty for a step with no dependencies and for an unknown step", () => {
    expect(upstream(workflow("w", CHAIN), "e")).toEqual(new Set());
    expect(upstream(workflow("w", CHAIN), "ghost")).toEqual(new Set());
  });

  test("ends on steps that depend on each other in a loop", () => {
    const looping: Workflow = {
      name: "loop",
      steps: [
        { id: "a", agent_type: "x", input: {}, depends_on: ["b"] },
        { id: "b", agent_type: "x", input: {}, depends_on: ["a"] },
      ],
    };
    expect(upstream(looping, "a")).toEqual(new Set(["b", "a"]));
  });
});

describe("loadWorkflows", () => {
  const dir = mkdtempSync(join(tmpdir(), "workflows-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads and checks a workflow file", () => {
    const path = join(dir, "workflows.yaml");
    writeFileSync(path, BRIEF);
    expect([...loadWorkflows(path).keys()]).toEqual(["brief", "echo"]);
  });

  test("names the file in the problems of a file it refuses", () => {
    const path = join(dir, "bad.yaml");
    writeFileSync(path, oneWorkflow("      - { id: a, agent_type: x, depends_on: [ghost] }\n"));
    let problems: readonly string[] = [];
    try {
      loadWorkflows(path);
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
    expect(problems[0]).toEndWith("workflows.0 (w): step a depends on ghost, which is not a step of this workflow");
  });

  test("a missing file is a ConfigError naming WORKFLOWS_FILE and the path", () => {
    const path = join(dir, "missing.yaml");
    let thrown: unknown;
    try {
      loadWorkflows(path);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const problems = (thrown as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith(`WORKFLOWS_FILE: cannot read ${path}:`);
  });
});
