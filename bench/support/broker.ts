import { startKafkaCluster } from "../../test/support/kafka-cluster.ts";

/** A benchmark's broker JVM: full JIT and a fixed 1 GiB heap; the tests' defaults favour start-up time. */
export const BENCH_JVM_OPTS: readonly string[] = ["-Xms1g", "-Xmx1g", "-XX:+UseParallelGC"];

export interface BenchBroker {
  bootstrap: string;
  /** Stops the broker if this started it. */
  stop(): Promise<void>;
}

/**
 * KAFKA_BOOTSTRAP_SERVERS when set, else one local broker started for the benchmark with `jvmOpts`
 * (the tests' defaults when not given: for benchmarks of a client at rest).
 */
export async function benchBroker(jvmOpts?: readonly string[]): Promise<BenchBroker> {
  const given = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (given) return { bootstrap: given, stop: async () => {} };
  const cluster = await startKafkaCluster({ nodes: 1, jvmOpts: jvmOpts && [...jvmOpts] });
  return { bootstrap: cluster.bootstrap, stop: () => cluster.stop() };
}
