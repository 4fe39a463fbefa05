// Did a change make the binary slower? Two (or more) builds' api roles at c=64 on one broker, alternated
// round by round (ABBA order), so that the machine's drift over the minutes falls on every side alike. One
// full compare run before and one after differ by up to 15 % on this machine with nothing changed.
//
//   bun bench/compare/binary-ab.ts before=/tmp/agent-events-old after=dist/agent-events [rounds]
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKafkaCluster } from "../../test/support/kafka-cluster.ts";
import { freePort, httpOk } from "./support/processes.ts";
import { runWrk } from "./support/wrk.ts";

const WARM_UP_S = 3;
const MEASURE_S = 8;

const builds = process.argv.slice(2).filter((arg) => arg.includes("=")).map((arg) => arg.split("=", 2) as [string, string]);
const rounds = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 4);
if (builds.length < 2) throw new Error("usage: bun bench/compare/binary-ab.ts NAME=BINARY NAME=BINARY [rounds]");

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const cluster = await startKafkaCluster({ nodes: 1 });
const results = new Map(builds.map(([name]) => [name, [] as Array<{ rate: number; cpuUs: number; p99: number }>]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, binary] of round % 2 ? [...builds].reverse() : builds) {
      const port = await freePort();
      const api = Bun.spawn([binary, "--role=api"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap, HTTP_HOST: "127.0.0.1", HTTP_PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), "binary-ab-")) },
        stdout: "ignore",
        stderr: "ignore",
      });
      const url = `http://127.0.0.1:${port}`;
      while (!(await httpOk(`${url}/readyz`).catch(() => false))) await Bun.sleep(100);
      await runWrk(url, 64, WARM_UP_S);
      const before = cpuSeconds(api.pid);
      const run = await runWrk(url, 64, MEASURE_S);
      const cpuUs = ((cpuSeconds(api.pid) - before) / run.requests) * 1e6;
      results.get(name)!.push({ rate: run.requestsPerSecond, cpuUs, p99: run.p99Ms });
      console.log(`round ${round + 1} ${name}: ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99Ms.toFixed(2)} ms, ${cpuUs.toFixed(1)} µs CPU per request`);
      api.kill("SIGKILL");
      await api.exited;
    }
  }
} finally {
  await cluster.stop();
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [name, runs] of results) {
  console.log(
    `${name}: median ${median(runs.map((r) => r.rate)).toFixed(0)} req/s (${runs.map((r) => r.rate.toFixed(0)).join(", ")}), ` +
      `median ${median(runs.map((r) => r.cpuUs)).toFixed(1)} µs CPU per request, median p99 ${median(runs.map((r) => r.p99)).toFixed(2)} ms`,
  );
}
process.exit(0);
