import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { AgentSkill } from "../../../src/events/index.ts";
import type { TaskRequest } from "../task-request.ts";
import { BUILT_IN_AGENT_TYPES, BUILT_IN_AGENTS, isBuiltInAgentType } from "./index.ts";
import { keywords } from "./keywords.ts";
import { summarizer } from "./summarizer.ts";

function run(agent: typeof summarizer, input: Record<string, unknown>) {
  const request: TaskRequest = {
    task_id: "task-42",
    agent_type: "test",
    attempt: 1,
    input,
    correlation_id: "req-abc-123",
    deadline: "2030-01-01T00:00:00.000Z",
  };
  return agent.handle(request, { idempotencyKey: "5b1f8f9e-2c36-4f44-8d0e-0a4c2b1d9e77", signal: new AbortController().signal });
}

describe("the summarizer", () => {
  const text = "Kafka keeps events. Agents read them! Is anything lost? Nothing is lost.";

  test("keeps the first two sentences by default, and counts the sentences and words of the whole text", async () => {
    expect(await run(summarizer, { text })).toEqual({
      output: { summary: "Kafka keeps events. Agents read them!", sentences: 4, words: 12 },
    });
  });

  test("keeps the first max_sentences sentences", async () => {
    expect(await run(summarizer, { text, max_sentences: 3 })).toEqual({
      output: { summary: "Kafka keeps events. Agents read them! Is anything lost?", sentences: 4, words: 12 },
    });
    expect(await run(summarizer, { text, max_sentences: 1 })).toMatchObject({ output: { summary: "Kafka keeps events." } });
  });

  test("keeps the whole text when it has fewer sentences than asked", async () => {
    expect(await run(summarizer, { text: "Only one sentence here", max_sentences: 5 })).toEqual({
      output: { summary: "Only one sentence here", sentences: 1, words: 4 },
    });
  });

  test("folds line breaks and runs of spaces in the summary", async () => {
    expect(await run(summarizer, { text: "  First   line\n  goes on.\n\nSecond\tone.  Third." })).toEqual({
      output: { summary: "First line goes on. Second one.", sentences: 3, words: 7 },
    });
  });

  test.each([
    ["no text", {}],
    ["an empty text", { text: "" }],
    ["a text of spaces", { text: " \n\t " }],
    ["a text that is not a string", { text: 42 }],
  ])("refuses %s with an error", async (_, input) => {
    expect(await run(summarizer, input)).toEqual({ error: "input.text must be a non-empty string" });
  });

  test.each([
    ["zero", 0],
    ["negative", -1],
    ["a fraction", 1.5],
    ["a string", "2"],
  ])("refuses max_sentences that is %s with an error", async (_, max_sentences) => {
    expect(await run(summarizer, { text, max_sentences })).toEqual({ error: "input.max_sentences must be a whole number of at least 1" });
  });
});

describe("keywords", () => {
  test("ranks words by frequency, ties in alphabetical order, skipping stop words and words of two letters or fewer", async () => {
    const text = "The broker keeps the events. Events go to agents; agents read events and the broker keeps them. An ox is in it.";
    expect(await run(keywords, { text, count: 10 })).toEqual({
      output: { keywords: ["events", "agents", "broker", "keeps", "read", "them"] },
    });
  });

  test("gives five keywords by default", async () => {
    const text = "alpha alpha alpha alpha alpha alpha bravo bravo bravo bravo bravo charlie charlie charlie charlie delta delta delta echo echo foxtrot";
    expect(await run(keywords, { text })).toEqual({ output: { keywords: ["alpha", "bravo", "charlie", "delta", "echo"] } });
  });

  test("gives count keywords, and ignores case", async () => {
    expect(await run(keywords, { text: "Kafka KAFKA kafka Events events Agents", count: 2 })).toEqual({ output: { keywords: ["kafka", "events"] } });
  });

  test("reads input.summary when there is no text, so it can follow the summarizer", async () => {
    expect(await run(keywords, { summary: "Workers report results. Workers heartbeat." })).toEqual({
      output: { keywords: ["workers", "heartbeat", "report", "results"] },
    });
  });

  test("prefers input.text to input.summary", async () => {
    expect(await run(keywords, { text: "orchestrator", summary: "summarizer" })).toEqual({ output: { keywords: ["orchestrator"] } });
  });

  test("counts letters of every alphabet and digits as words", async () => {
    expect(await run(keywords, { text: "Größe größe café 2024 2024 2024" })).toEqual({ output: { keywords: ["2024", "größe", "café"] } });
  });

  test("gives no keywords for a text of stop words only", async () => {
    expect(await run(keywords, { text: "the and of to is it" })).toEqual({ output: { keywords: [] } });
  });

  test.each([
    ["neither text nor summary", {}],
    ["an empty text and no summary", { text: "  " }],
    ["a summary that is not a string", { summary: ["a", "list"] }],
  ])("refuses %s with an error", async (_, input) => {
    expect(await run(keywords, input)).toEqual({ error: "input.text (or input.summary) must be a non-empty string" });
  });

  test.each([
    ["zero", 0],
    ["a fraction", 2.5],
    ["a string", "3"],
  ])("refuses a count that is %s with an error", async (_, count) => {
    expect(await run(keywords, { text: "Kafka keeps events", count })).toEqual({ error: "input.count must be a whole number of at least 1" });
  });
});

describe("the built-in agent types", () => {
  test("are the summarizer and keywords", () => {
    expect(BUILT_IN_AGENT_TYPES).toEqual(["summarizer", "keywords"]);
    expect(BUILT_IN_AGENTS.summarizer).toBe(summarizer);
    expect(BUILT_IN_AGENTS.keywords).toBe(keywords);
    expect(isBuiltInAgentType("summarizer")).toBe(true);
    expect(isBuiltInAgentType("translator")).toBe(false);
    // Not a property every object has.
    expect(isBuiltInAgentType("toString")).toBe(false);
  });

  test.each(BUILT_IN_AGENT_TYPES)("the %s card's skills are valid A2A AgentSkills", (type) => {
    const { card } = BUILT_IN_AGENTS[type]!;
    expect(card.skills.length).toBeGreaterThan(0);
    for (const skill of card.skills) expect(v.parse(AgentSkill, skill)).toEqual(skill);
    expect(card.name.length).toBeGreaterThan(0);
    expect(card.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
