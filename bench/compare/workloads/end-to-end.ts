/**
 * Workload 3: POST /tasks at a fixed rate against our api while our audit agent runs as a second process;
 * the delay from each request's send time to its audit line's logged_at, matched by correlation id.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Row } from "../report.ts";
import { auditHandled } from "../support/audit-progress.ts";
import { brokerGcPauses } from "../support/broker-gc.ts";
import { runFixedRate } from "../support/fixed-rate.ts";
import { freePort, httpOk, rssMb, RssSampler, sleep } from "../support/processes.ts";
import { percentile } from "../support/stats.ts";
import { bunBinary, startOurs, tempDir, type Paths } from "../systems.ts";

const PREFIX = "e2e-";

export interface EndToEndResult {
  rate: number;
  achievedRate: number;
  seconds: number;
  requests: number;
  matched: number;
  httpFailures: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  responseP50Ms: number;
  responseP99Ms: number;
  apiRssMb: number;
  auditRssMb: number;
  /** Broker GC pauses during the measured run, and the longest. */
  brokerGcPauses: number;
  brokerGcMaxMs: number;
}

/** Resolves once the audit agent's handled count has not moved for `quietMs` (it has caught up). */
async function waitCaughtUp(url: string, quietMs: number, log: (s: string) => void): Promise<void> {
  let last = -1;
  let since = performance.now();
  const deadline = performance.now() + 300_000;
  for (;;) {
    const handled = await auditHandled(url);
    if (handled !== last) {
      last = handled;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      log(`  audit agent caught up after ${handled} events from earlier workloads`);
      return;
    }
    if (performance.now() > deadline) throw new Error("audit agent did not catch up within 300 s");
    await sleep(200);
  }
}

/** Per request: send time, the event's occurred_at and the audit line's logged_at (ms since the epoch). */
function readTimeline(dir: string, sentAt: Map<string, number>): Array<[number, number, number]> {
  const timeline: Array<[number, number, number]> = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".jsonl"))) {
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (!line.includes(`"correlation_id":"${PREFIX}`)) continue;
      const entry = JSON.parse(line) as { logged_at: string; event: { occurred_at: string; metadata: { correlation_id: string } } };
      const sent = sentAt.get(entry.event.metadata.correlation_id);
      if (sent !== undefined) timeline.push([sent, Date.parse(entry.event.occurred_at), Date.parse(entry.logged_at)]);
    }
  }
  return timeline.sort((a, b) => a[0] - b[0]);
}

export interface EndToEndSettings {
  rate: number;
  seconds: number;
  /** At the same rate, not counted: the processes' JIT warms up as in workload 1. */
  warmupSeconds: number;
  /** The broker's GC log (broker-gc.ts), to say whether its pauses line up with the tail. */
  brokerGcLog: string;
}

