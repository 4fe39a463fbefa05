// CPU, log lines and recovery of every role while its broker is away, beside the spec's Python service and
// audit agent in the same outage. Each process is measured on its own (/proc/PID/task/*/stat), connected and
// idle first, then for OUTAGE_SECONDS after the broker is SIGKILLed, then the time from the broker's return
// (its port accepting) to /readyz 200. A last row: the api role against a SASL_SSL cluster with a wrong
// password, which never connects. Target: at most 2 % of one core while away, ready within 5 s of the return.
//
// Usage: bash bench/outage-cpu.sh [outage-seconds]    (installs the Python peer's Debian packages, builds the binary)
//        bun bench/outage-cpu.ts [outage-seconds]     (AGENT_EVENTS_BINARY=path to use another build)
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, freePort, httpOk, Service, sleep } from "./compare/support/processes.ts";
import { PYTHON, startPythonAudit } from "./compare/systems.ts";
import { canConnect, startKafkaCluster } from "../test/support/kafka-cluster.ts";

const OUTAGE_SECONDS = Number(process.argv[2] ?? 60);
const IDLE_SECONDS = 10;
const ROLES = ["api", "email", "slack", "audit", "all"] as const;
const root = join(import.meta.dir, "..");
const binary = process.env.AGENT_EVENTS_BINARY ?? buildBinary();
const logDir = mkdtempSync(join(tmpdir(), "bench-outage-"));
const pythonPeers = Bun.spawnSync([PYTHON, "-c", "import confluent_kafka, fastapi, uvicorn"]).exitCode === 0;

