import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Producer } from "../src/kafka/producer.ts";
import { headerText } from "../src/kafka/message-decoder.ts";
import { readWholeTopic } from "./support/drain.ts";
import { drained } from "./support/drained.ts";
import { killDuringEffect } from "./support/kill-during-effect.ts";
import { AgentProcess, eventually, LAUNCHERS, type Launcher } from "./support/agent-process.ts";
import { startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startSmtpSink, type ReceivedMail } from "./support/smtp-sink.ts";
import { startWebhookSink, type ReceivedPost } from "./support/webhook-sink.ts";

// The black-box suite, run against each launcher: the Bun binary and Deno from source. Each run has its own
// broker: the roles use the spec's fixed topic and group names.
function rolesAsProcesses(launcher: Launcher): void {
  describe(`${launcher.name}, one process per role`, () => {
    let cluster: KafkaCluster;
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    let slack: ReturnType<typeof startWebhookSink>;
    let dir: string;
    let env: Record<string, string>;
    const roles: Record<string, AgentProcess> = {};
    let beforeMail: ((mail: ReceivedMail) => void) | undefined;
    let beforePost: ((post: ReceivedPost) => void) | undefined;
    const GROUPS = { email: "notification-email", slack: "notification-slack", audit: "audit-log" } as const;

    interface AuditLine {
      logged_at: string;
      event: { event_id: string; event_type: string; data: Record<string, unknown>; metadata: Record<string, string> };
    }

    function auditFiles(root = join(dir, "audit-vm", "audit")): string[] {
      return readdirSync(root).filter((name) => name.endsWith(".jsonl")).sort();
    }

    function auditLines(): AuditLine[] {
      const auditDir = join(dir, "audit-vm", "audit");
      return auditFiles()
        .flatMap((name) => readFileSync(join(auditDir, name), "utf8").split("\n").filter(Boolean))
        .map((line) => JSON.parse(line));
    }

    function startRole(role: string): AgentProcess {
      // One DATA_DIR per role, as on separate VMs.
      roles[role] = new AgentProcess([`--role=${role}`], { ...env, DATA_DIR: join(dir, `${role}-vm`) }, { launcher });
      return roles[role]!;
    }

    async function postTasks(count: number, tag: string): Promise<Array<{ id: string; correlation_id: string }>> {
      const results: Array<{ id: string; correlation_id: string }> = [];
      for (let start = 0; start < count; start += 20) {
        const batch = Array.from({ length: Math.min(20, count - start) }, async (_, i) => {
          const n = start + i;
          const response = await fetch(`${roles.api!.url}/tasks`, {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-Correlation-ID": `req-${tag}-${n}` },
            body: JSON.stringify({ title: `Task ${tag} ${n}`, owner_id: `user-${n % 7}`, priority: (n % 5) + 1 }),
          });
          expect(response.status).toBe(201);
          return (await response.json()) as { id: string; correlation_id: string };
        });
        results.push(...(await Promise.all(batch)));
      }
      return results;
    }

    /** Every agent has taken and finished all it was sent, so what the sinks hold is final. */
    async function allDrained(): Promise<void> {
      await Promise.all([drained(roles.email!.url, GROUPS.email), drained(roles.slack!.url, GROUPS.slack)]);
      // The audit agent also reads the notification.sent events the other two published before they committed.
      await drained(roles.audit!.url, GROUPS.audit);
    }

    // Quoted-printable may wrap a task id inside the body; the soft line breaks are undone before counting.
    const mailText = (mail: ReceivedMail) => mail.raw.replace(/=\r?\n/g, "");
    const mailsPer = (ids: readonly string[]) => ids.map((id) => smtp.accepted.filter((mail) => mailText(mail).includes(id)).length);
    const postsPer = (ids: readonly string[]) => ids.map((id) => slack.posts.filter((post) => JSON.stringify(post.body).includes(id)).length);

    beforeAll(async () => {
      launcher.command();
      cluster = await startKafkaCluster({ nodes: 1 });
      smtp = await startSmtpSink((mail) => beforeMail?.(mail));
      slack = startWebhookSink((post) => beforePost?.(post));
      dir = mkdtempSync(join(tmpdir(), "agent-events-e2e-"));
      env = {
        KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
        // A killed member's partitions move on after 6 s instead of the default 45 s (classic group protocol).
        KAFKA_SESSION_TIMEOUT_MS: "6000",
        KAFKA_HEARTBEAT_INTERVAL_MS: "1000",
        SMTP_HOST: "127.0.0.1",
        SMTP_PORT: String(smtp.port),
        EMAIL_DOMAIN: "example.test",
        SLACK_WEBHOOK_URL: slack.url,
        HANDLER_RETRY_BACKOFF_MS: "20",
        HANDLER_MAX_RETRIES: "2",
        API_PUBLISH_TIMEOUT_MS: "2000",
      };
      await Promise.all(["api", "email", "slack", "audit"].map((role) => startRole(role).ready()));
    }, 180_000);

    afterAll(async () => {
      for (const node of cluster?.nodes ?? []) node.thaw();
      await Promise.all(Object.values(roles).map((role) => role.kill("SIGKILL")));
      await smtp?.close();
      slack?.close();
      await cluster?.stop();
    });

      test("200 tasks become exactly one email, one Slack post and three linked audit lines each", async () => {
        const tasks = await postTasks(200, "fanout");
        await allDrained();
        const ids = tasks.map((t) => t.id);
        expect(mailsPer(ids)).toEqual(ids.map(() => 1));
        expect(postsPer(ids)).toEqual(ids.map(() => 1));

        const byTask = new Map(tasks.map((t) => [t.id, t]));
        const lines = auditLines().filter((l) => byTask.has(String(l.event.data.task_id)));
        const created = lines.filter((l) => l.event.event_type === "task.created");
        const sent = lines.filter((l) => l.event.event_type === "notification.sent");
        expect(created.map((l) => l.event.data.task_id).sort()).toEqual([...ids].sort());
        expect(sent).toHaveLength(400);
        for (const { event } of created) {
          const task = byTask.get(String(event.data.task_id))!;
          expect(event.metadata.correlation_id).toBe(task.correlation_id);
          const children = sent.filter((l) => l.event.metadata.causation_id === event.event_id);
          expect(children.map((c) => c.event.data.channel).sort()).toEqual(["email", "slack"]);
          for (const child of children) expect(child.event.metadata.correlation_id).toBe(task.correlation_id);
        }
        const recipients = smtp.accepted.filter((mail) => ids.some((id) => mailText(mail).includes(id))).map((m) => m.to[0]);
        expect(new Set(recipients)).toEqual(new Set(Array.from({ length: 7 }, (_, i) => `user-${i}@example.test`)));
        const metrics = await (await fetch(`${roles.audit!.url}/metrics`)).text();
        expect(metrics).toMatch(/agent_events_consumer_lag\{group="audit-log",topic="task-events",partition="\d+"\} 0/);
        expect(metrics).toMatch(/agent_events_handled_total\{group="audit-log",event_type="task.created",outcome="ok"\} \d+/);
      }, 180_000);

      test("bad messages go to the dead-letter topic with their reason, from each group that met them, and every agent goes on", async () => {
        const producer = new Producer({ "bootstrap.servers": cluster.bootstrap });
        await producer.send({ topic: "task-events", key: "poison", value: "{not json", headers: { origin: "test" } });
        await producer.send({ topic: "task-events", key: "not-an-event", value: JSON.stringify({ hello: "world" }) });
        await producer.close();
        // The mail server refuses this one for good (550): the email agent alone fails on it.
        beforeMail = (mail) => {
          if (mail.raw.includes("Task refused-for-good")) throw Object.assign(new Error("mailbox unavailable"), { responseCode: 550 });
        };
        const [refused] = await postTasks(1, "refused-for-good");
        const [after] = await postTasks(1, "after-the-bad-ones");
        await allDrained();
        beforeMail = undefined;
        expect(mailsPer([after!.id])).toEqual([1]);
        expect(postsPer([refused!.id, after!.id])).toEqual([1, 1]);

        const expected = [
          ...Object.values(GROUPS).flatMap((group) => [`${group}/unparseable`, `${group}/invalid`]),
          `${GROUPS.email}/handler-failed`,
        ].sort();
        // The topic is read by offsets, not written to: each read sees the same, and each group's letters are awaited.
        const dead = await eventually(async () => {
          const messages = await readWholeTopic(cluster.bootstrap, "task-events.dlq", 3);
          const found = messages.map((m) => `${headerText(m, "x-dlq-group")}/${headerText(m, "x-dlq-reason")}`).sort();
          return found.length >= expected.length ? { messages, found } : undefined;
        }, 500);
        expect(dead.found).toEqual(expected);
        for (const message of dead.messages) {
          const reason = headerText(message, "x-dlq-reason");
          expect(headerText(message, "x-dlq-original-topic")).toBe("task-events");
          expect(headerText(message, "x-dlq-original-partition")).toMatch(/^\d+$/);
          expect(headerText(message, "x-dlq-original-offset")).toMatch(/^\d+$/);
          const value = new TextDecoder().decode(message.value!);
          if (reason === "unparseable") {
            expect(value).toBe("{not json");
            expect(headerText(message, "x-dlq-error")).toContain("JSON");
            expect(headerText(message, "origin")).toBe("test");
          } else if (reason === "invalid") {
            expect(value).toBe(JSON.stringify({ hello: "world" }));
            expect(headerText(message, "x-dlq-error")).toContain("event_id");
          } else {
            expect(JSON.parse(value).data.task_id).toBe(refused!.id);
            expect(headerText(message, "x-dlq-error")).toContain("550");
          }
        }
      }, 120_000);

      test("the email agent killed with SIGKILL mid-run and restarted sends every email exactly once", async () => {
        const kill = killDuringEffect(() => roles.email!, 40);
        beforeMail = (mail) => mail.raw.includes("Task crash-email") && kill.effect();
        const tasks = await postTasks(100, "crash-email");
        await kill.died;
        beforeMail = undefined;
        startRole("email");
        await roles.email!.ready();
        await allDrained();
        const ids = tasks.map((t) => t.id);
        expect(mailsPer(ids)).toEqual(ids.map(() => 1));
      }, 180_000);

      test("the Slack agent killed with SIGKILL mid-run and restarted posts every message exactly once", async () => {
        const kill = killDuringEffect(() => roles.slack!, 40);
        beforePost = (post) => JSON.stringify(post.body).includes("crash-slack") && kill.effect();
        const tasks = await postTasks(100, "crash-slack");
        await kill.died;
        beforePost = undefined;
        startRole("slack");
        await roles.slack!.ready();
        await allDrained();
        const ids = tasks.map((t) => t.id);
        expect(postsPer(ids)).toEqual(ids.map(() => 1));
      }, 180_000);

      test("audit verify says ok for the log and names the one altered line", async () => {
        const auditDir = join(dir, "audit-vm", "audit");
        const verify = (target: string) =>
          Bun.spawnSync([...launcher.command(), "audit", "verify", target], { stdout: "pipe", stderr: "pipe" });
        const ok = verify(auditDir);
        expect(ok.exitCode).toBe(0);
        expect(ok.stdout.toString()).toStartWith("ok (");

        const copy = mkdtempSync(join(tmpdir(), "audit-tampered-"));
        cpSync(auditDir, copy, { recursive: true });
        const file = auditFiles(copy)[0]!;
        const lines = readFileSync(join(copy, file), "utf8").split("\n");
        // The first task.created line, found by what it says; its priority is changed.
        const index = lines.findIndex((line) => line.includes('"event_type":"task.created"') && /"priority":\d/.test(line));
        expect(index).toBeGreaterThanOrEqual(0);
        lines[index] = lines[index]!.replace(/"priority":(\d)/, (_, p) => `"priority":${(Number(p) % 5) + 1}`);
        writeFileSync(join(copy, file), lines.join("\n"));
        const broken = verify(copy);
        expect(broken.exitCode).toBe(1);
        expect(broken.stdout.toString()).toContain(`${file} line ${index + 1}: hash mismatch`);
      });

      test("POST /tasks answers 503 with Retry-After when the broker does not acknowledge in time, and 201 once it does", async () => {
        const node = cluster.nodes[0]!;
        // A hung broker: its connections stay open, so the producer still counts it as up, but nothing is answered.
        node.freeze();
        const body = JSON.stringify({ title: "while the broker hangs", owner_id: "user-1" });
        const post = () =>
          fetch(`${roles.api!.url}/tasks`, {
            method: "POST",
            headers: { "Content-Type": "application/json", "Idempotency-Key": "hung-broker-1" },
            body,
          });
        let hung: Response;
        try {
          hung = await post();
        } finally {
          node.thaw();
        }
        expect(hung.status).toBe(503);
        expect(hung.headers.get("Retry-After")).toBe("5");
        expect(((await hung.json()) as { error: string }).error).toContain("retry with the same Idempotency-Key");

        const retried = await eventually(async () => {
          const response = await post();
          return response.status === 201 ? response : undefined;
        }, 500);
        const { id } = (await retried.json()) as { id: string };
        await allDrained();
        // The retry with the same key publishes the same event; whether the first write landed or not, one email.
        expect(mailsPer([id])).toEqual([1]);
      }, 120_000);

      test("readyz turns 503 naming the broker while it is down, and 200 once it is back", async () => {
        const readiness = async () => {
          const response = await fetch(`${roles.api!.url}/readyz`);
          return { status: response.status, body: (await response.json()) as { checks: Record<string, boolean>; missing: string[] } };
        };
        expect((await readiness()).status).toBe(200);
        await cluster.nodes[0]!.kill("SIGKILL");
        const down = await eventually(async () => {
          const state = await readiness();
          return state.status === 503 ? state : undefined;
        }, 250);
        expect(down.body.checks.broker).toBe(false);
        expect(down.body.missing.some((m) => m.startsWith("broker unreachable"))).toBe(true);
        await cluster.nodes[0]!.start();
        await eventually(async () => ((await readiness()).status === 200 ? true : undefined), 250);
      }, 60_000);

      test("SIGTERM stops every role cleanly with exit status 0", async () => {
        await Promise.all(Object.values(roles).map((role) => role.ready()));
        const codes = await Promise.all(Object.values(roles).map((role) => role.kill("SIGTERM")));
        expect(codes).toEqual([0, 0, 0, 0]);
        for (const role of Object.values(roles)) {
          expect(role.logs.at(-1)).toMatchObject({ msg: "stopped", clean: true });
        }
      }, 30_000);
  });
}

for (const launcher of LAUNCHERS) rolesAsProcesses(launcher);
