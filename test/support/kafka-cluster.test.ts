import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  canConnect,
  ephemeralPortRangeStart,
  kafkaLibsDir,
  LOWEST_TEST_PORT,
  startKafkaCluster,
  testBootstrap,
  type KafkaCluster,
} from "./kafka-cluster.ts";

function hostPorts(bootstrap: string): { host: string; port: number }[] {
  return bootstrap.split(",").map((hp) => {
    const i = hp.lastIndexOf(":");
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
}

/**
 * Proves a cluster really works, using kafka-clients from the broker's own
 * jars (Java single-file source launch): creates the topic with replication
 * factor 3 unless it exists, waits until its ISR has all 3 replicas, then
 * produces one record with acks=all and reads it back.
 */
const CLUSTER_CHECK_JAVA = String.raw`
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.*;

public class ClusterCheck {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], value = args[2];
    long deadline = System.currentTimeMillis() + 60_000;
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(common)) {
      try {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
      for (;;) {
        var p = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0);
        if (p.isr().size() == 3) {
          System.out.println("replicas=" + p.replicas().size() + " isr=" + p.isr().size());
          break;
        }
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("ISR stayed at " + p.isr());
        Thread.sleep(200);
      }
    }
    Properties pp = (Properties) common.clone();
    pp.put("acks", "all");
    long offset;
    try (var producer = new KafkaProducer<String, String>(pp, new StringSerializer(), new StringSerializer())) {
      offset = producer.send(new ProducerRecord<>(topic, value)).get().offset();
    }
    Properties cp = (Properties) common.clone();
    cp.put("isolation.level", "read_committed");
    try (var consumer = new KafkaConsumer<String, String>(cp, new StringDeserializer(), new StringDeserializer())) {
      var tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seek(tp, offset);
      while (System.currentTimeMillis() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          System.out.println("offset=" + r.offset() + " value=" + r.value());
          return;
        }
      }
      throw new IllegalStateException("record not consumed");
    }
  }
}
`;

let workDir = "";

async function clusterCheck(bootstrap: string, topic: string, value: string): Promise<string> {
  const src = join(workDir, "ClusterCheck.java");
  if (!existsSync(src)) writeFileSync(src, CLUSTER_CHECK_JAVA);
  const proc = Bun.spawn(
    [
      "java",
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      `-Dlog4j2.configurationFile=${join(import.meta.dir, "log4j2.properties")}`,
      `-Dkafka.logs.dir=${workDir}`,
      "-cp",
      join(kafkaLibsDir(), "*"),
      src,
      bootstrap,
      topic,
      value,
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`ClusterCheck failed (exit ${code}):\n${out}\n${err}`);
  return out.trim();
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "kafka-cluster-test-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

test("testBootstrap() points at a broker that accepts TCP connections", async () => {
  const bootstrap = testBootstrap();
  const targets = hostPorts(bootstrap);
  expect(targets.length).toBeGreaterThan(0);
  for (const { host, port } of targets) {
    expect(await canConnect(port, host)).toBe(true);
  }
});

test("the ephemeral port range start is read from the kernel", () => {
  const [start] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
  expect(ephemeralPortRangeStart()).toBe(Number(start));
});

describe("3-node cluster", () => {
  let cluster: KafkaCluster;

  beforeAll(async () => {
    cluster = await startKafkaCluster({ nodes: 3 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test("every node accepts connections on its own loopback port", async () => {
    expect(cluster.nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(cluster.bootstrap).toBe(cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(","));
    for (const node of cluster.nodes) {
      expect(node.running).toBe(true);
      expect(await canConnect(node.port)).toBe(true);
    }
  });

  test("every client and controller port is below the kernel's ephemeral port range", () => {
    const rangeStart = ephemeralPortRangeStart();
    const ports = cluster.nodes.flatMap((n) => [n.port, n.controllerPort]);
    expect(new Set(ports).size).toBe(6);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(LOWEST_TEST_PORT);
      expect(port).toBeLessThan(rangeStart);
    }
    // Without saslSsl the client listener is the plaintext one.
    expect(cluster.plaintextBootstrap).toBe(cluster.bootstrap);
    expect(cluster.caLocation).toBeUndefined();
  });

  test("a topic with replication factor 3 gets an ISR of 3 and round-trips a record", async () => {
    const out = await clusterCheck(cluster.bootstrap, "rf3", "before-kill");
    expect(out).toContain("replicas=3 isr=3");
    expect(out).toContain("value=before-kill");
  }, 90_000);

  test("a node killed with SIGKILL restarts on the same port with its data", async () => {
    const node = cluster.nodes[2]!;
    await node.kill("SIGKILL");
    expect(node.running).toBe(false);
    expect(await canConnect(node.port)).toBe(false);

    await node.start();
    expect(node.running).toBe(true);
    expect(await canConnect(node.port)).toBe(true);

    // The restarted replica catches up and rejoins the ISR.
    const out = await clusterCheck(cluster.bootstrap, "rf3", "after-restart");
    expect(out).toContain("replicas=3 isr=3");
    expect(out).toMatch(/offset=1 value=after-restart/);
  }, 120_000);

  test("stop() kills every node and removes the data dir", async () => {
    const { dataDir, nodes } = cluster;
    await cluster.stop();
    expect(existsSync(dataDir)).toBe(false);
    for (const node of nodes) {
      expect(node.running).toBe(false);
      expect(await canConnect(node.port)).toBe(false);
    }
  });
});

test("brokers die with the test process even when it is SIGKILLed", async () => {
  const modulePath = resolve(import.meta.dir, "kafka-cluster.ts");
  const child = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const { startKafkaCluster } = await import(${JSON.stringify(modulePath)});
       const c = await startKafkaCluster({ nodes: 1 });
       console.log(c.dataDir);
       setInterval(() => {}, 60_000);`,
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "inherit" },
  );
  // Only the JVM itself (its wrapper's command line contains the same text).
  const jvms = (dataDir: string) => {
    const r = Bun.spawnSync(["pgrep", "-f", "--", `^\\S*java .*-Dkafka\\.logs\\.dir=${dataDir}/`]);
    return r.stdout.toString().trim().split("\n").filter(Boolean);
  };
  let dataDir = "";
  try {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    dataDir = text.trim();
    expect(dataDir).not.toBe("");
    expect(jvms(dataDir).length).toBe(1);
  } finally {
    child.kill("SIGKILL");
    await child.exited;
  }
  const deadline = Date.now() + 15_000;
  while ((jvms(dataDir).length > 0 || existsSync(dataDir)) && Date.now() < deadline) await Bun.sleep(100);
  expect(jvms(dataDir)).toEqual([]);
  expect(existsSync(dataDir)).toBe(false);
}, 120_000);
