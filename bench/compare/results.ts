/** Targets, bench/results.md and the chart's panels, from the rows of one run. */
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_JVM_OPTS } from "../support/broker.ts";
import { renderChart, type Panel } from "./chart.ts";
import { formatRatio, formatValue, markdownBesideOurs, markdownTable, markdownTargets, type Row, type Target } from "./report.ts";
import {
  deno,
  nodePeer,
  nodePeerLinger1,
  oursApi,
  oursApiLinger5,
  PYTHON,
  PYTHON_AUDIT,
  pythonConfirmed,
  pythonSpec,
  type Paths,
} from "./systems.ts";
import type { AuditResult } from "./workloads/audit.ts";
import type { EndToEndResult } from "./workloads/end-to-end.ts";
import type { Intruder } from "./support/contention.ts";
import type { HttpLoadResult } from "./workloads/http-load.ts";

const find = (rows: readonly Row[], key: string, system: string) => rows.find((r) => r.key === key && r.system === system)?.value ?? NaN;

function ratioTarget(name: string, ours: number, theirs: number, goal: number): Target | undefined {
  if (Number.isNaN(ours) || Number.isNaN(theirs)) return undefined;
  const ratio = ours / theirs;
  const met = ratio >= goal;
  const margin = met
    ? `${((ratio / goal - 1) * 100).toFixed(0)}% above the goal`
    : `short by ${((1 - ratio / goal) * 100).toFixed(0)}%: needs ${formatValue(theirs * goal, "")} where ours has ${formatValue(ours, "")}`;
  return { name, goal: `≥ ${goal}×`, measured: formatRatio(ratio), met, margin };
}

function limitTarget(name: string, value: number, limit: number, unit: string): Target | undefined {
  if (Number.isNaN(value)) return undefined;
  const met = value <= limit;
  const margin = met
    ? `${formatValue(limit - value, unit)} under the limit`
    : `over by ${formatValue(value - limit, unit)} (${((value / limit - 1) * 100).toFixed(0)}%)`;
  return { name, goal: `≤ ${limit} ${unit}`, measured: formatValue(value, unit), met, margin };
}

/** The issue's targets, from the same run; those whose workload did not run are left out. */
export function evaluateTargets(rows: readonly Row[]): Target[] {
  const top = "w1-c64";
  const ours = find(rows, `${top}-rps`, oursApi.label);
  const targets: Array<Target | undefined> = [
    ratioTarget("1. c=64 throughput vs the spec's Python service, delivery confirmed", ours, find(rows, `${top}-rps`, pythonConfirmed.label), 5),
    ratioTarget("1. c=64 throughput vs Node with Confluent's client", ours, find(rows, `${top}-rps`, nodePeer.label), 1.5),
    limitTarget("1. c=64 p99 latency", find(rows, `${top}-p99`, oursApi.label), 25, "ms"),
    ratioTarget(
      "2. audit throughput vs the spec's audit agent",
      find(rows, "w2-rate", oursApi.label),
      find(rows, "w2-rate", PYTHON_AUDIT),
      20,
    ),
    limitTarget("3. end-to-end p99 (request → audit line)", find(rows, "w3-p99", oursApi.label), 50, "ms"),
    limitTarget("4. api role idle RSS", find(rows, "w4-api-idle", oursApi.label), 80, "MB"),
  ];
  return targets.filter((t): t is Target => t !== undefined);
}

function run(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return (r.stdout.toString() + r.stderr.toString()).trim().split("\n")[0] ?? "?";
  } catch {
    return "?";
  }
}

const ROOT = resolve(import.meta.dir, "../..");

/** What was measured: the commit the binary was built from (and whether src/ differed), and each runtime. */
export function describeSoftware(paths: Paths): string {
  const python = run([
    PYTHON,
    "-c",
    "import sys, fastapi, uvicorn, confluent_kafka; print(f'Python {sys.version.split()[0]}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, confluent-kafka {confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]})')",
  ]);
  const commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const status = Bun.spawnSync(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "agents"]).stdout.toString().trim();
  let build = `binary built from ${commit}`;
  if (status !== "") {
    const diff = Bun.spawnSync(["git", "-C", ROOT, "diff", "HEAD", "--", "src", "agents"]).stdout;
    const digest = new Bun.CryptoHasher("sha256").update(diff).digest("hex").slice(0, 12);
    build += ` plus uncommitted changes in src/ or agents/ (${status.split("\n").length} files; \`git diff HEAD\` sha256 ${digest}…)`;
  }
  return [
    build,
    `Bun ${Bun.version}`,
    `Deno ${/deno (\S+)\)/.exec(run([...deno.command(paths), "--version"]))?.[1] ?? "?"}`,
    `Node ${run([paths.node, "--version"])} with @confluentinc/kafka-javascript 1.10.1 (librdkafka 2.15.1), Hono 4.13.19, @hono/node-server 2.1.9`,
    python,
    run(["wrk", "--version"]).replace(/ Copyright.*/, ""),
  ].join("; ");
}

