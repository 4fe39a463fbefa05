import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { Admin } from "../../src/kafka/admin.ts";
import type { KafkaProperties } from "../../src/kafka/client-config.ts";
import { Consumer } from "../../src/kafka/consumer.ts";
import { Producer } from "../../src/kafka/producer.ts";
import type { Logger } from "../../src/log.ts";
import { text } from "./drain.ts";
import {
  canConnect,
  ephemeralPortRangeStart,
  startKafkaCluster,
  type SaslSslKafkaCluster,
  type ScramUser,
} from "./kafka-cluster.ts";
import { uniqueTopic } from "./topics.ts";

interface LogRecord {
  level: number;
  msg: string;
}

const WARN = 40;

/** A pino logger that keeps its records, so a test can await the one it expects instead of sleeping. */
class LogCapture {
  readonly records: LogRecord[] = [];
  private readonly waiters: Array<{ matches: (r: LogRecord) => boolean; found: (r: LogRecord) => void }> = [];
  readonly logger: Logger = pino({ level: "debug" }, { write: (line: string) => this.add(JSON.parse(line)) });

  waitFor(matches: (record: LogRecord) => boolean, timeoutMs: number): Promise<LogRecord> {
    const seen = this.records.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const messages = this.records.map((r) => `  ${r.level} ${r.msg}`).join("\n");
        reject(new Error(`no matching log record within ${timeoutMs} ms; got:\n${messages}`));
      }, timeoutMs);
      this.waiters.push({
        matches,
        found: (record) => {
          clearTimeout(timer);
          resolve(record);
        },
      });
    });
  }

  private add(record: LogRecord): void {
    this.records.push(record);
    for (const waiter of [...this.waiters]) {
      if (!waiter.matches(record)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.found(record);
    }
  }
}

const alice: ScramUser = { username: "alice", password: "alice-secret" };
const bob: ScramUser = { username: "bob", password: "bob-secret" };

let cluster: SaslSslKafkaCluster;

beforeAll(async () => {
  cluster = await startKafkaCluster({ nodes: 1, saslSsl: { users: [alice, bob] } });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Exactly what an application needs to reach a SASL_SSL + SCRAM-SHA-512 cluster. */
function saslSslProperties(user: ScramUser, trust: { caLocation?: string }): KafkaProperties {
  return {
    "bootstrap.servers": cluster.bootstrap,
    "security.protocol": "SASL_SSL",
    "sasl.mechanisms": "SCRAM-SHA-512",
    "sasl.username": user.username,
    "sasl.password": user.password,
    ...(trust.caLocation === undefined ? {} : { "ssl.ca.location": trust.caLocation }),
  };
}

async function createTopicAs(user: ScramUser, topic: string): Promise<string> {
  const admin = new Admin(saslSslProperties(user, { caLocation: cluster.caLocation }));
  try {
    await admin.createTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
  } finally {
    admin.close();
  }
  return topic;
}

async function firstValue(user: ScramUser, topic: string): Promise<string | null> {
  const consumer = new Consumer({
    groupId: `${topic}-reader`,
    properties: saslSslProperties(user, { caLocation: cluster.caLocation }),
  });
  try {
    consumer.subscribe([topic]);
    const { value: message } = await consumer[Symbol.asyncIterator]().next();
    return text(message.value);
  } finally {
    await consumer.close();
  }
}

async function roundTrip(topic: string, value: string): Promise<string | null> {
  const producer = new Producer(saslSslProperties(alice, { caLocation: cluster.caLocation }));
  try {
    await producer.send({ topic, value });
  } finally {
    await producer.close();
  }
  return firstValue(bob, topic);
}

function isWarningMatching(pattern: RegExp): (record: LogRecord) => boolean {
  return (record) => record.level >= WARN && pattern.test(record.msg);
}

describe("a cluster started with saslSsl", () => {
  test("has a SASL_SSL bootstrap, a separate PLAINTEXT one and a CA, all on ports below the ephemeral range", async () => {
    const [node] = cluster.nodes;
    expect(cluster.nodes).toHaveLength(1);
    expect(cluster.bootstrap).toBe(`127.0.0.1:${node!.port}`);
    expect(cluster.plaintextBootstrap).toBe(`127.0.0.1:${node!.plaintextPort}`);
    expect(cluster.caLocation).toBe(cluster.tls.caCertPath);
    expect(await Bun.file(cluster.caLocation).text()).toStartWith("-----BEGIN CERTIFICATE-----");
    const ports = [node!.port, node!.plaintextPort, node!.controllerPort];
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(port).toBeLessThan(ephemeralPortRangeStart());
    for (const port of ports) expect(await canConnect(port)).toBe(true);
  });

  test("SCRAM users created at format time produce and consume over SASL_SSL", async () => {
    const topic = await createTopicAs(alice, uniqueTopic("sasl-ssl"));
    expect(await roundTrip(topic, "over tls")).toBe("over tls");
  }, 60_000);

  test("a wrong password gets no delivery, and the logger says authentication failed", async () => {
    const topic = await createTopicAs(alice, uniqueTopic("sasl-wrong-password"));
    const log = new LogCapture();
    const producer = new Producer(
      {
        ...saslSslProperties({ username: alice.username, password: "not-alice-secret" }, { caLocation: cluster.caLocation }),
        "message.timeout.ms": "3000",
      },
      log.logger,
    );
    try {
      const [sendError, warning] = await Promise.all([
        producer.send({ topic, value: "never" }).then(
          () => null,
          (error: unknown) => error,
        ),
        log.waitFor(isWarningMatching(/Authentication failed/), 15_000),
      ]);
      expect(sendError).toMatchObject({ codeName: "_MSG_TIMED_OUT" });
      expect(warning.msg).toContain("SCRAM-SHA-512");
    } finally {
      await producer.close();
    }
  }, 60_000);

  test("a client that does not trust the cluster's CA fails certificate verification", async () => {
    const topic = await createTopicAs(alice, uniqueTopic("sasl-untrusted"));
    const log = new LogCapture();
    const producer = new Producer({ ...saslSslProperties(alice, {}), "message.timeout.ms": "3000" }, log.logger);
    try {
      const [sendError, warning] = await Promise.all([
        producer.send({ topic, value: "never" }).then(
          () => null,
          (error: unknown) => error,
        ),
        log.waitFor(isWarningMatching(/certificate verify failed/), 15_000),
      ]);
      expect(sendError).toMatchObject({ codeName: "_MSG_TIMED_OUT" });
      expect(warning.msg).toContain("SSL handshake failed");
    } finally {
      await producer.close();
    }
  }, 60_000);

  test("a node killed and started again keeps its port, certificate and users", async () => {
    const node = cluster.nodes[0]!;
    const port = node.port;
    await node.kill("SIGKILL");
    expect(await canConnect(port)).toBe(false);
    await node.start();
    expect(node.port).toBe(port);
    const topic = await createTopicAs(bob, uniqueTopic("sasl-after-restart"));
    expect(await roundTrip(topic, "after restart")).toBe("after restart");
  }, 120_000);
});
