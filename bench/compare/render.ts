// Rewrites bench/results.md and bench/results.svg from the figures a run saved, without measuring again:
//   bun bench/compare/render.ts /tmp/bench-compare-logs-XXXX/results.json
import { readFileSync } from "node:fs";
import { writeResults, type ResultsInput } from "./results.ts";

const path = process.argv[2];
if (!path) throw new Error("usage: bun bench/compare/render.ts RESULTS_JSON");
writeResults(JSON.parse(readFileSync(path, "utf8")) as ResultsInput);
console.log("wrote bench/results.md and bench/results.svg");
