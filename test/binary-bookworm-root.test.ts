import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { AgentProcess, agentEventsBinary } from "./support/agent-process.ts";

// The binary in a minimal Debian bookworm root (debootstrap --variant=minbase): proof that it needs
// nothing beyond a stock base system. Making the root needs root and the Debian mirror; where either is
// missing the test is skipped, saying why.
const script = resolve(import.meta.dir, "../scripts/make-bookworm-root.sh");
const made = Bun.spawnSync(["bash", script], { stderr: "pipe" });
const root = made.exitCode === 0 ? made.stdout.toString().trim() : undefined;
const why = root ? "" : `debootstrap cannot run here: ${made.stderr.toString().trim().split("\n").at(-1)}`;
if (!root) console.warn(`skipping the minimal-root test: ${why}`);

const mounted: string[] = [];
afterAll(() => {
  for (const point of mounted.reverse()) Bun.spawnSync(["umount", "-l", point]);
});

describe.skipIf(!root)("the binary in a minimal Debian bookworm root", () => {
  test("starts every role on the embedded broker and accepts a task", async () => {
    const bin = join(root!, "usr/local/bin");
    mkdirSync(bin, { recursive: true });
    copyFileSync(agentEventsBinary(), join(bin, "agent-events"));
    // A compiled Bun program reads itself through /proc/self/exe.
    for (const [fs, point] of [["proc", "proc"], ["devtmpfs", "dev"]] as const) {
      const target = join(root!, point);
      Bun.spawnSync(["umount", "-l", target]);
      const mount = Bun.spawnSync(["mount", "-t", fs, fs, target], { stderr: "pipe" });
      expect(mount.stderr.toString()).toBe("");
      mounted.push(target);
    }
    const version = Bun.spawnSync(["chroot", root!, "/usr/local/bin/agent-events", "--version"], { stdout: "pipe", stderr: "pipe" });
    expect(version.stderr.toString()).toBe("");
    expect(version.stdout.toString()).toContain("librdkafka 2.15.1");

    const all = new AgentProcess([root!, "/usr/local/bin/agent-events", "--role=all"], { DATA_DIR: "/tmp/agent-events" }, {
      binary: "chroot",
    });
    try {
      const url = await all.ready();
      const created = await fetch(`${url}/tasks`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ title: "in a minimal root", owner_id: "user-1" }),
      });
      expect(created.status).toBe(201);
      expect(await all.kill("SIGTERM")).toBe(0);
    } finally {
      all.process.kill("SIGKILL");
    }
  }, 120_000);
});
