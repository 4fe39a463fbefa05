/** Workload 2: how fast an audit agent makes preloaded events durable in its log. */
import { join } from "node:path";
import type { Row } from "../report.ts";
import { AuditLineCounter, auditHandled } from "../support/audit-progress.ts";
import { freePort, httpOk, RssSampler, sleep } from "../support/processes.ts";
import { bunBinary, PYTHON_AUDIT, startOurs, startPythonAudit, tempDir, type Launcher, type Paths } from "../systems.ts";

// Rendering /metrics costs our agent CPU (about 10 ms a call), so it is polled twice a second only.
const POLL_MS = 500;
const LINE_POLL_MS = 100;

export interface AuditResult {
  label: string;
  ours?: boolean;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Spawn → ready (ours: /readyz 200) or → first line written (Python). */
  startupSeconds: number;
  peakRssMb: number;
  lines: number;
}

/**
 * Ours: the audit role from the earliest offset of the four coordination topics (task-events holds the
 * preload): its group, audit-log, must have committed nothing there yet (rewindGroup). Timed from the first
 * event seen durable (handled, i.e. written and fsynced) to the last.
 */
export async function measureOurAudit(
  bootstrap: string,
  paths: Paths,
  events: number,
  log: (s: string) => void,
  launcher: Launcher = bunBinary,
): Promise<AuditResult> {
  const dataDir = tempDir(`${launcher.id}-audit`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startOurs("audit", bootstrap, paths, port, { dataDir, launcher });
  const sampler = new RssSampler(service.pid);
  try {
    const startupSeconds = await service.waitUntil(() => httpOk(`${url}/readyz`));
    let first: { at: number; handled: number } | undefined;
    let handled = 0;
    const deadline = performance.now() + 600_000;
    while (handled < events) {
      if (performance.now() > deadline) throw new Error(`our audit agent handled only ${handled} of ${events} events`);
      await sleep(POLL_MS);
      handled = await auditHandled(url);
      if (!first && handled > 0) first = { at: performance.now(), handled };
    }
    const seconds = (performance.now() - first!.at) / 1000;
    // All of them between two looks at /metrics leaves nothing to time: n/a rather than 0.
    const eventsPerSecond = first!.handled < events ? (handled - first!.handled) / seconds : NaN;
    const rss = sampler.stop();
    const lines = new AuditLineCounter(join(dataDir, "audit")).count();
    log(`${launcher.label} audit: ${handled} events in ${seconds.toFixed(1)} s = ${eventsPerSecond.toFixed(0)} events/s, ${lines} lines on disk, peak RSS ${rss.peakMb.toFixed(1)} MB`);
    if (Number.isNaN(eventsPerSecond)) log(`  warning: every event was durable at the first look at /metrics; too few events to time`);
    if (lines < events) log(`  warning: only ${lines} audit lines on disk for ${events} events`);
    return { label: launcher.label, ours: launcher.ours, events: handled, seconds, eventsPerSecond, startupSeconds, peakRssMb: rss.peakMb, lines };
  } finally {
    sampler.stop();
    await service.stop();
  }
}

/** The spec's Python audit agent over a bounded subset: `maxEvents` lines or `maxSeconds`, whichever comes first. */
export async function measurePythonAudit(
  bootstrap: string,
  paths: Paths,
  topic: string,
  maxEvents: number,
  maxSeconds: number,
  log: (s: string) => void,
): Promise<AuditResult> {
  const logDir = tempDir("python-audit");
  const service = startPythonAudit(bootstrap, paths, topic, "bench-python-audit-log", logDir);
  const sampler = new RssSampler(service.pid);
  const counter = new AuditLineCounter(logDir);
  try {
    const startupSeconds = await service.waitUntil(async () => counter.count() > 0, 60_000, 10);
    const first = { at: performance.now(), lines: counter.count() };
    let lines = first.lines;
    while (lines < maxEvents && performance.now() - first.at < maxSeconds * 1000) {
      await sleep(LINE_POLL_MS);
      lines = counter.count();
    }
    const seconds = (performance.now() - first.at) / 1000;
    const eventsPerSecond = (lines - first.lines) / seconds;
    const rss = sampler.stop();
    log(`python audit: ${lines} lines in ${seconds.toFixed(1)} s = ${eventsPerSecond.toFixed(0)} events/s, peak RSS ${rss.peakMb.toFixed(1)} MB`);
    return { label: PYTHON_AUDIT, events: lines, seconds, eventsPerSecond, startupSeconds, peakRssMb: rss.peakMb, lines };
  } finally {
    sampler.stop();
    await service.stop(2000);
  }
}

export function auditRows(results: readonly AuditResult[]): Row[] {
  const rows: Row[] = [];
  for (const result of results) {
    const base = { system: result.label, ours: result.ours };
    const python = result.label === PYTHON_AUDIT;
    const note = python ? `first ${result.events.toLocaleString("en-US")} events, no fsync, commit per event` : `${result.events.toLocaleString("en-US")} events, fsync per batch`;
    rows.push(
      { ...base, workload: "2. audit, 1 KiB task.created", figure: "throughput", note, value: result.eventsPerSecond, unit: "events/s", better: "higher", key: "w2-rate" },
      { ...base, workload: "4. audit role", figure: "RSS under workload 2 (peak)", value: result.peakRssMb, unit: "MB", better: "lower", key: "w4-audit-load" },
    );
    // Ours: the idle phase measures spawn → /readyz; the spec's agent has no readiness, so its first line counts.
    if (python) {
      rows.push({
        ...base,
        workload: "4. audit role",
        figure: "start-up (spawn → first line written)",
        value: result.startupSeconds * 1000,
        unit: "ms",
        better: "lower",
        key: "w4-audit-start",
      });
    }
  }
  return rows;
}