function buildBinary(): string {
  const build = Bun.spawnSync(["bash", join(root, "scripts/build-binary.sh")], { stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("build failed");
  return build.stdout.toString().trim();
}

interface Measured {
  name: string;
  service: Service;
  readyUrl?: string;
  idlePct?: number;
  outagePct?: number;
  outageLogLines?: number;
  reconnectedAfterReturnS?: number;
  readyAfterReturnS?: number;
}

/** Seconds from `returnedAt` (ms since epoch) to the last "broker reachable again" line of the process's clients. */
function reconnectedAfter(path: string, returnedAt: number): number | undefined {
  const times = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.includes('"broker reachable again after'))
    .map((line) => Date.parse((JSON.parse(line) as { time: string }).time))
    .filter((time) => time >= returnedAt);
  return times.length === 0 ? undefined : (Math.max(...times) - returnedAt) / 1000;
}

function seconds(value: number | undefined): string {
  return value === undefined ? "" : `${value.toFixed(1)} s`;
}

function lineCount(path: string): number {
  try {
    return readFileSync(path, "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** % of one core each process used over `seconds`, all its threads together. */
async function cpuOver(processes: Measured[], seconds: number): Promise<number[]> {
  const before = processes.map((p) => cpuSeconds(p.service.pid));
  const started = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - started) / 1000;
  return processes.map((p, i) => (100 * (cpuSeconds(p.service.pid) - before[i]!)) / wall);
}

async function startOurs(role: string, bootstrap: string, extra: Record<string, string> = {}, note = ""): Promise<Measured> {
  const port = await freePort();
  const name = `agent-events --role=${role}${note}`;
  const service = new Service(
    name,
    [binary, `--role=${role}`],
    { KAFKA_BOOTSTRAP_SERVERS: bootstrap, HTTP_PORT: String(port), DATA_DIR: mkdtempSync(join(logDir, `${role}-`)), ...extra },
    join(logDir, `${role}-${port}.log`),
  );
  return { name, service, readyUrl: `http://127.0.0.1:${port}/readyz` };
}

const cluster = await startKafkaCluster({ nodes: 1, keepAlive: true });
const secured = await startKafkaCluster({ nodes: 1, keepAlive: true, saslSsl: { users: [{ username: "bench", password: "right-password" }] } });
const measured: Measured[] = [];
try {
  for (const role of ROLES) measured.push(await startOurs(role, cluster.bootstrap));
  // The classic group protocol, for comparison: after an outage longer than the session timeout its member
  // waits for the broker to expire its old self; with Kafka 4's protocol (the default) it keeps its place.
  measured.push(await startOurs("email", cluster.bootstrap, { KAFKA_GROUP_PROTOCOL: "classic" }, " (KAFKA_GROUP_PROTOCOL=classic)"));
  await Promise.all(measured.map((m) => m.service.waitUntil(() => httpOk(m.readyUrl!), 90_000, 100)));
  if (pythonPeers) {
    const port = await freePort();
    const api = new Service(
      "Python spec service (task_api.py)",
      [PYTHON, "-m", "uvicorn", "task_api:app", "--host", "127.0.0.1", "--port", String(port)],
      { KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap, TASK_TOPIC: "bench-outage-py", PYTHONDONTWRITEBYTECODE: "1" },
      join(logDir, "python-api.log"),
      join(import.meta.dir, "compare/python-peer"),
    );
    const body = JSON.stringify({ title: "t", owner_id: "u" });
    await api.waitUntil(() => httpOk(`http://127.0.0.1:${port}/tasks`, { method: "POST", headers: { "Content-Type": "application/json" }, body }), 60_000, 100);
    measured.push({ name: api.name, service: api });
    const audit = startPythonAudit(cluster.bootstrap, { binary, node: "", logDir }, "task-events", "bench-outage-python-audit", mkdtempSync(join(logDir, "py-audit-")));
    measured.push({ name: "Python spec audit agent (audit_agent.py)", service: audit });
  } else {
    console.log("Python peers skipped: python3-confluent-kafka, python3-fastapi or python3-uvicorn missing (bash bench/outage-cpu.sh installs them)");
  }
  await sleep(3000);
  const idle = await cpuOver(measured, IDLE_SECONDS);
  measured.forEach((m, i) => (m.idlePct = idle[i]));

  const wrong = await startOurs(
    "api",
    secured.bootstrap,
    {
      KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
      KAFKA_SASL_MECHANISMS: "SCRAM-SHA-512",
      KAFKA_SASL_USERNAME: "bench",
      KAFKA_SASL_PASSWORD: "wrong-password",
      KAFKA_SSL_CA_LOCATION: secured.caLocation,
    },
    " (wrong SASL password, never connects)",
  );

  console.log(`broker SIGKILLed; measuring ${OUTAGE_SECONDS} s of outage`);
  await cluster.nodes[0]!.kill("SIGKILL");
  await sleep(3000);
  const linesBefore = [...measured, wrong].map((m) => lineCount(m.service.logPath));
  const away = await cpuOver([...measured, wrong], OUTAGE_SECONDS);
  [...measured, wrong].forEach((m, i) => {
    m.outagePct = away[i];
    m.outageLogLines = lineCount(m.service.logPath) - linesBefore[i]!;
  });

  await cluster.nodes[0]!.start();
  while (!(await canConnect(cluster.nodes[0]!.port))) await sleep(20);
  const returned = performance.now();
  const returnedAt = Date.now();
  await Promise.all(
    measured
      .filter((m) => m.readyUrl)
      .map(async (m) => {
        while (!(await httpOk(m.readyUrl!).catch(() => false))) await sleep(50);
        m.readyAfterReturnS = (performance.now() - returned) / 1000;
      }),
  );
  for (const m of measured) if (m.readyUrl) m.reconnectedAfterReturnS = reconnectedAfter(m.service.logPath, returnedAt);
  measured.push(wrong);

  const rows = measured.map(
    (m) =>
      `| ${m.name} | ${m.idlePct === undefined ? "" : `${m.idlePct.toFixed(2)} %`} | ${m.outagePct!.toFixed(2)} % | ${m.outageLogLines} | ${seconds(
        m.reconnectedAfterReturnS,
      )} | ${seconds(m.readyAfterReturnS)} |`,
  );
  const table = [
    `Broker SIGKILLed for ${OUTAGE_SECONDS + 3} s (CPU measured over the last ${OUTAGE_SECONDS} s), ${new Date().toISOString().slice(0, 10)}, 2 cores.`,
    "The last two columns count from the moment the restarted broker's port accepts connections.",
    "",
    "| Process | CPU connected, idle | CPU while the broker is away | Log lines while away | Every client reconnected | /readyz 200 |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
  console.log(table);
  mkdirSync(join(root, "bench"), { recursive: true });
  writeFileSync(join(root, "bench/outage-results.md"), `${table}\n\nLogs: ${logDir}\n`);
} finally {
  await Promise.all(measured.map((m) => m.service.stop(2000)));
  await cluster.stop();
  await secured.stop();
}
