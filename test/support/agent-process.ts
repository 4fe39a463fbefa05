import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

const ROOT = resolve(import.meta.dir, "../..");
let built: string | undefined;

/** Builds dist/agent-events once per test run (librdkafka and Bun are cached by the script). */
export function agentEventsBinary(): string {
  if (!built) {
    const build = Bun.spawnSync(["bash", join(ROOT, "scripts/build-binary.sh")], { stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
    built = build.stdout.toString().trim();
  }
  return built;
}

let denoInstalled = false;

/** How a black-box test starts agent-events: the same arguments and environment whichever runs it. */
export interface Launcher {
  /** Names the describe block: "the Bun binary" or "Deno from source". */
  name: string;
  /** What `--version` names as the runtime, e.g. "bun 1.4.5". */
  runtime: string;
  command(): string[];
}

const pinned = (name: string) => `${name} ${readFileSync(join(ROOT, `.${name}-version`), "utf8").trim()}`;

export const BUN_BINARY: Launcher = { name: "the Bun binary", runtime: pinned("bun"), command: () => [agentEventsBinary()] };

/** scripts/agent-events-deno, with the pinned Deno installed once per test run. */
export const DENO_FROM_SOURCE: Launcher = {
  name: "Deno from source",
  runtime: pinned("deno"),
  command() {
    if (!denoInstalled) {
      const install = Bun.spawnSync(["bash", join(ROOT, "scripts/ensure-deno.sh")], { stderr: "pipe" });
      if (install.exitCode !== 0) throw new Error(`installing Deno failed:\n${install.stderr.toString()}`);
      denoInstalled = true;
    }
    return ["bash", join(ROOT, "scripts/agent-events-deno")];
  },
};

/** The black-box tests run against each. */
export const LAUNCHERS: readonly Launcher[] = [BUN_BINARY, DENO_FROM_SOURCE];

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** One role of the binary running as its own process, as on a VM. */
export class AgentProcess {
  readonly logs: LogLine[] = [];
  readonly output: string[] = [];
  private readonly waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  url = "";

  constructor(args: string[], env: Record<string, string>, options: { cwd?: string; binary?: string; launcher?: Launcher } = {}) {
    const command = options.binary ? [options.binary] : (options.launcher ?? BUN_BINARY).command();
    this.process = Bun.spawn([...command, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HTTP_PORT: "0", LOG_LEVEL: "info", ...env },
      cwd: options.cwd,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    void this.read(this.process.stderr);
    void this.read(this.process.stdout);
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Resolves once the HTTP server is up, ready or not. */
  async listening(): Promise<string> {
    const running = await Promise.race([
      this.waitForLog((line) => line.msg === "agent-events running"),
      this.process.exited.then((code) => {
        throw new Error(`exited with ${code} before it was ready:\n${this.output.join("\n")}`);
      }),
    ]);
    this.url = String(running.url);
    return this.url;
  }

  /** Resolves once the HTTP server is up and /readyz answers 200 (the consumer joined its group). */
  async ready(): Promise<string> {
    await this.listening();
    // Joining a group has no single log line to await across roles; readiness is what /readyz says.
    await eventually(async () => ((await fetch(`${this.url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined));
    return this.url;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
    this.process.kill(signal);
    return this.process.exited;
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.output.push(text);
        let line: LogLine;
        try {
          line = JSON.parse(text);
        } catch {
          continue;
        }
        this.logs.push(line);
        for (const waiter of [...this.waiters]) {
          if (waiter.match(line)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    }
  }
}

/** Waits for a condition that only a poll can observe (a file filling up), bounded by the test timeout. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, everyMs = 100): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await Bun.sleep(everyMs);
  }
}
