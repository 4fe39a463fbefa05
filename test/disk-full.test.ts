import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent } from "../src/events/index.ts";
import { Producer } from "../src/kafka/producer.ts";
import { KafkaPublisher } from "../src/transport/kafka-publisher.ts";
import { AgentProcess, agentEventsBinary, eventually } from "./support/agent-process.ts";
import { drained } from "./support/drained.ts";
import { startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startSmtpSink } from "./support/smtp-sink.ts";
import { tmpfsDisk, type TmpfsDisk } from "./support/tmpfs.ts";

// A full disk is an outage like a missing broker: the role says so in /readyz, keeps its batch uncommitted,
// and carries on by itself when space returns, with nothing lost and nothing done twice.
let cluster: KafkaCluster;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let producer: Producer;
let dir: string;
const disks: TmpfsDisk[] = [];
const roles: AgentProcess[] = [];

async function publishTasks(prefix: string, count: number): Promise<string[]> {
  const publisher = new KafkaPublisher(producer);
  const events = Array.from({ length: count }, (_, i) =>
    createEvent(
      "task.created",
      // About 700 bytes per event: 300 of them fill a 128 KiB disk.
      { task_id: `${prefix}-${i}-${crypto.randomUUID()}`, title: `${prefix} ${i} ${"x".repeat(450)}`, owner_id: "user-1", priority: 1 },
      { correlation_id: `req-${prefix}-${i}`, causation_id: "test", source: "disk-full-test" },
    ),
  );
  await Promise.all(events.map((event) => publisher.publish(event)));
  return events.map((event) => event.data.task_id);
}

async function readiness(role: AgentProcess): Promise<{ status: number; missing: string[] }> {
  const response = await fetch(`${role.url}/readyz`);
  return { status: response.status, missing: ((await response.json()) as { missing: string[] }).missing };
}

function start(role: string, env: Record<string, string>): AgentProcess {
  const process = new AgentProcess([`--role=${role}`], {
    KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
    HANDLER_RETRY_BACKOFF_MS: "20",
    DATA_DIR: join(dir, `${role}-${roles.length}`),
    ...env,
  });
  roles.push(process);
  return process;
}

function disk(size: string): TmpfsDisk {
  const made = tmpfsDisk(size);
  disks.push(made);
  return made;
}

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({ nodes: 1 });
  smtp = await startSmtpSink();
  producer = new Producer({ "bootstrap.servers": cluster.bootstrap });
  dir = mkdtempSync(join(tmpdir(), "agent-events-disk-"));
}, 120_000);

afterAll(async () => {
  await Promise.all(roles.map((role) => role.kill("SIGKILL")));
  for (const made of disks) made.remove();
  await producer?.close();
  await smtp?.close();
  await cluster?.stop();
});

describe("a full disk", () => {
  test("the audit log on a 128 KiB disk: not ready naming the file, no torn line, every event once after space returns", async () => {
    const auditDisk = disk("128k");
    const audit = start("audit", { AUDIT_LOG_DIR: auditDisk.dir });
    await audit.ready();
    const ids = await publishTasks("audit-disk", 300);

    const { missing } = await eventually(async () => {
      const state = await readiness(audit);
      return state.status === 503 && state.missing.some((m) => m.includes("ENOSPC")) ? state : undefined;
    }, 250);
    expect(missing.find((m) => m.includes("ENOSPC"))).toContain(`${auditDisk.dir}/audit-`);
    const files = () => readdirSync(auditDisk.dir).filter((name) => name.endsWith(".jsonl"));
    const lines = () => files().flatMap((name) => readFileSync(join(auditDisk.dir, name), "utf8").split("\n").slice(0, -1));
    // The failed batch was cut back off the file: every line there is whole JSON.
    for (const line of lines()) expect(() => JSON.parse(line)).not.toThrow();
    expect(audit.logs.filter((l) => l.outage === "disk")).toHaveLength(1);

    auditDisk.resize("8m");
    await eventually(async () => ((await readiness(audit)).status === 200 ? true : undefined), 250);
    await drained(audit.url, "audit-log");
    expect(audit.logs.some((l) => /^disk writable again after \d+ s$/.test(l.msg))).toBe(true);
    const logged = lines().map((line) => (JSON.parse(line) as { event: { data: { task_id: string } } }).event.data.task_id);
    expect(ids.map((id) => logged.filter((t) => t === id).length)).toEqual(ids.map(() => 1));

    const verify = Bun.spawnSync([agentEventsBinary(), "audit", "verify", auditDisk.dir], { stdout: "pipe" });
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout.toString()).toMatch(/^ok \(1 file, \d+ lines\)\n$/);
  }, 120_000);

  test("DATA_DIR full under the email agent: not ready naming the store, every task emailed exactly once after space returns", async () => {
    const dataDisk = disk("256k");
    const email = start("email", { DATA_DIR: dataDisk.dir, SMTP_HOST: "127.0.0.1", SMTP_PORT: String(smtp.port) });
    // Should a step never come, the test's timeout says nothing of why: this says where it stood.
    let lastState: unknown;
    const diagnosis = setTimeout(() => {
      console.error(`stuck: readiness ${JSON.stringify(lastState)}, ${smtp.accepted.length} mails, exit ${email.process.exitCode}`);
      console.error(email.output.slice(-15).join("\n"));
    }, 100_000);
    // Not ready() (200): the group starts from the earliest task-events, and the earlier tests' events may
    // fill this disk before it ever answers 200.
    await email.listening();
    const ids = await publishTasks("email-disk", 300);

    const { missing } = await eventually(async () => {
      const state = await readiness(email);
      lastState = state;
      return state.status === 503 && state.missing.some((m) => m.includes("SQLITE_FULL")) ? state : undefined;
    }, 250);
    expect(missing.find((m) => m.includes("SQLITE_FULL"))).toContain(join(dataDisk.dir, "email-processed.sqlite"));

    dataDisk.resize("16m");
    await eventually(async () => {
      lastState = await readiness(email);
      return (lastState as { status: number }).status === 200 ? true : undefined;
    }, 250);
    await drained(email.url, "notification-email");
    // The body is quoted-printable, which may wrap an id; the correlation id header holds one whole.
    const correlations = smtp.accepted.map((mail) => /^X-Correlation-ID: (\S+)\r?$/m.exec(mail.raw)?.[1]);
    expect(ids.map((_, i) => correlations.filter((c) => c === `req-email-disk-${i}`).length)).toEqual(ids.map(() => 1));
    clearTimeout(diagnosis);
  }, 120_000);
});
