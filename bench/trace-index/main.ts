import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listAuditFilesSync } from "../../agents/audit/files.ts";
import { INDEX_FILE } from "../../agents/audit/trace-index-schema.ts";
import { TraceIndex } from "../../agents/audit/trace-index.ts";
import { causationTree } from "../../src/trace/causation-tree.ts";
import { generateLog, type Sample } from "./generate.ts";

/*
 * How fast `agent-events trace` answers on a large audit log: generates one (kept under .cache/ and reused),
 * builds its index from nothing, then times lookups of random ids of each kind, in this process
 * (TraceIndex.story and the tree) and as the command a person runs (the compiled binary, start to exit).
 * Times are with the log and index in the page cache, as on a machine that has been writing them.
 */
const { values } = parseArgs({
  options: { events: { type: "string", default: "10000000" }, days: { type: "string", default: "5" }, lookups: { type: "string", default: "1000" }, cli: { type: "string", default: "100" } },
});
const EVENTS = Number(values.events);
const ROOT = resolve(import.meta.dir, "../..");
const DIR = join(ROOT, ".cache/trace-bench", `${EVENTS}`);
const BINARY = join(ROOT, "dist/agent-events");
const KINDS = ["correlation", "task", "workflow", "event"] as const;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const sizeOf = (names: string[]) => names.reduce((sum, name) => sum + (existsSync(join(DIR, name)) ? statSync(join(DIR, name)).size : 0), 0);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;

let sample: Sample;
const samplePath = join(DIR, "sample.json");
let generateSeconds: number | undefined;
if (existsSync(samplePath)) {
  sample = JSON.parse(readFileSync(samplePath, "utf8"));
  console.error(`reusing the log in ${DIR}`);
} else {
  rmSync(DIR, { recursive: true, force: true });
  const started = performance.now();
  sample = generateLog(DIR, EVENTS, Number(values.days));
  generateSeconds = (performance.now() - started) / 1000;
  writeFileSync(samplePath, JSON.stringify(sample));
  console.error(`generated ${EVENTS} events in ${generateSeconds.toFixed(0)} s`);
}
const logFiles = listAuditFilesSync(DIR);
const logBytes = sizeOf(logFiles);

for (const suffix of ["", "-wal", "-shm"]) rmSync(join(DIR, INDEX_FILE + suffix), { force: true });
const buildStarted = performance.now();
const index = TraceIndex.open(DIR);
const { indexed } = await index.catchUp();
const buildSeconds = (performance.now() - buildStarted) / 1000;
index.close(); // checkpoints the WAL into the file, so its size is the index's
const indexBytes = sizeOf([INDEX_FILE, `${INDEX_FILE}-wal`]);
console.error(`indexed ${indexed} lines in ${buildSeconds.toFixed(1)} s; index ${mib(indexBytes)}, log ${mib(logBytes)}`);

const rows: string[] = [];
const reader = TraceIndex.open(DIR);
for (const kind of KINDS) {
  const times: number[] = [];
  let events = 0;
  for (let i = 0; i < Number(values.lookups); i++) {
    const id = pick(sample[kind]);
    const started = performance.now();
    const story = reader.story(id);
    causationTree(story);
    times.push(performance.now() - started);
    if (story.length === 0) throw new Error(`no story for ${kind} ${id}`);
    events += story.length;
  }
  times.sort((a, b) => a - b);
  rows.push(`| ${kind} id | in process: story + tree | ${times.length} | ${(events / times.length).toFixed(1)} | ${percentile(times, 50).toFixed(2)} ms | ${percentile(times, 99).toFixed(2)} ms |`);
}
reader.close();

for (const kind of KINDS) {
  const times: number[] = [];
  for (let i = 0; i < Number(values.cli); i++) {
    const id = pick(sample[kind]);
    const started = performance.now();
    const run = Bun.spawnSync([BINARY, "trace", id, "--audit-dir", DIR], { stdout: "pipe", stderr: "pipe" });
    times.push(performance.now() - started);
    if (run.exitCode !== 0) throw new Error(`trace ${id}: ${run.stderr.toString()}`);
  }
  times.sort((a, b) => a - b);
  rows.push(`| ${kind} id | \`agent-events trace\`, wall time | ${times.length} | | ${percentile(times, 50).toFixed(1)} ms | ${percentile(times, 99).toFixed(1)} ms |`);
}
const baseline: number[] = [];
for (let i = 0; i < 20; i++) {
  const started = performance.now();
  Bun.spawnSync([BINARY, "--help"], { stdout: "pipe" });
  baseline.push(performance.now() - started);
}
baseline.sort((a, b) => a - b);

const report = `# Trace index benchmark

\`bash bench/trace-index/run.sh\` (${new Date().toISOString().slice(0, 10)}, this 2-core machine): a generated audit log of
${EVENTS.toLocaleString("en")} events in ${logFiles.length} day files (stories of 5-50 events, ~200 interleaved), its index built from nothing,
then lookups of random ids of each kind. Log and index in the page cache.

| | |
|---|---:|
| Log | ${mib(logBytes)} (${(logBytes / EVENTS).toFixed(0)} bytes a line) |
${generateSeconds !== undefined ? `| Generating it | ${generateSeconds.toFixed(0)} s |\n` : ""}| Building the index from the log | ${buildSeconds.toFixed(1)} s (${Math.round(indexed / buildSeconds).toLocaleString("en")} lines/s) |
| Index (\`trace-index.sqlite\`) | ${mib(indexBytes)} (${(indexBytes / EVENTS).toFixed(0)} bytes an event, ${((100 * indexBytes) / logBytes).toFixed(1)} % of the log) |
| Index with each event's JSON in it instead of its position (computed: + the events' bytes) | about ${mib(indexBytes + logBytes - EVENTS * 190)} |

| Looked up by | How | Lookups | Events a story | p50 | p99 |
|---|---|---:|---:|---:|---:|
${rows.join("\n")}
| (none) | \`agent-events --help\`, the process alone | 20 | | ${percentile(baseline, 50).toFixed(1)} ms | ${percentile(baseline, 99).toFixed(1)} ms |
`;
writeFileSync(join(ROOT, "bench/trace-index-results.md"), report);
console.log(report);
