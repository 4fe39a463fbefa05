// Runs every workload of bench/README.md against one Kafka broker, one system at a time, then writes
// bench/results.md and bench/results.svg and prints the table. Start it with `bash bench/compare/run.sh`,
// which installs and builds what this needs first.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TOPICS } from "../../src/events/index.ts";
import { Admin } from "../../src/kafka/admin.ts";
import { startKafkaCluster } from "../../test/support/kafka-cluster.ts";
import { BENCH_JVM_OPTS } from "../support/broker.ts";
import { textTable, type Row } from "./report.ts";
import { gcLogOption } from "./support/broker-gc.ts";
import { ContentionMonitor } from "./support/contention.ts";
import { loadAverage, javaPidsByCommandLine } from "./support/processes.ts";
import { rewindGroup } from "./support/rewind-group.ts";
import { bunBinary, deno, denoApi, nodePeer, nodePeerLinger1, oursApi, oursApiLinger5, PEER_TOPICS, pythonConfirmed, pythonSpec, settleDisk, type Paths } from "./systems.ts";
import { auditRows, measureOurAudit, measurePythonAudit } from "./workloads/audit.ts";
import { rdkafkaPerformanceProduce } from "./workloads/ceiling.ts";
import { endToEndRows, measureEndToEnd, type EndToEndResult } from "./workloads/end-to-end.ts";
import { httpRows, measureHttpSystem, type HttpLoadResult } from "./workloads/http-load.ts";
import { measureIdleRoles, measurePythonAuditIdle } from "./workloads/idle.ts";
import { preloadTaskCreated } from "./support/preload.ts";
import { describeSoftware, evaluateTargets, writeResults, type ResultsInput } from "./results.ts";

const ROOT = resolve(import.meta.dir, "../..");
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const settings = {
  seconds: env("BENCH_SECONDS", 20),
  warmupSeconds: env("BENCH_WARMUP_SECONDS", 5),
  concurrencies: [1, 16, 64],
  auditEvents: env("BENCH_AUDIT_EVENTS", 1_000_000),
  pythonAuditEvents: env("BENCH_PYTHON_AUDIT_EVENTS", 100_000),
  pythonAuditSeconds: env("BENCH_PYTHON_AUDIT_SECONDS", 60),
  ceilingEvents: env("BENCH_CEILING_EVENTS", 1_000_000),
  e2eRate: env("BENCH_E2E_RATE", 1000),
  e2eSeconds: env("BENCH_E2E_SECONDS", env("BENCH_SECONDS", 20)),
  idleSettleMs: env("BENCH_IDLE_SETTLE_MS", 3000),
  partitions: 3,
};

/** BENCH_WORKLOADS=1,3 runs only those workloads (results.md is written only by a full run). */
const selected = new Set((process.env.BENCH_WORKLOADS ?? "1,2,3,4,5").split(",").map(Number));

const startedAt = performance.now();
const stamp = () => `[${((performance.now() - startedAt) / 1000).toFixed(0).padStart(4)} s]`;
const log = (line: string) => console.error(`${stamp()} ${line}`);

const paths: Paths = {
  binary: process.env.AGENT_EVENTS_BINARY ?? join(ROOT, "dist/agent-events"),
  node: process.env.NODE_BIN ?? "node",
  logDir: process.env.BENCH_LOG_DIR ?? mkdtempSync(join(tmpdir(), "bench-compare-logs-")),
};
const rdkafkaPerformance = process.env.RDKAFKA_PERFORMANCE ?? join(ROOT, ".cache/librdkafka/2.15.1/bin/rdkafka_performance");
for (const file of [paths.binary, rdkafkaPerformance]) if (!existsSync(file)) throw new Error(`${file} is missing; run bench/compare/run.sh`);
mkdirSync(paths.logDir, { recursive: true });

const loadBefore = loadAverage();
// Taken now, right after run.sh built the binary: others may edit src/ while this runs.
const software = describeSoftware(paths);
log(`load average before: ${loadBefore}; logs in ${paths.logDir}`);
const brokerGcLog = join(paths.logDir, "broker-gc.log");
const cluster = await startKafkaCluster({
  nodes: 1,
  jvmOpts: [...BENCH_JVM_OPTS, gcLogOption(brokerGcLog)],
  startTimeoutMs: 120_000,
});
const bootstrap = cluster.bootstrap;
const brokerPid = javaPidsByCommandLine(cluster.dataDir)[0];
log(`broker at ${bootstrap} (pid ${brokerPid})`);

const rows: Row[] = [];
const phaseSeconds: Record<string, number> = {};
const contention = new ContentionMonitor();
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  settleDisk();
  const t0 = performance.now();
  contention.phase = name;
  log(`== ${name}`);
  try {
    return await work();
  } finally {
    phaseSeconds[name] = (performance.now() - t0) / 1000;
  }
}

