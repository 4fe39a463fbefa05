import type { Subprocess } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A port nobody listens on right now, from the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A system under test, its output going to a log file so that nothing here has to drain it. */
export class Service {
  readonly proc: Subprocess;
  readonly spawnedAt = performance.now();

  constructor(
    readonly name: string,
    command: string[],
    env: Record<string, string>,
    readonly logPath: string,
    cwd?: string,
  ) {
    const log = Bun.file(logPath);
    this.proc = Bun.spawn(command, {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
      cwd,
      stdin: "ignore",
      stdout: log,
      stderr: log,
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Seconds since spawn at which `probe` first resolved true; throws if the process exits or time runs out. */
  async waitUntil(probe: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 20): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited with ${this.proc.exitCode}; see ${this.logPath}`);
      if (await probe().catch(() => false)) return (performance.now() - this.spawnedAt) / 1000;
      if (performance.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms; see ${this.logPath}`);
      await sleep(everyMs);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
    await this.proc.exited;
    clearTimeout(timer);
  }
}

/** Resident set size in MB (VmRSS of /proc/PID/status), or NaN once the process is gone. */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * The fields of a /proc/.../stat file after the command name (which may hold spaces): [0] is the state,
 * [1] the parent pid, [7] the minor faults, [11] and [12] user and system ticks. Throws if it is gone.
 */
export function statFields(path: string): string[] {
  const stat = readFileSync(path, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = statFields(`/proc/${pid}/stat`);
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/**
 * The machine's CPU seconds so far, all cores, from the first line of /proc/stat: busy (not idle or
 * waiting on I/O), total, and stolen (given by the hypervisor to other guests).
 */
export function machineCpu(): { busy: number; total: number; steal: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0) / CLOCK_TICKS;
  const idle = (f[3]! + f[4]!) / CLOCK_TICKS;
  return { busy: total - idle, total, steal: (f[7] ?? 0) / CLOCK_TICKS };
}

/** Minor page faults of a process so far: first touches of fresh memory, which cost the thread that touches. */
export function minorFaults(pid: number): number {
  return Number(statFields(`/proc/${pid}/stat`)[7]);
}

/** Pids of JVMs whose command line contains `needle` (the broker, found by its data directory). */
export function javaPidsByCommandLine(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("java") && argv.some((arg) => arg.includes(needle))) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Samples VmRSS every `everyMs` until stopped; reports the peak and the mean. */
export class RssSampler {
  private samples: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly pid: number, everyMs = 250) {
    this.timer = setInterval(() => {
      const mb = rssMb(this.pid);
      if (!Number.isNaN(mb)) this.samples.push(mb);
    }, everyMs);
  }

  stop(): { peakMb: number; meanMb: number } {
    clearInterval(this.timer);
    const last = rssMb(this.pid);
    if (!Number.isNaN(last)) this.samples.push(last);
    const peakMb = Math.max(...this.samples);
    const meanMb = this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
    return { peakMb, meanMb };
  }
}

/** One-line load average, to show whether something else was running. */
export function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.ok;
}
