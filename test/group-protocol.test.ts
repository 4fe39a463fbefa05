import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, agentEventsBinary, eventually } from "./support/agent-process.ts";
import { startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";

// The agents join their groups with Kafka 4's consumer group protocol (KIP-848) unless told otherwise. A
// broker that does not take it, as none before Kafka 4.0 does, must get a clear answer, not silence.
let cluster: KafkaCluster;
let dir: string;
const roles: AgentProcess[] = [];

function startEmail(env: Record<string, string> = {}): AgentProcess {
  const role = new AgentProcess(["--role=email"], { KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap, DATA_DIR: join(dir, `email-${roles.length}`), ...env });
  roles.push(role);
  return role;
}

beforeAll(async () => {
  agentEventsBinary();
  cluster = await startKafkaCluster({ nodes: 1, brokerConfig: { "group.coordinator.rebalance.protocols": "classic" } });
  dir = mkdtempSync(join(tmpdir(), "agent-events-group-protocol-"));
}, 120_000);

afterAll(async () => {
  await Promise.all(roles.map((role) => role.kill("SIGKILL")));
  await cluster?.stop();
});

describe("a broker that only takes the classic group protocol", () => {
  test("/readyz says the group cannot be joined and to set KAFKA_GROUP_PROTOCOL=classic; the role keeps running", async () => {
    const email = startEmail();
    email.url = String((await email.waitForLog((line) => line.msg === "agent-events running")).url);
    const missing = await eventually(async () => {
      const body = (await (await fetch(`${email.url}/readyz`)).json()) as { missing: string[] };
      return body.missing.find((m) => m.startsWith("group notification-email cannot be joined"));
    }, 250);
    expect(missing).toContain("UNSUPPORTED_VERSION");
    expect(missing).toEndWith("set KAFKA_GROUP_PROTOCOL=classic");
    expect(email.process.exitCode).toBeNull();
  }, 60_000);

  test("with KAFKA_GROUP_PROTOCOL=classic the same role joins and turns ready", async () => {
    const email = startEmail({ KAFKA_GROUP_PROTOCOL: "classic" });
    await email.ready();
    expect((await fetch(`${email.url}/readyz`)).status).toBe(200);
  }, 60_000);
});
