import { readdirSync, readFileSync } from "node:fs";
import { CLOCK_TICKS, statFields } from "../compare/support/processes.ts";

export interface ThreadCpu {
  /** The JavaScript thread that answers requests (its thread id is the process id). */
  main: number;
  /** The span export worker (Bun names a Worker's thread "Worker"). */
  worker: number;
  /** Every thread: the JIT, the GC, librdkafka's. */
  all: number;
}

/**
 * CPU seconds so far of a process's threads, from /proc/PID/task/TID/stat: the throughput of a machine whose
 * cores are all busy says what the whole costs, these say which thread of ours pays it.
 */
export function threadCpu(pid: number): ThreadCpu {
  const cpu = { main: 0, worker: 0, all: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      cpu.all += seconds;
      if (tid === String(pid)) cpu.main += seconds;
      else if (readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim() === "Worker") cpu.worker += seconds;
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return cpu;
}
