/** Workload 1 (POST /tasks at fixed concurrency with wrk) and, on the way, workload 4 for the HTTP systems. */
import type { Row } from "../report.ts";
import { cpuSeconds, rssMb, RssSampler, sleep } from "../support/processes.ts";
import { runWrk, type WrkResult } from "../support/wrk.ts";
import { waitReady, type HttpSystem, type Paths } from "../systems.ts";

export interface HttpLoadOptions {
  concurrencies: readonly number[];
  seconds: number;
  warmupSeconds: number;
  idleSettleMs: number;
  brokerPid: number | undefined;
  log: (line: string) => void;
}

export interface HttpLoadResult {
  system: HttpSystem;
  startupSeconds: number;
  idleRssMb: number;
  loadRssMb: number;
  runs: Array<{ connections: number; wrk: WrkResult; sutCpuMsPerRequest: number; brokerCpuMsPerRequest: number }>;
}

export async function measureHttpSystem(
  system: HttpSystem,
  bootstrap: string,
  paths: Paths,
  options: HttpLoadOptions,
): Promise<HttpLoadResult> {
  const { service, url } = await system.start(bootstrap, paths);
  try {
    const startupSeconds = await waitReady(service, url, system.readyProbe);
    await sleep(options.idleSettleMs);
    const idleRssMb = rssMb(service.pid);
    options.log(`${system.label}: ready in ${startupSeconds.toFixed(2)} s, idle ${idleRssMb.toFixed(1)} MB; warm-up ${options.warmupSeconds} s`);
    await runWrk(url, 16, options.warmupSeconds);

    const runs: HttpLoadResult["runs"] = [];
    let loadRssMb = NaN;
    for (const connections of options.concurrencies) {
      await sleep(1000);
      const sampler = new RssSampler(service.pid);
      const sutCpu = cpuSeconds(service.pid);
      const brokerCpu = options.brokerPid ? cpuSeconds(options.brokerPid) : NaN;
      const wrk = await runWrk(url, connections, options.seconds);
      const perRequest = (seconds: number) => (seconds * 1000) / Math.max(1, wrk.requests);
      const run = {
        connections,
        wrk,
        sutCpuMsPerRequest: perRequest(cpuSeconds(service.pid) - sutCpu),
        brokerCpuMsPerRequest: options.brokerPid ? perRequest(cpuSeconds(options.brokerPid) - brokerCpu) : NaN,
      };
      const rss = sampler.stop();
      if (connections === Math.max(...options.concurrencies)) loadRssMb = rss.peakMb;
      runs.push(run);
      options.log(
        `  c=${connections}: ${wrk.requestsPerSecond.toFixed(0)} req/s, p50 ${wrk.p50Ms.toFixed(2)} ms, p99 ${wrk.p99Ms.toFixed(2)} ms, ` +
          `non-2xx ${wrk.non2xx}, socket errors ${wrk.socketErrors}, CPU/request: system ${run.sutCpuMsPerRequest.toFixed(3)} ms, ` +
          `broker ${run.brokerCpuMsPerRequest.toFixed(3)} ms, peak RSS ${rss.peakMb.toFixed(1)} MB`,
      );
      if (wrk.non2xx > 0 || wrk.socketErrors > 0) {
        options.log(`  warning: ${wrk.non2xx} non-2xx answers and ${wrk.socketErrors} socket errors; see ${service.logPath}`);
      }
    }
    return { system, startupSeconds, idleRssMb, loadRssMb, runs };
  } finally {
    await service.stop();
  }
}

export function httpRows(result: HttpLoadResult): Row[] {
  const { system } = result;
  const base = { system: system.label, ours: system.ours };
  const rows: Row[] = [];
  for (const run of result.runs) {
    const workload = `1. POST /tasks, c=${run.connections}`;
    const key = `w1-c${run.connections}`;
    rows.push(
      { ...base, workload, figure: "throughput", value: run.wrk.requestsPerSecond, unit: "req/s", better: "higher", key: `${key}-rps` },
      { ...base, workload, figure: "p50 latency", value: run.wrk.p50Ms, unit: "ms", better: "lower", key: `${key}-p50` },
      { ...base, workload, figure: "p99 latency", value: run.wrk.p99Ms, unit: "ms", better: "lower", key: `${key}-p99` },
    );
  }
  const top = result.runs.at(-1);
  if (system.experiment) return rows;
  if (top) {
    rows.push({
      ...base,
      workload: `1. POST /tasks, c=${top.connections}`,
      figure: "CPU per request (system under test)",
      value: top.sutCpuMsPerRequest,
      unit: "ms",
      better: "lower",
      key: "w1-cpu",
    });
  }
  const probe = system.readyProbe === "readyz" ? "spawn → /readyz 200" : "spawn → first 2xx POST /tasks";
  rows.push(
    { ...base, workload: "4. api role", figure: "RSS idle", value: result.idleRssMb, unit: "MB", better: "lower", key: "w4-api-idle" },
    {
      ...base,
      workload: "4. api role",
      figure: `RSS under workload 1 (peak, c=${top?.connections})`,
      value: result.loadRssMb,
      unit: "MB",
      better: "lower",
      key: "w4-api-load",
    },
    { ...base, workload: "4. api role", figure: `start-up (${probe})`, value: result.startupSeconds * 1000, unit: "ms", better: "lower", key: "w4-api-start" },
  );
  return rows;
}
