import { describe, expect, test } from "bun:test";
import { loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig("all", env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration from the environment", () => {
  test("with nothing set, runs on the embedded broker with local outboxes", () => {
    const config = loadConfig("all", {});
    expect(config.kafka.embedded).toBe(true);
    expect(config.kafka.properties).toEqual({});
    expect(config.http.port).toBe(8080);
    expect(config.email.smtp).toBeUndefined();
    expect(config.email.outboxDir).toBe("agent-events-data/outbox/email");
    expect(config.slack.outboxFile).toBe("agent-events-data/outbox/slack.jsonl");
    expect(config.audit.logDir).toBe("agent-events-data/audit");
  });

  test("passes KAFKA_* through as librdkafka properties, but not the project's own KAFKA_TOPIC_* settings", () => {
    const config = loadConfig("api", {
      KAFKA_BOOTSTRAP_SERVERS: "k1:9092",
      KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
      KAFKA_TOPIC_PARTITIONS: "12",
      KAFKA_TOPIC_REPLICATION_FACTOR: "3",
    });
    expect(config.kafka.embedded).toBe(false);
    expect(config.kafka.properties).toEqual({ "bootstrap.servers": "k1:9092", "security.protocol": "SASL_SSL" });
    expect(config.kafka.topicPartitions).toBe(12);
    expect(config.kafka.topicReplicationFactor).toBe(3);
  });

  test("lists every problem at once", () => {
    const problems = problemsOf({
      HTTP_PORT: "eighty",
      KAFKA_TOPIC_PARTITIONS: "0",
      SLACK_WEBHOOK_URL: "not a url",
      SMTP_SECURE: "maybe",
      LOG_LEVEL: "chatty",
      EMAIL_DOMAIN: "exa mple.com",
    });
    expect(problems.map((p) => p.split(":")[0])).toEqual(
      expect.arrayContaining(["HTTP_PORT", "KAFKA_TOPIC_PARTITIONS", "SLACK_WEBHOOK_URL", "SMTP_SECURE", "LOG_LEVEL", "EMAIL_DOMAIN"]),
    );
    expect(problems).toHaveLength(6);
  });

  test("refuses half-set SMTP credentials and short API tokens", () => {
    expect(problemsOf({ SMTP_HOST: "mail", SMTP_USER: "me" })).toEqual(["SMTP_USER and SMTP_PASSWORD: set both or neither"]);
    expect(problemsOf({ API_TOKENS: "short" })).toEqual(["API_TOKENS: each token must be at least 16 characters"]);
  });

  test("takes SMTP settings, defaulting the port from SMTP_SECURE", () => {
    expect(loadConfig("email", { SMTP_HOST: "mail", SMTP_SECURE: "true" }).email.smtp).toEqual({
      host: "mail",
      port: 465,
      secure: true,
      user: undefined,
      password: undefined,
    });
  });
});
