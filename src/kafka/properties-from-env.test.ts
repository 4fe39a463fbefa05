import { describe, expect, test } from "bun:test";
import { envNameFor, kafkaPropertiesFromEnv } from "./properties-from-env.ts";

describe("KAFKA_* environment variables", () => {
  test("map to librdkafka properties with dots for underscores", () => {
    expect(
      kafkaPropertiesFromEnv({
        KAFKA_BOOTSTRAP_SERVERS: "a:9092,b:9092",
        KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
        KAFKA_SASL_MECHANISMS: "SCRAM-SHA-512",
        KAFKA_MESSAGE_TIMEOUT_MS: "5000",
      }),
    ).toEqual({
      "bootstrap.servers": "a:9092,b:9092",
      "security.protocol": "SASL_SSL",
      "sasl.mechanisms": "SCRAM-SHA-512",
      "message.timeout.ms": "5000",
    });
  });

  test("read a double underscore as a literal underscore", () => {
    expect(kafkaPropertiesFromEnv({ KAFKA_SSL__KEY: "x" })).toEqual({ ssl_key: "x" });
  });

  test("ignore other variables and reserved names", () => {
    expect(
      kafkaPropertiesFromEnv({ HOME: "/root", KAFKAESQUE: "no", KAFKA_TOPIC_PARTITIONS: "3" }, new Set(["KAFKA_TOPIC_PARTITIONS"])),
    ).toEqual({});
  });

  test("name the variable for a property, the inverse of the mapping", () => {
    expect(envNameFor("sasl.mechanisms")).toBe("KAFKA_SASL_MECHANISMS");
    expect(envNameFor("ssl_key")).toBe("KAFKA_SSL__KEY");
  });
});
