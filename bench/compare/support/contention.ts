import { readdirSync, readFileSync } from "node:fs";
import { CLOCK_TICKS, machineCpu, statFields } from "./processes.ts";

const EVERY_MS = 2000;
/** CPU seconds within one phase below which a program is not worth naming. */
const REPORT_SECONDS = 1;
const INTERPRETERS = new Set(["bun", "node", "python3", "java", "bash", "sh", "perl"]);

interface Sample {
  ppid: number;
  ticks: number;
}

export interface Intruder {
  command: string;
  cpuSeconds: number;
  /** The phases in which it used at least REPORT_SECONDS. */
  phases: string[];
}

function readAll(): Map<number, Sample> {
  const all = new Map<number, Sample>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(`/proc/${entry}/stat`);
      all.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return all;
}

/**
 * Who used the CPU, grouped so that a build's hundred compiler runs add up: the program's name, and for an
 * interpreter the script or main class it runs.
 */
function programOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const name = argv[0]?.split("/").pop() ?? `pid ${pid}`;
    if (!INTERPRETERS.has(name)) return name;
    const target = argv.slice(1).find((arg) => !arg.startsWith("-") && !/^\d/.test(arg));
    return target ? `${name} ${target.split("/").slice(-2).join("/")}`.slice(0, 80) : name;
  } catch {
    return `pid ${pid}`;
  }
}

/**
 * Watches for CPU used by processes outside this benchmark's own process tree (another benchmark, a test
 * run, a compiler), so a run that shared the cores says so in its results.
 */
export class ContentionMonitor {
  private current = "start";
  private readonly usage = new Map<string, Map<string, number>>();
  private readonly steal = new Map<string, number>();
  private stealMark = machineCpu().steal;
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
    const steal = machineCpu().steal;
    this.steal.set(this.current, (this.steal.get(this.current) ?? 0) + steal - this.stealMark);
    this.stealMark = steal;
    for (const [pid, sample] of now) {
      const before = this.last.get(pid);
      const seconds = (sample.ticks - (before?.ticks ?? 0)) / CLOCK_TICKS;
      // Kernel threads are children of kthreadd (pid 2).
      if (seconds <= 0 || sample.ppid === 2 || pid === 2 || ours(pid)) continue;
      const command = programOf(pid);
      const byPhase = this.usage.get(command) ?? new Map<string, number>();
      byPhase.set(this.current, (byPhase.get(this.current) ?? 0) + seconds);
      this.usage.set(command, byPhase);
    }
    this.last = now;
  }

  /** Attributes what follows to `name`. */
  set phase(name: string) {
    this.sample();
    this.current = name;
  }

  stop(): { intruders: Intruder[]; stealByPhase: Record<string, number> } {
    clearInterval(this.timer);
    this.sample();
    const intruders: Intruder[] = [];
    for (const [command, byPhase] of this.usage) {
      const phases = [...byPhase].filter(([, seconds]) => seconds >= REPORT_SECONDS).map(([phase]) => phase);
      if (phases.length === 0) continue;
      intruders.push({ command, cpuSeconds: [...byPhase.values()].reduce((a, b) => a + b, 0), phases });
    }
    return { intruders: intruders.sort((a, b) => b.cpuSeconds - a.cpuSeconds), stealByPhase: Object.fromEntries(this.steal) };
  }
}
