import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, agentEventsBinary } from "./support/agent-process.ts";
import { drained } from "./support/drained.ts";
import { killDuringEffect } from "./support/kill-during-effect.ts";
import { QUICK_GROUP_SESSIONS, startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startSmtpSink, type ReceivedMail } from "./support/smtp-sink.ts";
import { startWebhookSink, type ReceivedPost } from "./support/webhook-sink.ts";

// Two email and two Slack agents per group, each on its own data directory as on its own VM. One of each is
// SIGKILLed while an effect of it is on the wire and never comes back: its partitions move to the other,
// which has never heard of the events the dead one handled. Every task must still be emailed and posted
// exactly once.
const TASKS = 300;
const KILL_AT = 40;
let cluster: KafkaCluster;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let webhook: ReturnType<typeof startWebhookSink>;
let dir: string;
const roles: Record<string, AgentProcess> = {};
let onMail: ((mail: ReceivedMail) => void) | undefined;
let onPost: ((post: ReceivedPost) => void) | undefined;

function start(name: string, role: string, env: Record<string, string> = {}): AgentProcess {
  roles[name] = new AgentProcess([`--role=${role}`], {
    KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
    DATA_DIR: join(dir, name),
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(smtp.port),
    HANDLER_RETRY_BACKOFF_MS: "20",
    ...env,
  });
  return roles[name]!;
}

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({
    nodes: 1,
    brokerConfig: QUICK_GROUP_SESSIONS,
  });
  smtp = await startSmtpSink((mail) => onMail?.(mail));
  webhook = startWebhookSink((post) => onPost?.(post));
  dir = mkdtempSync(join(tmpdir(), "agent-events-scaled-"));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(roles).map((role) => role.kill("SIGKILL")));
  await smtp?.close();
  webhook?.close();
  await cluster?.stop();
});

describe("two instances of each notification agent, one of each killed mid-stream", () => {
  test("every task is emailed once and posted once, though the partitions moved to instances that never saw them", async () => {
    const api = start("api", "api");
    // Each instance sends from its own address and posts to its own webhook path, so the sinks can tell them apart.
    start("email-a", "email", { EMAIL_FROM: "a@agents.test" });
    start("email-b", "email", { EMAIL_FROM: "b@agents.test" });
    start("slack-a", "slack", { SLACK_WEBHOOK_URL: webhook.urlFor("a") });
    start("slack-b", "slack", { SLACK_WEBHOOK_URL: webhook.urlFor("b") });
    await Promise.all(Object.values(roles).map((role) => role.ready()));

    const emailKill = killDuringEffect(() => roles["email-a"]!, KILL_AT);
    const slackKill = killDuringEffect(() => roles["slack-a"]!, KILL_AT);
    onMail = (mail) => mail.from === "a@agents.test" && emailKill.effect();
    onPost = (post) => post.path.includes("/a/") && slackKill.effect();

    const ids: string[] = [];
    for (let first = 0; first < TASKS; first += 25) {
      const created = await Promise.all(
        Array.from({ length: 25 }, async (_, i) => {
          const response = await fetch(`${api.url}/tasks`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ title: `scaled out ${first + i}`, owner_id: `user-${i % 5}` }),
          });
          expect(response.status).toBe(201);
          return ((await response.json()) as { id: string }).id;
        }),
      );
      ids.push(...created);
    }
    await Promise.all([emailKill.died, slackKill.died]);
    // The survivors own all three partitions of task-events once the broker has let the dead members go.
    await Promise.all([drained(roles["email-b"]!.url, "notification-email", 3), drained(roles["slack-b"]!.url, "notification-slack", 3)]);

    const mailsPerTask = ids.map((id) => smtp.accepted.filter((mail) => mail.raw.replace(/=\r?\n/g, "").includes(id)).length);
    const postsPerTask = ids.map((id) => webhook.posts.filter((post) => JSON.stringify(post.body).includes(id)).length);
    expect(mailsPerTask).toEqual(ids.map(() => 1));
    expect(postsPerTask).toEqual(ids.map(() => 1));
    // Both dead instances had done work the survivors took over without repeating.
    expect(smtp.accepted.filter((mail) => mail.from === "a@agents.test").length).toBe(KILL_AT - 1);
    expect(webhook.posts.filter((post) => post.path.includes("/a/")).length).toBe(KILL_AT - 1);
  }, 180_000);
});
