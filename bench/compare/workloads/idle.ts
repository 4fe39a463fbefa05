/** Workload 4 for the roles without an HTTP workload: start-up to ready and resident memory when idle. */
import type { Row } from "../report.ts";
import { freePort, httpOk, rssMb, sleep } from "../support/processes.ts";
import { bunBinary, PYTHON_AUDIT, startOurs, startPythonAudit, tempDir, type Launcher, type Paths } from "../systems.ts";

export async function measureIdleRoles(
  bootstrap: string,
  paths: Paths,
  roles: readonly string[],
  settleMs: number,
  log: (s: string) => void,
  launcher: Launcher = bunBinary,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const role of roles) {
    const port = await freePort();
    const service = startOurs(role, bootstrap, paths, port, { launcher });
    try {
      const startup = await service.waitUntil(() => httpOk(`http://127.0.0.1:${port}/readyz`));
      await sleep(settleMs);
      const rss = rssMb(service.pid);
      log(`${launcher.label} --role=${role}: ready in ${startup.toFixed(2)} s, idle ${rss.toFixed(1)} MB`);
      const base = { system: launcher.label, ours: launcher.ours, workload: `4. ${role} role` };
      rows.push(
        { ...base, figure: "RSS idle", value: rss, unit: "MB", better: "lower", key: `w4-${role}-idle` },
        { ...base, figure: "start-up (spawn → /readyz 200)", value: startup * 1000, unit: "ms", better: "lower", key: `w4-${role}-start` },
      );
    } finally {
      await service.stop();
    }
  }
  return rows;
}

/** The spec's audit agent subscribed to an empty topic: its resident memory once it has joined and waits. */
export async function measurePythonAuditIdle(bootstrap: string, paths: Paths, topic: string, settleMs: number, log: (s: string) => void): Promise<Row> {
  const service = startPythonAudit(bootstrap, paths, topic, "bench-python-audit-idle", tempDir("python-audit-idle"));
  try {
    await sleep(settleMs);
    const rss = rssMb(service.pid);
    log(`python audit agent: idle ${rss.toFixed(1)} MB`);
    return { system: PYTHON_AUDIT, workload: "4. audit role", figure: "RSS idle", value: rss, unit: "MB", better: "lower", key: "w4-audit-idle" };
  } finally {
    await service.stop(2000);
  }
}
