import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { AgentProcess, agentEventsBinary, eventually } from "./support/agent-process.ts";

// The binary in a minimal Debian bookworm root (debootstrap --variant=minbase): proof that it needs
// nothing beyond a stock base system. Making the root, mounting /proc and chroot need root: run by another
// user the test is skipped, saying why in its name and on the console. Run as root it always runs, and a
// root that cannot be made (no debootstrap, no mirror) fails it.
const script = resolve(import.meta.dir, "../scripts/make-bookworm-root.sh");
const asRoot = process.getuid?.() === 0;
const name = "starts every role on the embedded broker, and a task is emailed, posted and audited";
const skipReason = `not run as root (uid ${process.getuid?.()}): debootstrap, mount and chroot need root`;
const made = asRoot ? Bun.spawnSync(["bash", script], { stderr: "pipe" }) : undefined;
if (!asRoot) console.warn(`skipping the minimal-root test: ${skipReason}`);

const mounted: string[] = [];
afterAll(() => {
  for (const point of mounted.reverse()) Bun.spawnSync(["umount", "-l", point]);
});

describe("the binary in a minimal Debian bookworm root", () => {
  test.skipIf(!asRoot)(asRoot ? name : `${name} (skipped: ${skipReason})`, async () => {
    const madeLog = made?.stderr.toString().trim().split("\n").slice(-20).join("\n");
    expect(made?.exitCode, `${script} failed:\n${madeLog}`).toBe(0);
    const root = made!.stdout.toString().trim();
    const bin = join(root, "usr/local/bin");
    mkdirSync(bin, { recursive: true });
    copyFileSync(agentEventsBinary(), join(bin, "agent-events"));
    // The cached root keeps what an earlier run left: this run's outboxes start empty.
    rmSync(join(root, "tmp/agent-events"), { recursive: true, force: true });
    // A compiled Bun program reads itself through /proc/self/exe.
    for (const [fs, point] of [["proc", "proc"], ["devtmpfs", "dev"]] as const) {
      const target = join(root, point);
      Bun.spawnSync(["umount", "-l", target]);
      const mount = Bun.spawnSync(["mount", "-t", fs, fs, target], { stderr: "pipe" });
      expect(mount.stderr.toString()).toBe("");
      mounted.push(target);
    }
    const version = Bun.spawnSync(["chroot", root, "/usr/local/bin/agent-events", "--version"], { stdout: "pipe", stderr: "pipe" });
    expect(version.stderr.toString()).toBe("");
    expect(version.stdout.toString()).toContain("librdkafka 2.15.1");

    const all = new AgentProcess([root, "/usr/local/bin/agent-events", "--role=all"], { DATA_DIR: "/tmp/agent-events" }, {
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
      const { id } = (await created.json()) as { id: string };
      // The outboxes and the audit log inside the root show each agent handled it.
      const data = join(root, "tmp/agent-events");
      await eventually(() => {
        const mails = existsSync(join(data, "outbox/email")) ? readdirSync(join(data, "outbox/email")) : [];
        const slack = existsSync(join(data, "outbox/slack.jsonl")) ? readFileSync(join(data, "outbox/slack.jsonl"), "utf8") : "";
        const audit = existsSync(join(data, "audit"))
          ? readdirSync(join(data, "audit")).map((n) => readFileSync(join(data, "audit", n), "utf8")).join("")
          : "";
        const audited = audit.split("\n").filter((line) => line.includes(id)).length;
        return mails.length === 1 && slack.includes(id) && audited === 3 ? true : undefined;
      });
      expect(await all.kill("SIGTERM")).toBe(0);
    } finally {
      all.process.kill("SIGKILL");
    }
  }, 120_000);
});