try {
  const admin = new Admin({ "bootstrap.servers": bootstrap });
  const benchTopics = [...PEER_TOPICS, "bench-ceiling", "bench-python-audit-idle"];
  await admin.createTopics(
    [...TOPICS, ...benchTopics].map((topic) => ({ topic, partitions: settings.partitions, replicationFactor: 1 })),
  );
  admin.close();

  // Idle roles first, while every topic is empty, so that no agent finds work. The spec's agent goes first:
  // the broker creates __consumer_offsets for the first group, which should not count as anyone's start-up.
  if (selected.has(4)) {
    await phase("4. idle roles", async () => {
      rows.push(await measurePythonAuditIdle(bootstrap, paths, "bench-python-audit-idle", settings.idleSettleMs + 2000, log));
      for (const launcher of [bunBinary, deno]) {
        rows.push(...(await measureIdleRoles(bootstrap, paths, ["audit", "email", "slack", "all"], settings.idleSettleMs, log, launcher)));
      }
    });
  }

  if (selected.has(5)) {
    const ceiling = await phase("5. ceiling", async () => {
      const perSecond = await rdkafkaPerformanceProduce(rdkafkaPerformance, bootstrap, "bench-ceiling", settings.ceilingEvents);
      log(`rdkafka_performance: ${perSecond} msgs/s`);
      return perSecond;
    });
    rows.push({ system: "librdkafka rdkafka_performance (C)", workload: "5. produce", figure: "throughput (the ceiling)", value: ceiling, unit: "msgs/s", better: "higher", key: "w5" });
  }

  let audit: ResultsInput["audit"] | undefined;
  if (selected.has(2)) {
    const preloadRate = await phase("2. preload", async () => {
      const perSecond = await preloadTaskCreated(bootstrap, "task-events", settings.auditEvents);
      log(`preloaded ${settings.auditEvents} events with our producer at ${perSecond.toFixed(0)} msgs/s`);
      return perSecond;
    });
    const note = `${settings.auditEvents.toLocaleString("en-US")} × 1 KiB task.created, acks=all, idempotence, linger.ms=5`;
    rows.push({ system: "agent-events producer (library, Bun)", workload: "5. produce", figure: "throughput", note, value: preloadRate, unit: "msgs/s", better: "higher", key: "w5", ours: true });
    audit = await phase("2. audit", async () => {
      const ours = await measureOurAudit(bootstrap, paths, settings.auditEvents, log);
      const python = await measurePythonAudit(bootstrap, paths, "task-events", settings.pythonAuditEvents, settings.pythonAuditSeconds, log);
      return { ours, python };
    });
    // A phase of its own: the Bun binary's and the spec's logs are deleted and flushed first, as the preload
    // was before theirs.
    audit.deno = await phase("2. audit, Deno", async () => {
      // The same preloaded events: the audit-log group goes back to where it was before the Bun binary read them.
      await rewindGroup(bootstrap, "audit-log", "task-events", settings.partitions);
      return measureOurAudit(bootstrap, paths, settings.auditEvents, log, deno);
    });
    rows.push(...auditRows([audit.ours, audit.deno, audit.python]));
  }

  // Before workload 1, so that the audit-log group, which workload 2 left at the end of task-events, does
  // not first have to read what workload 1 writes there.
  let e2e: EndToEndResult | undefined;
  if (selected.has(3)) {
    e2e = await phase("3. end to end", () =>
      measureEndToEnd(bootstrap, paths, { rate: settings.e2eRate, seconds: settings.e2eSeconds, warmupSeconds: settings.warmupSeconds, brokerGcLog }, log),
    );
    rows.push(...endToEndRows(e2e));
  }

  const http: HttpLoadResult[] = [];
  if (selected.has(1)) {
    for (const system of [oursApi, denoApi, oursApiLinger5, nodePeer, nodePeerLinger1, pythonConfirmed, pythonSpec]) {
      http.push(
        await phase(`1. ${system.label}`, () =>
          measureHttpSystem(system, bootstrap, paths, {
            concurrencies: system.concurrencies ?? settings.concurrencies,
            seconds: settings.seconds,
            warmupSeconds: settings.warmupSeconds,
            idleSettleMs: settings.idleSettleMs,
            brokerPid,
            log,
          }),
        ),
      );
    }
    rows.push(...http.flatMap(httpRows));
  }

  // By workload, then by system with ours first, so each figure's systems sit together.
  const order = (r: Row) => Number(r.workload[0]);
  rows.sort((a, b) => order(a) - order(b) || a.workload.localeCompare(b.workload, "en", { numeric: true }) || Number(!!b.ours) - Number(!!a.ours));
  const totalSeconds = (performance.now() - startedAt) / 1000;
  const loadAfter = loadAverage();
  const targets = evaluateTargets(rows);
  const { intruders, stealByPhase } = contention.stop();
  console.log(textTable(rows));
  console.log("");
  for (const t of targets) console.log(`${t.met ? "met   " : "MISSED"}  ${t.name}: ${t.measured} (goal ${t.goal}; ${t.margin})`);
  console.log(`\ntotal ${(totalSeconds / 60).toFixed(1)} min; load average before ${loadBefore}, after ${loadAfter}`);
  for (const i of intruders) {
    console.log(`warning: ${i.command} (not part of this run) used ${i.cpuSeconds.toFixed(1)} s of CPU, most during ${i.phases.join(", ")}`);
  }
  for (const [name, seconds] of Object.entries(stealByPhase)) {
    if (seconds >= 1) console.log(`warning: the hypervisor took ${seconds.toFixed(1)} CPU-s from this machine during ${name}`);
  }
  if (audit && e2e && http.length > 0 && selected.size === 5) {
    const input: ResultsInput = {
      finishedAt: new Date().toISOString(),
      rows,
      targets,
      settings,
      totalSeconds,
      loadBefore,
      loadAfter,
      phaseSeconds,
      http,
      audit,
      e2e,
      intruders,
      stealByPhase,
      software,
    };
    writeResults(input);
    const json = join(paths.logDir, "results.json");
    writeFileSync(json, JSON.stringify(input, null, 1));
    console.log(`wrote bench/results.md and bench/results.svg (figures also in ${json}); logs in ${paths.logDir}`);
  } else {
    console.log(`only workloads ${[...selected].join(",")} ran, so bench/results.md was left as it is; logs in ${paths.logDir}`);
  }
} finally {
  await cluster.stop();
  settleDisk();
}
