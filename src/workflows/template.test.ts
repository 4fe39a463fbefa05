import { describe, expect, test } from "bun:test";
import { parseReference, referencesOf, render, resolve, type TemplateScope } from "./template.ts";

const SCOPE: TemplateScope = {
  input: { text: "One. Two.", count: 3, flag: false, tags: ["a", "b"], doc: { title: "T", pages: 2 }, nothing: null },
  steps: { summarize: { output: { summary: "One.", meta: { words: 1 } } }, list: { output: ["x", "y"] } },
};

describe("render: a string that is exactly one reference", () => {
  test("takes a string value as it is", () => {
    expect(render("{{input.text}}", SCOPE)).toBe("One. Two.");
  });

  test("keeps a number, a boolean and null as themselves, not as text", () => {
    expect(render("{{input.count}}", SCOPE)).toBe(3);
    expect(render("{{input.flag}}", SCOPE)).toBe(false);
    expect(render("{{input.nothing}}", SCOPE)).toBeNull();
  });

  test("keeps an object the same object and an array the same array", () => {
    expect(render("{{input.doc}}", SCOPE)).toBe(SCOPE.input.doc);
    expect(render("{{input.tags}}", SCOPE)).toBe(SCOPE.input.tags);
    expect(render("{{steps.list.output}}", SCOPE)).toEqual(["x", "y"]);
  });

  test("may have spaces inside the braces", () => {
    expect(render("{{ steps.summarize.output.summary }}", SCOPE)).toBe("One.");
  });

  test("gives undefined when the reference leads nowhere", () => {
    expect(render("{{input.missing}}", SCOPE)).toBeUndefined();
    expect(render("{{input.text.deeper}}", SCOPE)).toBeUndefined();
    expect(render("{{steps.unknown.output.summary}}", SCOPE)).toBeUndefined();
    expect(render("{{foo.bar}}", SCOPE)).toBeUndefined();
  });
});

describe("render: references inside other text", () => {
  test("are interpolated as text", () => {
    expect(render("Summary: {{steps.summarize.output.summary}} ({{input.count}} parts, {{input.flag}})", SCOPE)).toBe("Summary: One. (3 parts, false)");
  });

  test("interpolate objects and arrays as JSON", () => {
    expect(render("doc={{input.doc}} tags={{input.tags}}", SCOPE)).toBe('doc={"title":"T","pages":2} tags=["a","b"]');
  });

  test("interpolate a reference to nothing, or to null, as the empty string", () => {
    expect(render("[{{input.missing}}]", SCOPE)).toBe("[]");
    expect(render("[{{input.nothing}}]", SCOPE)).toBe("[]");
    expect(render("[{{foo.bar}}]", SCOPE)).toBe("[]");
  });

  test("two references side by side are each interpolated, not taken as one whole reference", () => {
    expect(render("{{input.count}}{{input.text}}", SCOPE)).toBe("3One. Two.");
  });

  test("a string without references is returned unchanged", () => {
    expect(render("plain {text} and { {input.text} }", SCOPE)).toBe("plain {text} and { {input.text} }");
  });
});

describe("render: structures and other values", () => {
  test("renders every string inside arrays and objects, at any depth", () => {
    const template = { text: "{{input.text}}", nested: { doc: "{{input.doc}}", list: ["{{input.count}}", "n={{input.count}}", { deep: "{{steps.list.output}}" }] } };
    expect(render(template, SCOPE)).toEqual({
      text: "One. Two.",
      nested: { doc: { title: "T", pages: 2 }, list: [3, "n=3", { deep: ["x", "y"] }] },
    });
  });

  test("returns numbers, booleans, null and undefined untouched", () => {
    expect(render(42, SCOPE)).toBe(42);
    expect(render(true, SCOPE)).toBe(true);
    expect(render(null, SCOPE)).toBeNull();
    expect(render(undefined, SCOPE)).toBeUndefined();
    expect(render({ n: 1, b: false, z: null }, SCOPE)).toEqual({ n: 1, b: false, z: null });
  });

  test("does not change the template it renders", () => {
    const template = { text: "{{input.text}}", list: ["{{input.count}}"] };
    render(template, SCOPE);
    expect(template).toEqual({ text: "{{input.text}}", list: ["{{input.count}}"] });
  });
});

describe("referencesOf", () => {
  test("finds every reference in strings at any depth, in order, including invalid ones", () => {
    const template = { a: "{{input.text}}", b: ["x {{steps.s1.output.y.z}} {{input.n}}", { c: "{{foo.bar}}" }], d: 5, e: null };
    expect(referencesOf(template)).toEqual([
      { kind: "input", path: ["text"] },
      { kind: "step", step: "s1", path: ["y", "z"] },
      { kind: "input", path: ["n"] },
      { kind: "invalid", text: "foo.bar" },
    ]);
  });

  test("finds none in a template without references", () => {
    expect(referencesOf({ a: "plain", b: [1, true, null] })).toEqual([]);
    expect(referencesOf(7)).toEqual([]);
  });
});

describe("parseReference", () => {
  test("input.<path> names a path of the run's input", () => {
    expect(parseReference("input.text")).toEqual({ kind: "input", path: ["text"] });
    expect(parseReference("input.doc.title")).toEqual({ kind: "input", path: ["doc", "title"] });
  });

  test("input alone names the whole input", () => {
    expect(parseReference("input")).toEqual({ kind: "input", path: [] });
  });

  test("steps.<id>.output.<path> names a path of a step's output", () => {
    expect(parseReference("steps.summarize.output.summary")).toEqual({ kind: "step", step: "summarize", path: ["summary"] });
    expect(parseReference("steps.summarize.output")).toEqual({ kind: "step", step: "summarize", path: [] });
  });

  test("anything else is invalid, keeping its text", () => {
    for (const text of ["foo.bar", "steps.summarize", "steps.summarize.input.text", "steps", "output.x", "Input.text"]) {
      expect(parseReference(text)).toEqual({ kind: "invalid", text });
    }
  });
});

describe("resolve", () => {
  test("follows a path into the run's input", () => {
    expect(resolve({ kind: "input", path: ["doc", "title"] }, SCOPE)).toBe("T");
    expect(resolve({ kind: "input", path: [] }, SCOPE)).toBe(SCOPE.input);
  });

  test("follows a path into a step's output", () => {
    expect(resolve({ kind: "step", step: "summarize", path: ["meta", "words"] }, SCOPE)).toBe(1);
    expect(resolve({ kind: "step", step: "list", path: ["1"] }, SCOPE)).toBe("y");
  });

  test("gives undefined for a step not finished, a missing key, a path through a non-object, or an invalid reference", () => {
    expect(resolve({ kind: "step", step: "later", path: ["x"] }, SCOPE)).toBeUndefined();
    expect(resolve({ kind: "input", path: ["missing"] }, SCOPE)).toBeUndefined();
    expect(resolve({ kind: "input", path: ["count", "x"] }, SCOPE)).toBeUndefined();
    expect(resolve({ kind: "input", path: ["nothing", "x"] }, SCOPE)).toBeUndefined();
    expect(resolve({ kind: "invalid", text: "input.text" }, SCOPE)).toBeUndefined();
  });
});
