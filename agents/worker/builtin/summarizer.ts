import type { BuiltInAgent } from "./index.ts";

const DEFAULT_SENTENCES = 2;

/**
 * An extractive summary: the first sentences of `input.text`. No model, no network: it lets the embedded
 * default run real work end to end, and shows what a handler returns.
 */
export const summarizer: BuiltInAgent = {
  card: {
    name: "Summarizer (built in)",
    version: "1.0.0",
    description: "Summarizes a text by keeping its first sentences; needs no model.",
    skills: [
      {
        id: "summarize",
        name: "Summarize a text",
        description: "input {text, max_sentences?}: output {summary, sentences, words}",
        tags: ["text", "summary"],
        examples: ['{"text": "Kafka keeps events. Agents read them. Nothing is lost."}'],
        inputModes: ["application/json"],
        outputModes: ["application/json"],
      },
    ],
  },
  async handle({ input }) {
    const text = input.text;
    if (typeof text !== "string" || text.trim() === "") return { error: "input.text must be a non-empty string" };
    const max = input.max_sentences ?? DEFAULT_SENTENCES;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) return { error: "input.max_sentences must be a whole number of at least 1" };
    const sentences = text.replace(/\s+/g, " ").trim().match(/[^.!?]+[.!?]*/g) ?? [];
    const summary = sentences.slice(0, max).map((s) => s.trim()).join(" ");
    return { output: { summary, sentences: sentences.length, words: text.split(/\s+/).filter(Boolean).length } };
  },
};
