import { runtime } from "./which.ts";

/**
 * The librdkafka the program carries, if any: Bun's compiled binary embeds it. On Deno (from source) there
 * is none, and src/kafka/library.ts's default, scripts/build-librdkafka.sh's output, is used.
 */
export const carriedLibrdkafkaPath: string | undefined =
  runtime === "bun" ? (await import("./librdkafka-embedded-bun.ts")).embeddedLibrdkafkaPath : undefined;
