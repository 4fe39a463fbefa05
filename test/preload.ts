/**
 * Test-run setup (bunfig.toml: [test] preload). Bun runs every test file in
 * this one process, and the afterAll below is global: it runs once, after the
 * last test file, also when tests failed.
 *
 * If KAFKA_BOOTSTRAP_SERVERS is set, tests use that broker and nothing is
 * started. Otherwise a single-node Kafka broker is started here (fetching its
 * jars with scripts/fetch-kafka.sh on first use) and KAFKA_BOOTSTRAP_SERVERS
 * is set to it. Tests read it via testBootstrap() from test/support/kafka-cluster.ts.
 */
import { afterAll } from "bun:test";
import { kafkaLibsDir, startKafkaCluster } from "./support/kafka-cluster.ts";

if (!process.env.KAFKA_BOOTSTRAP_SERVERS) {
  kafkaLibsDir(); // Runs scripts/fetch-kafka.sh; instant when the jars are cached.
  const t0 = performance.now();
  const cluster = await startKafkaCluster({ nodes: 1 });
  process.env.KAFKA_BOOTSTRAP_SERVERS = cluster.bootstrap;
  console.error(
    `test broker: Kafka at ${cluster.bootstrap}, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (data: ${cluster.dataDir})`,
  );
  afterAll(async () => {
    await cluster.stop();
  });
}
