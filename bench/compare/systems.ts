/** How each system under test is started, and how to tell it is ready. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, httpOk, Service } from "./support/processes.ts";

export const PYTHON = "/usr/bin/python3";
const PYTHON_PEER = join(import.meta.dir, "python-peer");
const NODE_PEER = join(import.meta.dir, "node-peer");
const DENO_LAUNCHER = join(import.meta.dir, "../../scripts/agent-events-deno");

export interface Paths {
  binary: string;
  node: string;
  logDir: string;
}

export interface HttpSystem {
  id: string;
  label: string;
  ours?: boolean;
  /** What start-up time is measured to. */
  readyProbe: "readyz" | "first request";
  /** Only these concurrencies, instead of every one. */
  concurrencies?: number[];
  /** A configuration experiment: only workload 1, and in no target. */
  experiment?: boolean;
  start(bootstrap: string, paths: Paths): Promise<{ service: Service; url: string }>;
}

const created: string[] = [];

/** A fresh directory for one system's data; removeTempDirs() deletes it. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-compare-${prefix}-`));
  created.push(dir);
  return dir;
}

/**
 * Deletes the data of the systems measured so far, then flushes the page cache. Workload 2 alone writes
 * about 2.5 GB (the broker's log and two audit logs); left dirty, the kernel writes it back some 30 s later,
 * in the middle of the next workload, where every fsync (our audit agent's, per batch) waits behind it.
 */
export function settleDisk(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
  Bun.spawnSync(["sync"]);
}

const TASK_BODY = JSON.stringify({ title: "Review quarterly report", owner_id: "user-456", priority: 2 });

/** Start-up time in seconds: spawn → /readyz 200 (ours) or → first 2xx POST /tasks (peers). */
export function waitReady(service: Service, url: string, probe: HttpSystem["readyProbe"]): Promise<number> {
  if (probe === "readyz") return service.waitUntil(() => httpOk(`${url}/readyz`));
  return service.waitUntil(() =>
    httpOk(`${url}/tasks`, { method: "POST", headers: { "Content-Type": "application/json" }, body: TASK_BODY }),
  );
}

/** How our program is started: the binary measured against the peers, or the same sources on Deno. */
export interface Launcher {
  /** Names its log files. */
  id: string;
  /** The system's name in the results. */
  label: string;
  /** Set on the Bun binary: the reference every ratio is taken to. */
  ours?: boolean;
  command(paths: Paths): string[];
}

export const bunBinary: Launcher = { id: "ours", label: "agent-events (Bun binary)", ours: true, command: (paths) => [paths.binary] };
// The script execs deno, so the pid measured is deno's, not a shell's.
export const deno: Launcher = { id: "deno", label: "agent-events on Deno (from source)", command: () => ["bash", DENO_LAUNCHER] };

export interface OursOptions {
  dataDir?: string;
  env?: Record<string, string>;
  launcher?: Launcher;
}

export function startOurs(
  role: string,
  bootstrap: string,
  paths: Paths,
  port: number,
  { dataDir = tempDir(role), env = {}, launcher = bunBinary }: OursOptions = {},
): Service {
  return new Service(
    `${launcher.label} --role=${role}`,
    [...launcher.command(paths), `--role=${role}`],
    { KAFKA_BOOTSTRAP_SERVERS: bootstrap, HTTP_HOST: "127.0.0.1", HTTP_PORT: String(port), DATA_DIR: dataDir, ...env },
    join(paths.logDir, `${launcher.id}-${role}-${port}.log`),
  );
}

function ourApi(launcher: Launcher, concurrencies?: number[]): HttpSystem {
  return {
    id: launcher.id,
    label: launcher.label,
    ours: launcher.ours,
    readyProbe: "readyz",
    concurrencies,
    async start(bootstrap, paths) {
      const port = await freePort();
      return { service: startOurs("api", bootstrap, paths, port, { launcher }), url: `http://127.0.0.1:${port}` };
    },
  };
}

