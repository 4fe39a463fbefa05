import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { AgentProcess, agentEventsBinary, eventually, LAUNCHERS, type Launcher } from "./support/agent-process.ts";

function run(launcher: Launcher, args: string[], env: Record<string, string> = {}, cwd?: string) {
  const result = Bun.spawnSync([...launcher.command(), ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

function commandLine(launcher: Launcher): void {
  describe(`the agent-events command line, ${launcher.name}`, () => {
    test("--version names the librdkafka inside", () => {
      const { code, out } = run(launcher, ["--version"]);
      expect(code).toBe(0);
      expect(out).toStartWith(`agent-events ${packageJson.version} (librdkafka 2.15.1, ${launcher.runtime})`);
    });

    test("--help lists the roles", () => {
      const { code, out } = run(launcher, ["--help"]);
      expect(code).toBe(0);
      for (const role of ["api", "email", "slack", "audit", "worker", "orchestrator", "all"]) expect(out).toContain(`  ${role} `);
    });

    test("an unknown role exits with status 2 and lists the roles", () => {
      const { code, err } = run(launcher, ["--role=dispatcher"]);
      expect(code).toBe(2);
      expect(err).toContain('unknown role "dispatcher"; roles are: api, email, slack, audit, worker, orchestrator, all');
    });

    test("--role NAME starts the role as --role=NAME does", async () => {
      // No broker is needed for this: a role serves its HTTP endpoints before it reaches one.
      const api = new AgentProcess(
        ["--role", "api"],
        { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1", DATA_DIR: mkdtempSync(join(tmpdir(), "agent-events-space-")) },
        { launcher },
      );
      try {
        const running = await api.waitForLog((line) => line.msg === "agent-events running");
        expect(running.roles).toEqual(["api"]);
        expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      } finally {
        await api.kill("SIGKILL");
      }
      expect(run(launcher, ["--role", "nope"]).err).toContain('unknown role "nope"');
    });

    test("bad requests get 4xx with a JSON body listing every problem, before any broker is reached", async () => {
      const api = new AgentProcess(
        ["--role=api"],
        { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1", DATA_DIR: mkdtempSync(join(tmpdir(), "agent-events-bad-requests-")) },
        { launcher },
      );
      try {
        const url = await api.listening();
        const post = (body: string, contentType = "application/json") =>
          fetch(`${url}/tasks`, { method: "POST", headers: { "Content-Type": contentType }, body });
        const invalid = await post(JSON.stringify({ title: "", priority: 9 }));
        expect(invalid.status).toBe(400);
        const { problems } = (await invalid.json()) as { problems: Array<{ path: string; message: string }> };
        expect(problems.map((problem) => problem.path).sort()).toEqual(["owner_id", "priority", "title"]);
        expect((await post("{not json")).status).toBe(400);
        expect((await post("hello", "text/plain")).status).toBe(415);
        expect((await fetch(`${url}/tasks`, { method: "PUT" })).status).toBe(405);
      } finally {
        await api.kill("SIGKILL");
      }
    });

    test("bad configuration stops start-up with status 2, listing every problem, and starts nothing", () => {
      const { code, err } = run(launcher, ["--role=api"], { HTTP_PORT: "http", KAFKA_TOPIC_PARTITIONS: "-1", SMTP_SECURE: "perhaps" });
      expect(code).toBe(2);
      expect(err).toContain("HTTP_PORT");
      expect(err).toContain("KAFKA_TOPIC_PARTITIONS");
      expect(err).toContain("SMTP_SECURE");
      expect(err).not.toContain("agent-events running");
    });

    test("a bad workflow file stops start-up with status 2, listing every problem in it", () => {
      const dir = mkdtempSync(join(tmpdir(), "agent-events-workflows-"));
      const file = join(dir, "workflows.yaml");
      writeFileSync(
        file,
        [
          "workflows:",
          "  - name: review",
          "    steps:",
          "      - { id: draft, agent_type: writer, input: { text: '{{steps.check.output.text}}' } }",
          "      - { id: check, agent_type: checker, depends_on: [draft, publish], colour: blue }",
          "      - { id: check, agent_type: checker }",
          "  - name: loop",
          "    steps:",
          "      - { id: a, agent_type: x, depends_on: [b] }",
          "      - { id: b, agent_type: x, depends_on: [a] }",
        ].join("\n"),
      );
      for (const role of ["orchestrator", "api"]) {
        const { code, err } = run(launcher, [`--role=${role}`], { WORKFLOWS_FILE: file, TASK_MAX_ATTEMPTS: "0" });
        expect(code).toBe(2);
        expect(err).toContain("TASK_MAX_ATTEMPTS: must be at least 1");
        expect(err).toContain(`WORKFLOWS_FILE (${file}): workflows.0.steps.1.colour: is not a field of a step (id, agent_type, input, depends_on, attempts, timeout_ms)`);
        expect(err).not.toContain("agent-events running");
      }
      writeFileSync(file, readFileSync(file, "utf8").replace(", colour: blue", ""));
      const { code, err } = run(launcher, ["--role=orchestrator"], { WORKFLOWS_FILE: file });
      expect(code).toBe(2);
      expect(err).toContain("step check is defined twice");
      expect(err).toContain("step check depends on publish, which is not a step of this workflow");
      expect(err).toContain("step draft refers to the output of check, which it does not wait for");
      expect(err).toContain("steps depend on each other in a loop: a -> b -> a");
      expect(run(launcher, ["--role=orchestrator"], { WORKFLOWS_FILE: join(dir, "missing.yaml") }).err).toContain(`WORKFLOWS_FILE: cannot read ${join(dir, "missing.yaml")}`);
    });

    test("an unknown or invalid librdkafka property stops start-up with librdkafka's message", () => {
      const { code, err } = run(launcher, ["--role=api"], {
        KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1",
        KAFKA_NO_SUCH_THING: "1",
        KAFKA_LINGER_MS: "soon",
      });
      expect(code).toBe(2);
      expect(err).toContain("no.such.thing");
      expect(err).toContain("linger.ms");
    });

    test(
      "--role=all on the embedded broker: a posted task shows up as an email file, a Slack line and an audit line",
      async () => {
        const dataDir = mkdtempSync(join(tmpdir(), "agent-events-dev-"));
        const all = new AgentProcess(["--role=all"], { DATA_DIR: dataDir }, { launcher });
        try {
          const url = await all.ready();
          const setup = await all.waitForLog((l) => l.msg === "development setup: embedded broker and local outboxes");
          expect(setup.email_outbox).toBe(join(dataDir, "outbox/email"));
          const response = await fetch(`${url}/tasks`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ title: "Review quarterly report", owner_id: "user-456", priority: 2 }),
          });
          expect(response.status).toBe(201);
          const { id } = await jsonOf(response);
          const email = await eventually(() => {
            const dir = join(dataDir, "outbox/email");
            const file = existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith(".eml")) : undefined;
            return file ? readFileSync(join(dir, file), "utf8") : undefined;
          });
          expect(email).toContain("Subject: New task: Review quarterly report");
          expect(email).toContain(id);
          const slackLine = await eventually(() => {
            const file = join(dataDir, "outbox/slack.jsonl");
            return existsSync(file) ? readFileSync(file, "utf8") : undefined;
          });
          expect(slackLine).toContain(id);
          // The task's own lines: the built-in workers' registrations and heartbeats are audited too, and may
          // come first.
          const audit = await eventually(() => {
            const dir = join(dataDir, "audit");
            const text = existsSync(dir)
              ? readdirSync(dir).map((n) => readFileSync(join(dir, n), "utf8")).join("")
              : "";
            const lines = text.split("\n").filter((line) => line.includes(id));
            return lines.length >= 3 ? lines.join("\n") : undefined;
          });
          expect(audit).toContain('"event_type":"task.created"');
          expect(audit.match(/"event_type":"notification.sent"/g)).toHaveLength(2);
          expect(all.logs.some((l) => l.level === "warn" && String(l.msg).includes("NOT durable"))).toBe(true);
          expect(await all.kill("SIGTERM")).toBe(0);
        } finally {
          all.process.kill("SIGKILL");
        }
      },
      60_000,
    );
  });
}

for (const launcher of LAUNCHERS) commandLine(launcher);

describe("the Bun binary alone", () => {
  test("runs from an empty folder with no node_modules", () => {
    const empty = mkdtempSync(join(tmpdir(), "agent-events-empty-"));
    copyFileSync(agentEventsBinary(), join(empty, "agent-events"));
    const result = Bun.spawnSync([join(empty, "agent-events"), "--version"], { cwd: empty, env: { PATH: "/usr/bin:/bin" } });
    expect(result.exitCode).toBe(0);
    expect(readdirSync(empty)).toEqual(["agent-events"]);
  });
});

// Response bodies in these tests are checked field by field; their type is whatever the server sent.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
