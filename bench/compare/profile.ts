// Where a role's time goes under the benchmark's load: runs the role from source under Bun's CPU profiler
// (--cpu-prof-md) on a fresh broker and reports CPU per thread (librdkafka's threads vs the JS thread).
//   bun bench/compare/profile.ts audit [events]     the audit role reading preloaded events
//   bun bench/compare/profile.ts api [seconds]      the api role under wrk at c=64
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { TOPICS } from "../../src/events/index.ts";
import { Admin } from "../../src/kafka/admin.ts";
import { startKafkaCluster } from "../../test/support/kafka-cluster.ts";
import { BENCH_JVM_OPTS } from "../support/broker.ts";
import { auditHandled } from "./support/audit-progress.ts";
import { preloadTaskCreated } from "./support/preload.ts";
import {
  CLOCK_TICKS,
  cpuSeconds,
  freePort,
  httpOk,
  javaPidsByCommandLine,
  machineCpu,
  minorFaults,
  RssSampler,
  Service,
  sleep,
  statFields,
} from "./support/processes.ts";
import { runWrk } from "./support/wrk.ts";
import { tempDir } from "./systems.ts";

const ROOT = resolve(import.meta.dir, "../..");
const mode = process.argv[2] ?? "audit";
const amount = Number(process.argv[3] ?? (mode === "audit" ? 200_000 : 15));
/** PROFILE=0 runs the role without the profiler, for its real speed and memory. */
const noProfile = process.env.PROFILE === "0";
const PASSED_THROUGH = /^(KAFKA|AUDIT|EMAIL|SLACK|API|HANDLER|MIMALLOC)_/;
const passedThrough = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => PASSED_THROUGH.test(entry[0]) && entry[1] !== undefined),
);

/** CPU seconds per thread name, from /proc/PID/task/TID/{comm,stat}. */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim().replace(/\d+$/, "N");
      const f = statFields(`/proc/${pid}/task/${tid}/stat`);
      byName.set(name, (byName.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    } catch {
      // Thread ended.
    }
  }
  return byName;
}

function report(before: Map<string, number>, after: Map<string, number>, seconds: number): void {
  const rows = [...after].map(([name, cpu]) => [name, cpu - (before.get(name) ?? 0)] as const).filter(([, d]) => d > 0.005);
  rows.sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, d]) => s + d, 0);
  console.log(`CPU over ${seconds.toFixed(1)} s: ${total.toFixed(2)} s (${((total / seconds) * 100).toFixed(0)}% of one core)`);
  for (const [name, d] of rows) console.log(`  ${name.padEnd(20)} ${d.toFixed(2)} s  ${((d / total) * 100).toFixed(0)}%`);
}

const cluster = await startKafkaCluster({ nodes: 1, jvmOpts: [...BENCH_JVM_OPTS] });
const profileDir = tempDir("profile");
try {
  const admin = new Admin({ "bootstrap.servers": cluster.bootstrap });
  await admin.createTopics(TOPICS.map((topic) => ({ topic, partitions: 3, replicationFactor: 1 })));
  admin.close();
  if (mode === "audit") await preloadTaskCreated(cluster.bootstrap, "task-events", amount);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = new Service(
    mode,
    [process.execPath, ...(noProfile ? [] : ["--cpu-prof-md", `--cpu-prof-dir=${profileDir}`]), join(ROOT, "src/main.ts"), `--role=${mode}`],
    {
      // Configuration to compare (KAFKA_*, AUDIT_*, ...) passes through to the role.
      ...passedThrough,
      KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
      HTTP_PORT: String(port),
      DATA_DIR: tempDir(mode),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
    join(profileDir, `${mode}.log`),
  );
  await service.waitUntil(() => httpOk(`${url}/readyz`));
  const brokerPid = javaPidsByCommandLine(cluster.dataDir)[0]!;
  const rss = new RssSampler(service.pid);
  const before = threadCpu(service.pid);
  const brokerBefore = cpuSeconds(brokerPid);
  const faultsBefore = minorFaults(service.pid);
  const machineBefore = machineCpu();
  const t0 = performance.now();
  if (mode === "audit") {
    // As seldom as the benchmark polls: rendering /metrics costs the role about 10 ms a call.
    while ((await auditHandled(url)) < amount) await sleep(500);
  } else {
    await runWrk(url, 16, 3);
    const wrk = await runWrk(url, 64, amount);
    console.log(`wrk c=64: ${wrk.requestsPerSecond.toFixed(0)} req/s, p50 ${wrk.p50Ms} ms, p99 ${wrk.p99Ms} ms`);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (mode === "audit") console.log(`${amount} events in ${seconds.toFixed(1)} s = ${(amount / seconds).toFixed(0)} events/s`);
  report(before, threadCpu(service.pid), seconds);
  const memory = rss.stop();
  console.log(`role minor page faults: ${(minorFaults(service.pid) - faultsBefore).toLocaleString("en-US")}`);
  console.log(`role RSS: peak ${memory.peakMb.toFixed(0)} MB, mean ${memory.meanMb.toFixed(0)} MB`);
  const machine = machineCpu();
  const cores = (machine.total - machineBefore.total) / seconds;
  console.log(`broker (JVM): ${(cpuSeconds(brokerPid) - brokerBefore).toFixed(2)} s of CPU`);
  console.log(`machine: ${(machine.busy - machineBefore.busy).toFixed(2)} s busy of ${(machine.total - machineBefore.total).toFixed(2)} s (${cores.toFixed(0)} cores)`);
  await service.stop();
  const profile = readdirSync(profileDir).find((n) => n.endsWith(".md"));
  console.log(profile ? `CPU profile: ${join(profileDir, profile)}` : `no CPU profile written; see ${profileDir}`);
  console.log(`role log: ${service.logPath}`);
} finally {
  await cluster.stop();
}
