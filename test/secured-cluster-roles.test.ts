import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, agentEventsBinary, eventually } from "./support/agent-process.ts";
import { drained } from "./support/drained.ts";
import { startKafkaCluster, type SaslSslKafkaCluster } from "./support/kafka-cluster.ts";
import { startSmtpSink } from "./support/smtp-sink.ts";
import { startWebhookSink } from "./support/webhook-sink.ts";

// A cluster as a managed service runs it: TLS with a private CA, SCRAM-SHA-512 users. The roles get the
// five settings the README documents and nothing else about Kafka.
const USER = { username: "agent-events", password: "s3cret-scram-password" };
let cluster: SaslSslKafkaCluster;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let slack: ReturnType<typeof startWebhookSink>;
let dir: string;
const roles: AgentProcess[] = [];

function kafkaEnv(password: string): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
    KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
    KAFKA_SASL_MECHANISMS: "SCRAM-SHA-512",
    KAFKA_SASL_USERNAME: USER.username,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_SSL_CA_LOCATION: cluster.caLocation,
  };
}

function start(role: string, password = USER.password): AgentProcess {
  const process = new AgentProcess([`--role=${role}`], {
    ...kafkaEnv(password),
    DATA_DIR: join(dir, `${role}-${roles.length}`),
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(smtp.port),
    SLACK_WEBHOOK_URL: slack.url,
  });
  roles.push(process);
  return process;
}

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({ nodes: 1, saslSsl: { users: [USER] } });
  smtp = await startSmtpSink();
  slack = startWebhookSink();
  dir = mkdtempSync(join(tmpdir(), "agent-events-sasl-ssl-"));
}, 120_000);

afterAll(async () => {
  await Promise.all(roles.map((role) => role.kill("SIGKILL")));
  await smtp?.close();
  slack?.close();
  await cluster?.stop();
});

describe("a SASL_SSL cluster with SCRAM-SHA-512 users", () => {
  test("every role works end to end with only the five security settings", async () => {
    const [api, email, slackRole, audit] = ["api", "email", "slack", "audit"].map((role) => start(role));
    await Promise.all([api, email, slackRole, audit].map((role) => role!.ready()));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${api!.url}/tasks`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ title: `secured ${i}`, owner_id: "user-7" }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    await Promise.all([
      drained(email!.url, "notification-email"),
      drained(slackRole!.url, "notification-slack"),
      drained(audit!.url, "audit-log"),
    ]);
    const count = (texts: string[]) => ids.map((id) => texts.filter((t) => t.includes(id)).length);
    expect(count(smtp.accepted.map((m) => m.raw))).toEqual(ids.map(() => 1));
    expect(count(slack.posts.map((p) => JSON.stringify(p)))).toEqual(ids.map(() => 1));
    const auditDir = join(dir, `audit-3`, "audit");
    const lines = readdirSync(auditDir).flatMap((name) => readFileSync(join(auditDir, name), "utf8").split("\n").filter(Boolean));
    // task.created and two notification.sent per task.
    expect(count(lines)).toEqual(ids.map(() => 3));
  }, 120_000);

  test("a wrong password: /readyz names the failed authentication, the log says it once, and nothing else stops", async () => {
    const api = start("api", "not-the-password");
    const running = await api.waitForLog((line) => line.msg === "agent-events running");
    api.url = String(running.url);
    const missing = await eventually(async () => {
      const response = await fetch(`${api.url}/readyz`);
      const body = (await response.json()) as { missing: string[] };
      return response.status === 503 && body.missing.some((m) => m.startsWith("authentication failed")) ? body.missing : undefined;
    }, 250);
    expect(missing.find((m) => m.startsWith("authentication failed"))).toContain("Authentication failed");
    expect(missing).toContain("topics not created yet: waiting for the broker");

    const refused = await fetch(`${api.url}/tasks`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: "never sent", owner_id: "user-7" }),
    });
    expect(refused.status).toBe(503);
    expect(api.process.exitCode).toBeNull();
    // librdkafka retries the login every 2 s at most: after 6 s of failing it has tried several times, and
    // the outage log, which speaks once per 30 s, has still said it once.
    await eventually(async () => {
      const body = (await (await fetch(`${api.url}/readyz`)).json()) as { missing: string[] };
      return body.missing.some((m) => /^authentication failed for ([6-9]|\d\d+) s/.test(m)) ? true : undefined;
    }, 500);
    // One line per Kafka client of the process (its producer, the agent registry's consumer, ...).
    const outageLines = api.logs.filter((line) => line.outage === "broker");
    const clients = outageLines.map((line) => line.client);
    expect(outageLines.length).toBeGreaterThan(0);
    expect(new Set(clients).size).toBe(clients.length);
    for (const line of outageLines) expect(line.msg).toStartWith("authentication failed: ");
    expect(api.logs.filter((line) => /Authentication failed/.test(line.msg) && line.outage === undefined)).toEqual([]);
  }, 60_000);
});
