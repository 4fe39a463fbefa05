import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Producer } from "../src/kafka/producer.ts";
import { AgentProcess, agentEventsBinary } from "./support/agent-process.ts";
import { QUICK_GROUP_SESSIONS, startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";

// `agent-events trace` on what the compiled binary's roles logged on a real broker. This file runs its own
// broker: the roles use the fixed topic and group names, which other test files' events would share.
let cluster: KafkaCluster;
let dir: string;
let roles: AgentProcess;

interface JsonNode {
  event_id: string;
  event_type: string;
  failure: boolean;
  dead_letter?: { group: string; reason: string };
  children: JsonNode[];
}

function trace(args: string[]) {
  const result = Bun.spawnSync([agentEventsBinary(), "trace", ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

const walk = (nodes: JsonNode[]): JsonNode[] => nodes.flatMap((node) => [node, ...walk(node.children)]);

/** Runs `trace --json` until `done` holds for its tree, or fails at the deadline with the last tree. */
async function traceUntil(id: string, done: (nodes: JsonNode[]) => boolean, deadlineMs = 60_000): Promise<JsonNode[]> {
  const deadline = Date.now() + deadlineMs;
  let last = "";
  for (;;) {
    const { code, out, err } = trace([id, "--json", "--audit-dir", join(dir, "audit")]);
    last = code === 0 ? out : err;
    if (code === 0 && done(walk(JSON.parse(out).tree))) return JSON.parse(out).tree;
    if (Date.now() > deadline) throw new Error(`trace ${id} never showed what was awaited; last:\n${last}`);
    await Bun.sleep(200);
  }
}

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({ nodes: 1, brokerConfig: QUICK_GROUP_SESSIONS });
  dir = mkdtempSync(join(tmpdir(), "agent-events-trace-"));
  // One process with every role (api, email, slack, audit, worker types, orchestrator), on the real broker.
  roles = new AgentProcess(["--role=all"], { KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap, DATA_DIR: dir, HANDLER_MAX_RETRIES: "0" });
  await roles.ready();
}, 180_000);

afterAll(async () => {
  await roles?.kill("SIGKILL");
  await cluster?.stop();
});

describe("agent-events trace", () => {
  test(
    "prints a posted workflow's causation tree by task id and by correlation id, with a dead-lettered message in it",
    async () => {
      const response = await fetch(`${roles.url}/tasks`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Correlation-ID": `req-trace-${Date.now()}` },
        body: JSON.stringify({
          title: "Brief the board",
          owner_id: "user-456",
          workflow: "summarize-then-tag",
          input: { text: "Revenue grew 12% in the third quarter. Costs fell as the new supplier contracts took effect." },
        }),
      });
      expect(response.status).toBe(201);
      const { id, correlation_id: correlationId } = (await response.json()) as { id: string; correlation_id: string };

      const done = await traceUntil(id, (nodes) => nodes.some((n) => n.event_type === "workflow.completed"));
      const created = walk(done).find((n) => n.event_type === "task.created")!;

      // A task.created that fails its schema, naming the real one as its cause: every consumer of task-events
      // dead-letters it, and the audit agent logs each dead letter.
      const producer = new Producer({ "bootstrap.servers": cluster.bootstrap });
      const bad = { ...JSON.parse(JSON.stringify(created)), event_id: crypto.randomUUID() };
      await producer.send({
        topic: "task-events",
        key: id,
        value: JSON.stringify({
          event_id: bad.event_id,
          event_type: "task.created",
          occurred_at: new Date().toISOString(),
          data: { task_id: id, title: "", owner_id: "user-456", priority: 9 },
          metadata: { correlation_id: correlationId, causation_id: created.event_id, source: "a-broken-producer" },
        }),
      });
      await producer.close();
      const groups = ["notification-email", "notification-slack", "audit-log"];
      // Every consumer of task-events gives up on it: the orchestrator and its status view too (whose group is
      // named per process). Waited for all, so that both traces below read the same story.
      const allGroups = [...groups, "orchestrator", "orchestrator-view-"];
      const tree = await traceUntil(correlationId, (nodes) => allGroups.every((g) => nodes.some((n) => n.dead_letter?.group.startsWith(g))));

      const deadLetters = walk(tree).filter((n) => n.dead_letter);
      expect(deadLetters.every((n) => n.failure && n.dead_letter!.reason === "invalid" && n.event_type === "task.created")).toBe(true);
      // Under the event the bad message named as its cause.
      expect(walk(tree.filter((n) => n.event_id === created.event_id)).filter((n) => n.dead_letter).length).toBe(deadLetters.length);

      const byTask = trace([id, "--audit-dir", join(dir, "audit")]);
      const byCorrelation = trace([correlationId, "--audit-dir", join(dir, "audit")]);
      expect(byTask.code).toBe(0);
      expect(byTask.out).toBe(byCorrelation.out.replace(correlationId, id));
      const text = byCorrelation.out;
      console.log(`$ agent-events trace ${correlationId}\n${text}`);
      expect(text).toMatch(/^task\.created {2}task-api {2}\d{4}-\d\d-\d\dT[\d:.]+Z$/m);
      expect(text).toMatch(/^[├└]─ .*workflow\.started .* \+\d+ms$/m);
      expect(text).toContain("workflow.completed");
      for (const group of groups) expect(text).toMatch(new RegExp(`✗ task\\.created {2}a-broken-producer .* \\+\\d+ms {2}\\[dead-lettered by ${group}: invalid\\]`));
    },
    120_000,
  );

  test("says so and exits 1 for an id the log does not hold, and 2 for a directory that is not there", () => {
    const unknown = trace(["no-such-task", "--audit-dir", join(dir, "audit")]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("no events for no-such-task");
    const missing = trace(["anything", "--audit-dir", join(dir, "nowhere")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`${join(dir, "nowhere")} is not a directory`);
  });

  test("audit verify passes on a log holding dead letters", () => {
    const result = Bun.spawnSync([agentEventsBinary(), "audit", "verify", join(dir, "audit")], { stdout: "pipe" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toStartWith("ok (");
  });
});
