import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Producer } from "../src/kafka/producer.ts";
import { headerText } from "../src/kafka/message-decoder.ts";
import { readWholeTopic } from "./support/drain.ts";
import { AgentProcess, agentEventsBinary, eventually } from "./support/agent-process.ts";
import { startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startSmtpSink, type ReceivedMail } from "./support/smtp-sink.ts";
import { startWebhookSink } from "./support/webhook-sink.ts";

// This file runs its own broker: the roles use the spec's fixed topic and group names.
let cluster: KafkaCluster;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let slack: ReturnType<typeof startWebhookSink>;
let dir: string;
let env: Record<string, string>;
const roles: Record<string, AgentProcess> = {};
let beforeAccept: ((mail: ReceivedMail) => void) | undefined;

interface AuditLine {
  logged_at: string;
  event: { event_id: string; event_type: string; data: Record<string, unknown>; metadata: Record<string, string> };
}

function auditLines(): AuditLine[] {
  const auditDir = join(dir, "audit-vm", "audit");
  return readdirSync(auditDir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .flatMap((name) => readFileSync(join(auditDir, name), "utf8").split("\n").filter(Boolean))
    .map((line) => JSON.parse(line));
}

function startRole(role: string): AgentProcess {
  // One DATA_DIR per role, as on separate VMs.
  roles[role] = new AgentProcess([`--role=${role}`], { ...env, DATA_DIR: join(dir, `${role}-vm`) });
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

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({ nodes: 1 });
  smtp = await startSmtpSink((mail) => beforeAccept?.(mail));
  slack = startWebhookSink();
  dir = mkdtempSync(join(tmpdir(), "agent-events-e2e-"));
  env = {
    KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
    // A killed member's partitions move on after 6 s instead of the default 45 s.
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    KAFKA_HEARTBEAT_INTERVAL_MS: "1000",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(smtp.port),
    EMAIL_DOMAIN: "example.test",
    SLACK_WEBHOOK_URL: slack.url,
    HANDLER_RETRY_BACKOFF_MS: "20",
  };
  await Promise.all(["api", "email", "slack", "audit"].map((role) => startRole(role).ready()));
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(roles).map((role) => role.kill("SIGKILL")));
  await smtp?.close();
  slack?.close();
  await cluster?.stop();
});