export interface ResultsInput {
  finishedAt: string;
  rows: Row[];
  targets: Target[];
  settings: { seconds: number; warmupSeconds: number; partitions: number; pythonAuditEvents: number; pythonAuditSeconds: number };
  totalSeconds: number;
  loadBefore: string;
  loadAfter: string;
  phaseSeconds: Record<string, number>;
  http: HttpLoadResult[];
  /** Deno's is missing from runs before it was measured. */
  audit: { ours: AuditResult; python: AuditResult; deno?: AuditResult };
  e2e: EndToEndResult;
  /** CPU used by processes outside the run while it ran. */
  intruders: Intruder[];
  /** CPU seconds the hypervisor took (steal) per phase. */
  stealByPhase?: Record<string, number>;
  /** describeSoftware(), taken when the run started. */
  software: string;
}

function stealText(steal: Record<string, number> | undefined): string {
  if (!steal) return "not recorded";
  const total = Object.values(steal).reduce((a, b) => a + b, 0);
  const worst = Object.entries(steal).sort((a, b) => b[1] - a[1])[0];
  return worst && worst[1] >= 1 ? `${total.toFixed(1)} s in all, ${worst[1].toFixed(1)} s during ${worst[0]}` : `${total.toFixed(1)} s in all`;
}

/** The figures results.md sets Deno beside the Bun binary by. */
const DENO_FIGURES = [
  { key: "w1-c64-rps", name: "1. POST /tasks, c=64: throughput" },
  { key: "w2-rate", name: "2. audit: throughput" },
  { key: "w4-api-idle", name: "4. api role: RSS idle" },
  { key: "w4-audit-idle", name: "4. audit role: RSS idle" },
  { key: "w4-api-start", name: "4. api role: start-up (spawn → /readyz 200)" },
  { key: "w4-audit-start", name: "4. audit role: start-up (spawn → /readyz 200)" },
];

function denoSection(rows: readonly Row[]): string {
  const table = markdownBesideOurs(rows, deno.label, DENO_FIGURES);
  if (!table) return "";
  return `
## Deno beside the Bun binary

The same sources, run by Deno through \`scripts/agent-events-deno\`, in the same run as the binary and in no target.
Ratio to ours as above: above 1, the Bun binary is better. Start-up is a warm start: Deno had type-stripped the
sources into its cache before the run.

${table}

Where Deno is slower, its time goes to serving HTTP (\`Deno.serve\` and Hono's objects), to FFI calls and
memory reads through a wrapper per symbol, and, in the audit role, to hashing each line through
\`node:crypto\`: [README.md](README.md) ("Deno: where its time goes") has each part's cost on both
runtimes, measured by \`bash bench/runtime-parts.sh\`.
`;
}

function denoAuditDetail(deno: AuditResult | undefined): string {
  if (!deno) return "";
  return ` Deno, after the audit-log group was moved back to the start of task-events, made the same ${deno.events.toLocaleString("en-US")} events durable (${deno.lines.toLocaleString("en-US")} lines on disk) in ${deno.seconds.toFixed(1)} s.`;
}

export function resultsMarkdown(input: ResultsInput): string {
  const { settings: s } = input;
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const cpuRows = input.http.flatMap((h) =>
    h.runs.map(
      (r) =>
        `| ${h.system.label} | ${r.connections} | ${formatValue(r.wrk.requestsPerSecond, "")} | ${r.wrk.p90Ms.toFixed(2)} | ${r.wrk.maxMs.toFixed(1)} | ` +
        `${r.wrk.non2xx} / ${r.wrk.socketErrors} | ${r.sutCpuMsPerRequest.toFixed(3)} | ${r.brokerCpuMsPerRequest.toFixed(3)} |`,
    ),
  );
  const phases = Object.entries(input.phaseSeconds)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(0)} s`)
    .join(", ");
  return `# Benchmark results

Written by \`bash bench/compare/run.sh\`; [README.md](README.md) says what each workload does and why.

- Run: ${input.finishedAt.slice(0, 16).replace("T", " ")} UTC on ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${input.loadBefore} before, ${input.loadAfter} after.
- Total run time ${(input.totalSeconds / 60).toFixed(1)} min: ${phases}.
- Broker: one Apache Kafka KRaft node on loopback (\`${BENCH_JVM_OPTS.join(" ")}\`), every topic ${s.partitions} partitions.
- Software: ${input.software}.
- Other processes: ${
    input.intruders.length === 0
      ? "none outside this run used more than a second of CPU while it ran."
      : input.intruders.map((i) => `\`${i.command}\` used ${i.cpuSeconds.toFixed(1)} CPU-s, most during ${i.phases.join(", ")}`).join("; ") + "; those figures shared the cores."
  } CPU stolen by the hypervisor: ${stealText(input.stealByPhase)}.

**Ratio to ours** is how many times better ours is: throughput ours ÷ theirs; latency, memory and time theirs ÷ ours.
Above 1, ours is better.

## Targets

${markdownTargets(input.targets)}
${input.targets.some((t) => !t.met) ? "\nWhere a target is missed, [README.md](README.md) says what the profile shows is the cost.\n" : ""}
## Results

${markdownTable(input.rows)}

