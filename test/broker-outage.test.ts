import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, agentEventsBinary, eventually } from "./support/agent-process.ts";
import { drained } from "./support/drained.ts";
import { startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startSmtpSink, type ReceivedMail } from "./support/smtp-sink.ts";
import { startWebhookSink } from "./support/webhook-sink.ts";

// Every role of the compiled binary, each its own process, through a broker that is away at start-up, then
// killed for 20 s while they run. The file has its own broker: the roles use the fixed topic and group names.
let cluster: KafkaCluster;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let slack: ReturnType<typeof startWebhookSink>;
let dir: string;
let env: Record<string, string>;
const roles: Record<string, AgentProcess> = {};
let holdMail: ((mail: ReceivedMail) => Promise<void>) | undefined;

const ROLES = ["api", "email", "slack", "audit"] as const;
const GROUPS = { email: "notification-email", slack: "notification-slack", audit: "audit-log" } as const;

function startRole(role: string, extraEnv: Record<string, string> = {}): AgentProcess {
  roles[role] = new AgentProcess([`--role=${role}`], { ...env, DATA_DIR: join(dir, `${role}-vm`), ...extraEnv });
  return roles[role]!;
}

async function readiness(role: string): Promise<{ status: number; missing: string[] }> {
  const response = await fetch(`${roles[role]!.url}/readyz`);
  return { status: response.status, missing: ((await response.json()) as { missing: string[] }).missing };
}

function postTask(title: string): Promise<Response> {
  return fetch(`${roles.api!.url}/tasks`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title, owner_id: "user-1", priority: 1 }),
  });
}

async function createTasks(prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await postTask(`${prefix} ${i}`);
    expect(response.status).toBe(201);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

function auditedTaskIds(): string[] {
  const auditDir = join(dir, "audit-vm", "audit");
  return readdirSync(auditDir)
    .filter((name) => name.endsWith(".jsonl"))
    .flatMap((name) => readFileSync(join(auditDir, name), "utf8").split("\n").filter(Boolean))
    .map((line) => JSON.parse(line) as { event: { event_type: string; data: { task_id?: string; channel?: string } } })
    .map(({ event }) => `${event.event_type}/${event.data.channel ?? "-"}/${event.data.task_id}`);
}

/** How many times each id occurs in `seen`, for ids in `ids`. */
function countsOf(ids: readonly string[], seen: readonly string[]): number[] {
  return ids.map((id) => seen.filter((s) => s.includes(id)).length);
}

async function allDrained(): Promise<void> {
  await Promise.all(Object.entries(GROUPS).map(([role, group]) => drained(roles[role]!.url, group)));
}

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({ nodes: 1 });
  // The broker is away when the roles start: its port refuses connections until the node starts again.
  await cluster.nodes[0]!.kill("SIGKILL");
  smtp = await startSmtpSink((mail) => holdMail?.(mail));
  slack = startWebhookSink();
  dir = mkdtempSync(join(tmpdir(), "agent-events-outage-"));
  env = {
    KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    KAFKA_HEARTBEAT_INTERVAL_MS: "1000",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(smtp.port),
    SLACK_WEBHOOK_URL: slack.url,
    HANDLER_RETRY_BACKOFF_MS: "20",
  };
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(roles).map((role) => role.kill("SIGKILL")));
  await smtp?.close();
  slack?.close();
  await cluster?.stop();
});

