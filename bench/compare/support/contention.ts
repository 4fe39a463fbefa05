import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = 100;
const EVERY_MS = 2000;
/** CPU seconds per interval below which a process is not worth naming (5% of a core). */
const NOISE_SECONDS = 0.1;

interface Sample {
  ppid: number;
  ticks: number;
}

export interface Intruder {
  command: string;
  cpuSeconds: number;
  phases: string[];
}

function readAll(): Map<number, Sample> {
  const all = new Map<number, Sample>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      all.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return all;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 100);
  } catch {
    return `pid ${pid}`;
  }
}

/**
 * Watches for CPU used by processes outside this benchmark's own process tree (another benchmark, a test
 * run, a compiler), so a run that shared the cores says so in its results.
 */
export class ContentionMonitor {
  phase = "start";
  private readonly intruders = new Map<string, Intruder>();
  private last = readAll();
  private readonly timer = setInterval(() => this.sample(), EVERY_MS);

  private sample(): void {
    const now = readAll();
    const ours = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
        if (p === process.pid) return true;
        p = now.get(p)?.ppid ?? 0;
      }
      return false;
    };
    for (const [pid, sample] of now) {
      const before = this.last.get(pid);
      const seconds = (sample.ticks - (before?.ticks ?? 0)) / CLOCK_TICKS;
      // Kernel threads are children of kthreadd (pid 2).
      if (seconds < NOISE_SECONDS || sample.ppid === 2 || pid === 2 || ours(pid)) continue;
      const command = commandOf(pid);
      const intruder = this.intruders.get(command) ?? { command, cpuSeconds: 0, phases: [] };
      intruder.cpuSeconds += seconds;
      if (!intruder.phases.includes(this.phase)) intruder.phases.push(this.phase);
      this.intruders.set(command, intruder);
    }
    this.last = now;
  }

  stop(): Intruder[] {
    clearInterval(this.timer);
    return [...this.intruders.values()].sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  }
}
