import { dirname, join, resolve } from "node:path";

/** The bin/ folder of our librdkafka build (rdkafka_performance lives there); builds it if missing. */
export function librdkafkaBinDir(): string {
  const root = resolve(import.meta.dir, "../..");
  const build = Bun.spawnSync(["bash", join(root, "scripts/build-librdkafka.sh")], { stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("scripts/build-librdkafka.sh failed");
  return join(dirname(build.stdout.toString().trim()), "bin");
}