![throughput, latency and memory](results.svg)
${denoSection(input.rows)}
## Details

Workload 1: wrk, one thread, ${s.seconds} s per concurrency after a ${s.warmupSeconds} s warm-up at c=16. CPU per request is the CPU time (user + system, from /proc) the process used during the run divided by the requests answered.

| system | c | req/s | p90 ms | max ms | non-2xx / socket errors | CPU ms/request, system | CPU ms/request, broker |
|---|---:|---:|---:|---:|---|---:|---:|
${cpuRows.join("\n")}

- Workload 2: ours made ${input.audit.ours.events.toLocaleString("en-US")} events durable (${input.audit.ours.lines.toLocaleString("en-US")} lines on disk) in ${input.audit.ours.seconds.toFixed(1)} s, from the first durable event to the last. The spec's agent wrote ${input.audit.python.events.toLocaleString("en-US")} lines in ${input.audit.python.seconds.toFixed(1)} s (bounded at ${s.pythonAuditEvents.toLocaleString("en-US")} events or ${s.pythonAuditSeconds} s). Ours fsyncs every batch before committing it; the spec's agent never fsyncs, so a line it has committed can still be lost.${denoAuditDetail(input.audit.deno)}
- Workload 3: ${input.e2e.requests.toLocaleString("en-US")} requests sent at ${input.e2e.achievedRate.toFixed(0)}/s, ${input.e2e.httpFailures} failed, ${input.e2e.matched.toLocaleString("en-US")} matched to audit lines. Request → audit line: p50 ${input.e2e.delayP50Ms} ms, p99 ${input.e2e.delayP99Ms} ms, max ${input.e2e.delayMaxMs} ms (logged_at has millisecond resolution). HTTP response: p50 ${input.e2e.responseP50Ms.toFixed(2)} ms, p99 ${input.e2e.responseP99Ms.toFixed(2)} ms.
`;
}

/** One colour per system across the panels: ours in blues, Deno violet, Node green, Python in oranges and grey. */
export const SERIES_COLORS: Record<string, string> = {
  [oursApi.label]: "#2563eb",
  [oursApiLinger5.label]: "#93c5fd",
  [deno.label]: "#7c3aed",
  "agent-events producer (library, Bun)": "#1e3a8a",
  [nodePeer.label]: "#16a34a",
  [nodePeerLinger1.label]: "#86efac",
  [pythonConfirmed.label]: "#ea580c",
  [pythonSpec.label]: "#9ca3af",
  [PYTHON_AUDIT]: "#b45309",
  "librdkafka rdkafka_performance (C)": "#374151",
};

export function chartPanels(rows: readonly Row[], http: HttpLoadResult[]): Panel[] {
  const groupsFor = (figure: "rps" | "p99") =>
    http[0]!.runs.map((run) => ({
      label: `c=${run.connections}`,
      bars: http.flatMap((h) => {
        const same = h.runs.find((r) => r.connections === run.connections);
        if (!same) return [];
        return [{ series: h.system.label, value: figure === "rps" ? same.wrk.requestsPerSecond : same.wrk.p99Ms }];
      }),
    }));
  const barsFor = (key: string) => rows.filter((r) => r.key === key).map((r) => ({ series: r.system, value: r.value }));
  return [
    { title: "1. POST /tasks throughput, delivery confirmed (except the spec as written)", unit: "req/s", groups: groupsFor("rps") },
    { title: "1. POST /tasks p99 latency", unit: "ms", log: true, groups: groupsFor("p99"), goal: { value: 25, label: "target for ours at c=64: ≤ 25 ms" } },
    {
      title: "2. audit agent and 5. producer throughput, 1 KiB events",
      unit: "msgs/s",
      log: true,
      groups: [
        { label: "2. audit: durable in the log", bars: barsFor("w2-rate") },
        { label: "5. produce, acks=all", bars: barsFor("w5") },
      ],
    },
    {
      title: "4. resident memory",
      unit: "MB",
      groups: [
        { label: "api idle", bars: barsFor("w4-api-idle") },
        { label: "api under workload 1", bars: barsFor("w4-api-load") },
        { label: "audit idle", bars: barsFor("w4-audit-idle") },
        { label: "audit under workload 2", bars: barsFor("w4-audit-load") },
      ],
      goal: { value: 80, label: "target for the idle api: ≤ 80 MB" },
    },
    {
      title: "3. end to end at a fixed rate: request → audit line (ours)",
      unit: "ms",
      groups: [
        { label: "p50", bars: barsFor("w3-p50") },
        { label: "p99", bars: barsFor("w3-p99") },
      ],
      goal: { value: 50, label: "target for p99: ≤ 50 ms" },
    },
  ];
}



const BENCH = join(ROOT, "bench");

/** Writes bench/results.md and bench/results.svg. */
export function writeResults(input: ResultsInput): void {
  writeFileSync(join(BENCH, "results.md"), resultsMarkdown(input));
  const chart = renderChart("agent-events beside the spec's Python service and Node", chartPanels(input.rows, input.http), SERIES_COLORS);
  writeFileSync(join(BENCH, "results.svg"), chart);
}