export const oursApi = ourApi(bunBinary);
/** Beside the Bun binary at the top concurrency only, in no target: what the runtime alone is worth. */
export const denoApi = ourApi(deno, [64]);

/**
 * Configuration experiments at c=64 only, in no target. The api role sets linger.ms=1 (librdkafka's default
 * is 5 ms, which every request would wait); the peers keep librdkafka's default. These two rows show what
 * the setting alone is worth on each side.
 */
export const oursApiLinger5: HttpSystem = {
  id: "ours-linger-5",
  label: "agent-events, KAFKA_LINGER_MS=5 (experiment)",
  readyProbe: "readyz",
  concurrencies: [64],
  experiment: true,
  async start(bootstrap, paths) {
    const port = await freePort();
    const service = startOurs("api", bootstrap, paths, port, { dataDir: tempDir("api-linger-5"), env: { KAFKA_LINGER_MS: "5" } });
    return { service, url: `http://127.0.0.1:${port}` };
  },
};

function nodeApi(id: string, label: string, extraEnv: Record<string, string>, experiment?: { concurrencies: number[] }): HttpSystem {
  return {
    id,
    label,
    readyProbe: "first request",
    concurrencies: experiment?.concurrencies,
    experiment: experiment !== undefined,
    async start(bootstrap, paths) {
      const port = await freePort();
      const service = new Service(
        label,
        [paths.node, join(NODE_PEER, "server.mjs")],
        { KAFKA_BOOTSTRAP_SERVERS: bootstrap, TASK_TOPIC: "bench-node-task-events", HTTP_PORT: String(port), ...extraEnv },
        join(paths.logDir, `${id}.log`),
        NODE_PEER,
      );
      return { service, url: `http://127.0.0.1:${port}` };
    },
  };
}

export const nodePeer = nodeApi("node", "Node 20 + @confluentinc/kafka-javascript + Hono", {});
export const nodePeerLinger1 = nodeApi("node-linger-1", "Node peer, linger.ms=1 (experiment)", { LINGER_MS: "1" }, { concurrencies: [64] });

function pythonApi(id: string, label: string, confirm: boolean, topic: string): HttpSystem {
  return {
    id,
    label,
    readyProbe: "first request",
    async start(bootstrap, paths) {
      const port = await freePort();
      const service = new Service(
        label,
        [PYTHON, "-m", "uvicorn", "task_api:app", "--host", "127.0.0.1", "--port", String(port)],
        { KAFKA_BOOTSTRAP_SERVERS: bootstrap, TASK_TOPIC: topic, CONFIRM_DELIVERY: confirm ? "1" : "0", PYTHONDONTWRITEBYTECODE: "1" },
        join(paths.logDir, `${id}.log`),
        PYTHON_PEER,
      );
      return { service, url: `http://127.0.0.1:${port}` };
    },
  };
}

export const pythonConfirmed = pythonApi(
  "python-confirmed",
  "Python spec service, delivery confirmed",
  true,
  "bench-pyc-task-events",
);
export const pythonSpec = pythonApi(
  "python-spec",
  "Python spec service as written (answers before the ack)",
  false,
  "bench-py-task-events",
);

export const PEER_TOPICS = ["bench-node-task-events", "bench-pyc-task-events", "bench-py-task-events"];

export const PYTHON_AUDIT = "Python spec audit agent";

export function startPythonAudit(bootstrap: string, paths: Paths, topic: string, group: string, logDir: string): Service {
  return new Service(
    `python audit agent (${group})`,
    [PYTHON, join(PYTHON_PEER, "audit_agent.py")],
    { KAFKA_BOOTSTRAP_SERVERS: bootstrap, AUDIT_LOG_DIR: logDir, AUDIT_GROUP_ID: group, AUDIT_TOPIC: topic, PYTHONDONTWRITEBYTECODE: "1" },
    join(paths.logDir, `python-audit-${group}.log`),
  );
}
