import type { BuiltInAgent } from "./index.ts";

const DEFAULT_COUNT = 5;
// Words too common to say what a text is about.
const STOP_WORDS = new Set(
  "a an and are as at be by for from has have in is it its of on or that the this to was were will with not no we you they".split(" "),
);

/** The most frequent words of `input.text` (or of `input.summary`, so it can follow the summarizer in a workflow). */
export const keywords: BuiltInAgent = {
  card: {
    name: "Keywords (built in)",
    version: "1.0.0",
    description: "Picks the most frequent meaningful words of a text; needs no model.",
    skills: [
      {
        id: "keywords",
        name: "Extract keywords",
        description: "input {text or summary, count?}: output {keywords}",
        tags: ["text", "keywords"],
        inputModes: ["application/json"],
        outputModes: ["application/json"],
      },
    ],
  },
  async handle({ input }) {
    const text = typeof input.text === "string" ? input.text : input.summary;
    if (typeof text !== "string" || text.trim() === "") return { error: "input.text (or input.summary) must be a non-empty string" };
    const count = input.count ?? DEFAULT_COUNT;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1) return { error: "input.count must be a whole number of at least 1" };
    const frequency = new Map<string, number>();
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      if (word.length > 2 && !STOP_WORDS.has(word)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
    }
    const ranked = [...frequency].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return { output: { keywords: ranked.slice(0, count).map(([word]) => word) } };
  },
};