export async function measureEndToEnd(
  bootstrap: string,
  paths: Paths,
  { rate, seconds, warmupSeconds, brokerGcLog }: EndToEndSettings,
  log: (s: string) => void,
): Promise<EndToEndResult> {
  const auditDir = tempDir("e2e-audit");
  const auditPort = await freePort();
  const auditUrl = `http://127.0.0.1:${auditPort}`;
  // BENCH_E2E_AUDIT_LOG_LEVEL=debug logs each batch the audit agent writes, to tell fetch gaps from slow fsyncs.
  const audit = startOurs("audit", bootstrap, paths, auditPort, {
    dataDir: auditDir,
    env: { LOG_LEVEL: process.env.BENCH_E2E_AUDIT_LOG_LEVEL ?? "info" },
  });
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = startOurs("api", bootstrap, paths, apiPort);
  try {
    await audit.waitUntil(() => httpOk(`${auditUrl}/readyz`));
    await api.waitUntil(() => httpOk(`${apiUrl}/readyz`));
    // The audit-log group resumes after workload 2; what workload 1 wrote to task-events comes first.
    await waitCaughtUp(auditUrl, 1500, log);
    await runFixedRate(apiUrl, rate, warmupSeconds, "e2e-warmup-"); // not counted: its prefix does not match
    await sleep(500);
    const apiRss = new RssSampler(api.pid);
    const auditRss = new RssSampler(audit.pid);
    const startedAt = Date.now();
    const run = await runFixedRate(apiUrl, rate, seconds, PREFIX);
    const gcPauses = brokerGcPauses(brokerGcLog, startedAt, Date.now());
    const expected = run.sentAt.size - run.failures;
    let timeline: Array<[number, number, number]> = [];
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      await sleep(500);
      timeline = readTimeline(join(auditDir, "audit"), run.sentAt);
      if (timeline.length >= expected) break;
    }
    // Kept for a closer look at where the time went: sent, occurred_at (the api), logged_at (the audit agent).
    writeFileSync(join(paths.logDir, "e2e-timeline.csv"), ["sent_ms,occurred_ms,logged_ms", ...timeline.map((t) => t.join(","))].join("\n") + "\n");
    const delays = timeline.map(([sent, , logged]) => logged - sent);
    const api_ = apiRss.stop();
    const audit_ = auditRss.stop();
    const result: EndToEndResult = {
      rate,
      achievedRate: run.achievedPerSecond,
      seconds,
      requests: run.sentAt.size,
      matched: delays.length,
      httpFailures: run.failures,
      delayP50Ms: percentile(delays, 50),
      delayP99Ms: percentile(delays, 99),
      delayMaxMs: Math.max(...delays),
      responseP50Ms: percentile(run.latenciesMs, 50),
      responseP99Ms: percentile(run.latenciesMs, 99),
      apiRssMb: Number.isNaN(api_.peakMb) ? rssMb(api.pid) : api_.peakMb,
      auditRssMb: audit_.peakMb,
      brokerGcPauses: gcPauses.length,
      brokerGcMaxMs: Math.max(0, ...gcPauses.map((p) => p.ms)),
    };
    log(
      `end to end: ${result.requests} requests at ${result.achievedRate.toFixed(0)}/s, ${result.matched} audit lines matched, ` +
        `${result.httpFailures} failed; delay p50 ${result.delayP50Ms} ms, p99 ${result.delayP99Ms} ms, max ${result.delayMaxMs} ms; ` +
        `response p50 ${result.responseP50Ms.toFixed(2)} ms, p99 ${result.responseP99Ms.toFixed(2)} ms; ` +
        `broker GC pauses ${result.brokerGcPauses}, longest ${result.brokerGcMaxMs.toFixed(1)} ms`,
    );
    return result;
  } finally {
    await api.stop();
    await audit.stop();
  }
}

export function endToEndRows(r: EndToEndResult): Row[] {
  const base = { system: bunBinary.label, ours: true, workload: `3. end to end, ${r.rate} req/s for ${r.seconds} s` };
  const matched = `${r.matched.toLocaleString("en-US")} of ${r.requests.toLocaleString("en-US")} matched`;
  return [
    { ...base, figure: "request → audit line, p50", note: matched, value: r.delayP50Ms, unit: "ms", better: "lower", key: "w3-p50" },
    {
      ...base,
      figure: "request → audit line, p99",
      note: `max ${r.delayMaxMs} ms; broker GC pauses meanwhile: ${r.brokerGcPauses}, longest ${r.brokerGcMaxMs.toFixed(0)} ms`,
      value: r.delayP99Ms,
      unit: "ms",
      better: "lower",
      key: "w3-p99",
    },
    { ...base, figure: "HTTP response, p99", value: r.responseP99Ms, unit: "ms", better: "lower", key: "w3-http-p99" },
    { ...base, figure: "RSS api + audit (peaks)", value: r.apiRssMb + r.auditRssMb, unit: "MB", better: "lower", key: "w3-rss" },
  ];
}