describe("the compiled binary, one process per role", () => {
  test("200 tasks become 200 emails, 200 Slack posts and 600 linked audit lines", async () => {
    const tasks = await postTasks(200, "fanout");
    await Promise.all([smtp.received(200), slack.received(200)]);
    const byTask = new Map(tasks.map((t) => [t.id, t]));
    const lines = await eventually(() => {
      const all = auditLines().filter((l) => byTask.has(String(l.event.data.task_id)));
      return all.length >= 600 ? all : undefined;
    });
    expect(lines).toHaveLength(600);

    const created = lines.filter((l) => l.event.event_type === "task.created");
    const sent = lines.filter((l) => l.event.event_type === "notification.sent");
    expect(created).toHaveLength(200);
    expect(sent).toHaveLength(400);
    for (const { event } of created) {
      const task = byTask.get(String(event.data.task_id))!;
      expect(event.metadata.correlation_id).toBe(task.correlation_id);
      const children = sent.filter((l) => l.event.metadata.causation_id === event.event_id);
      expect(children.map((c) => c.event.data.channel).sort()).toEqual(["email", "slack"]);
      for (const child of children) expect(child.event.metadata.correlation_id).toBe(task.correlation_id);
    }
    const metrics = await (await fetch(`${roles.audit!.url}/metrics`)).text();
    expect(metrics).toMatch(/agent_events_consumer_lag\{group="audit-log",topic="task-events",partition="\d+"\} \d+/);
    expect(metrics).toMatch(/agent_events_handled_total\{group="audit-log",event_type="task.created",outcome="ok"\} \d+/);
    const recipients = smtp.accepted.slice(0, 200).map((m) => m.to[0]);
    expect(new Set(recipients)).toEqual(new Set(Array.from({ length: 7 }, (_, i) => `user-${i}@example.test`)));
  }, 180_000);

  test("a poison message goes to the dead-letter topic with its headers and every agent goes on", async () => {
    const producer = new Producer({ "bootstrap.servers": cluster.bootstrap });
    await producer.send({ topic: "task-events", key: "poison", value: "{not json", headers: { origin: "test" } });
    await producer.close();
    const mailsBefore = smtp.accepted.length;
    await postTasks(1, "after-poison");
    await smtp.received(mailsBefore + 1);

    const dead = await eventually(async () => {
      const messages = await readWholeTopic(cluster.bootstrap, "task-events.dlq", 3);
      return messages.length >= 3 ? messages : undefined;
    }, 500);
    expect(dead.map((m) => headerText(m, "x-dlq-group")).sort()).toEqual(["audit-log", "notification-email", "notification-slack"]);
    for (const message of dead) {
      expect(new TextDecoder().decode(message.value!)).toBe("{not json");
      expect(headerText(message, "x-dlq-reason")).toBe("unparseable");
      expect(headerText(message, "x-dlq-original-topic")).toBe("task-events");
      expect(headerText(message, "x-dlq-original-partition")).toMatch(/^\d+$/);
      expect(headerText(message, "x-dlq-original-offset")).toMatch(/^\d+$/);
      expect(headerText(message, "x-dlq-error")).toContain("JSON");
      expect(headerText(message, "origin")).toBe("test");
    }
  }, 120_000);

  test("the email agent killed with SIGKILL mid-run and restarted loses no email and sends none twice", async () => {
    const already = smtp.accepted.length;
    let killed = false;
    beforeAccept = (mail) => {
      // Kill the agent while the 40th mail of this run is on the wire, before the server accepts it.
      if (!killed && smtp.accepted.length - already === 39 && mail.raw.includes("Task crash")) {
        killed = true;
        roles.email!.process.kill("SIGKILL");
        throw new Error("server going away");
      }
    };
    const tasks = await postTasks(100, "crash");
    await roles.email!.process.exited;
    expect(killed).toBe(true);
    startRole("email");
    await smtp.received(already + 100);
    beforeAccept = undefined;

    const crashMails = smtp.accepted.slice(already).filter((m) => m.raw.includes("Task crash"));
    const perTask = new Map<string, number>();
    for (const mail of crashMails) {
      const task = tasks.find((t) => mail.raw.includes(t.id));
      expect(task).toBeDefined();
      perTask.set(task!.id, (perTask.get(task!.id) ?? 0) + 1);
    }
    expect(perTask.size).toBe(100);
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
  }, 180_000);

  test("audit verify says ok for the log and names the one altered line", async () => {
    const auditDir = join(dir, "audit-vm", "audit");
    const verify = (target: string) =>
      Bun.spawnSync([agentEventsBinary(), "audit", "verify", target], { stdout: "pipe", stderr: "pipe" });
    const ok = verify(auditDir);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.toString()).toContain("ok");

    const copy = mkdtempSync(join(tmpdir(), "audit-tampered-"));
    cpSync(auditDir, copy, { recursive: true });
    const file = readdirSync(copy).filter((n) => n.endsWith(".jsonl")).sort()[0]!;
    const lines = readFileSync(join(copy, file), "utf8").split("\n");
    lines[9] = lines[9]!.replace(/"priority":(\d)/, (_, p) => `"priority":${(Number(p) % 5) + 1}`);
    writeFileSync(join(copy, file), lines.join("\n"));
    const broken = verify(copy);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout.toString()).toContain(`${file} line 10`);
  });

  test("readyz turns 503 naming the broker while it is down, and 200 once it is back", async () => {
    const readiness = async () => {
      const response = await fetch(`${roles.api!.url}/readyz`);
      return { status: response.status, checks: ((await response.json()) as { checks: Record<string, boolean> }).checks };
    };
    expect((await readiness()).status).toBe(200);
    await cluster.nodes[0]!.kill("SIGKILL");
    const down = await eventually(async () => {
      const state = await readiness();
      return state.status === 503 ? state : undefined;
    }, 250);
    expect(down.checks.broker).toBe(false);
    await cluster.nodes[0]!.start();
    await eventually(async () => ((await readiness()).status === 200 ? true : undefined), 250);
  }, 60_000);

  test("SIGTERM stops every role cleanly with exit status 0", async () => {
    const codes = await Promise.all(Object.values(roles).map((role) => role.kill("SIGTERM")));
    expect(codes).toEqual([0, 0, 0, 0]);
    for (const role of Object.values(roles)) {
      expect(role.logs.some((l) => l.msg === "stopped")).toBe(true);
    }
  }, 30_000);
});
