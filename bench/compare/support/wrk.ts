import { join } from "node:path";

const SCRIPT = join(import.meta.dir, "../wrk/post-task.lua");

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** wrk's own report, for the log. */
  text: string;
}

/**
 * POST /tasks with wrk: one thread (the load generator shares the two cores with the system under test and
 * the broker), `connections` keep-alive connections, `seconds` long.
 */
export async function runWrk(baseUrl: string, connections: number, seconds: number): Promise<WrkResult> {
  const proc = Bun.spawn(
    ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "--latency", "-s", SCRIPT, baseUrl],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (proc.exitCode !== 0 || !line) throw new Error(`wrk failed (exit ${proc.exitCode}):\n${out}\n${err}`);
  const summary = JSON.parse(line.slice("WRK_JSON ".length)) as Record<string, number>;
  const ms = (us: number | undefined) => (us ?? NaN) / 1000;
  return {
    requestsPerSecond: (summary.requests! / summary.duration_us!) * 1e6,
    p50Ms: ms(summary.p50_us),
    p90Ms: ms(summary.p90_us),
    p99Ms: ms(summary.p99_us),
    maxMs: ms(summary.max_us),
    requests: summary.requests!,
    non2xx: summary.non2xx!,
    socketErrors: summary.socket_errors!,
    text: out.replace(/^WRK_JSON .*\n?/m, ""),
  };
}