describe("every role while the broker is away", () => {
  test("started with no broker, each serves /healthz, says in /readyz what is missing, and becomes ready by itself", async () => {
    for (const role of ROLES) startRole(role);
    await Promise.all(ROLES.map((role) => roles[role]!.waitForLog((line) => line.msg === "agent-events running")));
    for (const role of ROLES) {
      const process = roles[role]!;
      process.url = String((await process.waitForLog((line) => line.msg === "agent-events running")).url);
      expect((await fetch(`${process.url}/healthz`)).status).toBe(200);
      // The first statistics may not have come yet: the broker is then still "connecting".
      const { status, missing } = await eventually(async () => {
        const state = await readiness(role);
        return state.missing.some((m) => m.startsWith("broker unreachable")) ? state : undefined;
      });
      expect(status).toBe(503);
      expect(missing).toContain("topics not created yet: waiting for the broker");
      if (role !== "api") expect(missing).toContain(`group ${GROUPS[role]} not joined`);
    }
    const early = await postTask("before the broker");
    expect(early.status).toBe(503);
    expect(early.headers.get("Retry-After")).toBe("5");
    expect(((await early.json()) as { problems: Array<{ message: string }> }).problems.map((p) => p.message)).toContain(
      "topics not created yet: waiting for the broker",
    );

    await cluster.nodes[0]!.start();
    await Promise.all(ROLES.map((role) => eventually(async () => ((await readiness(role)).status === 200 ? true : undefined), 250)));
    for (const role of ROLES) {
      expect(roles[role]!.process.exitCode).toBeNull();
      expect(roles[role]!.logs.filter((l) => /^broker reachable again after \d+ s$/.test(l.msg)).length).toBeGreaterThan(0);
    }
    const [id] = await createTasks("after the broker came", 1);
    await allDrained();
    expect(countsOf([id!], smtp.accepted.map((m) => m.raw))).toEqual([1]);
  }, 180_000);

  test("a broker killed for 20 s: no role exits, readiness goes 503 and back to 200, no task is lost or doubled", async () => {
    const before = await createTasks("before the outage", 30);
    const logsBefore = Object.fromEntries(ROLES.map((role) => [role, roles[role]!.logs.length]));
    await cluster.nodes[0]!.kill("SIGKILL");
    await Promise.all(ROLES.map((role) => eventually(async () => ((await readiness(role)).status === 503 ? true : undefined), 250)));
    const refused = await postTask("during the outage");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("5");
    // The outage itself: 20 s without a broker, as the roles would see a real one.
    await Bun.sleep(20_000);
    for (const role of ROLES) {
      expect(roles[role]!.process.exitCode).toBeNull();
      // One line when it began (per client), none of librdkafka's own per-attempt lines.
      const outageLines = roles[role]!.logs.slice(logsBefore[role]).filter((l) => l.outage === "broker");
      expect(outageLines.length).toBeGreaterThan(0);
      expect(outageLines.length).toBeLessThanOrEqual(6);
      expect(roles[role]!.logs.slice(logsBefore[role]).filter((l) => /brokers are down|Connect to/.test(l.msg) && l.outage === undefined)).toEqual([]);
    }
    await cluster.nodes[0]!.start();
    await Promise.all(ROLES.map((role) => eventually(async () => ((await readiness(role)).status === 200 ? true : undefined), 250)));
    const after = await createTasks("after the outage", 30);
    await allDrained();

    const tasks = [...before, ...after];
    expect(countsOf(tasks, smtp.accepted.map((m) => m.raw))).toEqual(tasks.map(() => 1));
    expect(countsOf(tasks, slack.posts.map((p) => JSON.stringify(p)))).toEqual(tasks.map(() => 1));
    const audited = auditedTaskIds();
    for (const kind of ["task.created/-/", "notification.sent/email/", "notification.sent/slack/"]) {
      expect(countsOf(tasks.map((id) => `${kind}${id}`), audited)).toEqual(tasks.map(() => 1));
    }
  }, 180_000);

  test("SIGTERM while the broker is away: the email role exits within its budget, non-zero, naming the uncommitted offsets", async () => {
    let mailArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (mailArrived = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    holdMail = async (mail) => {
      if (!mail.raw.includes("held by the server")) return;
      mailArrived();
      await released;
    };
    await createTasks("held by the server", 1);
    await arrived;
    // The mail is on the wire; the broker goes before the agent can publish notification.sent and commit.
    await cluster.nodes[0]!.kill("SIGKILL");
    await eventually(async () => ((await readiness("email")).status === 503 ? true : undefined), 250);
    release();
    holdMail = undefined;
    const email = roles.email!;
    const code = await email.kill("SIGTERM");
    expect(code).toBe(1);
    const stopped = email.logs.find((l) => l.msg.startsWith("stopped without committing everything"));
    expect(stopped).toBeDefined();
    const uncommitted = stopped!.uncommitted as Array<{ group: string; topic: string; partition: number; requested: number }>;
    expect(uncommitted.length).toBeGreaterThan(0);
    for (const entry of uncommitted) {
      expect(entry).toMatchObject({ group: "notification-email", topic: "task-events" });
      expect(entry.partition).toBeGreaterThanOrEqual(0);
      expect(entry.requested).toBeGreaterThan(0);
    }
    // The orderly stop ended it, not the 10 s hard deadline.
    expect(email.logs.some((l) => l.msg === "shutdown took longer than 10 s; exiting anyway")).toBe(false);
    expect(email.logs.at(-1)).toMatchObject({ msg: "stopped", clean: false });
  }, 60_000);
});
