import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { loadConfig, type Role } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { SAFE_ID_MAX_LENGTH, SAFE_ID_PATTERN } from "./events/index.ts";

function problemsOf(env: Record<string, string>, role: Role = "all"): readonly string[] {
  try {
    loadConfig(role, env);
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

describe("worker configuration (AGENT_*)", () => {
  const skill = { id: "translate", name: "Translate a text", description: "input {text, to}", tags: ["text"] };

  test("--role=worker needs AGENT_TYPE", () => {
    expect(problemsOf({}, "worker")).toEqual(["AGENT_TYPE: required for --role=worker (the kind of work it does, e.g. summarizer)"]);
  });

  test("other roles need no AGENT_TYPE", () => {
    expect(loadConfig("all", {}).worker.type).toBeUndefined();
    expect(loadConfig("api", {}).worker.type).toBeUndefined();
  });

  test("a type that is not built in needs AGENT_HANDLER_URL, and the problem names the built-in types", () => {
    const problems = problemsOf({ AGENT_TYPE: "translator" }, "worker");

    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("AGENT_HANDLER_URL: required for agent type translator");
    expect(problems[0]).toContain("summarizer");
    expect(problems[0]).toContain("keywords");
  });

  test("a type that is not built in runs with AGENT_HANDLER_URL", () => {
    const { worker } = loadConfig("worker", { AGENT_TYPE: "translator", AGENT_HANDLER_URL: "http://127.0.0.1:9000/task" });

    expect(worker.type).toBe("translator");
    expect(worker.handlerUrl).toBe("http://127.0.0.1:9000/task");
  });

  test.each(["summarizer", "keywords"])("a built-in type (%s) needs no URL", (type) => {
    const { worker } = loadConfig("worker", { AGENT_TYPE: type });

    expect(worker.type).toBe(type);
    expect(worker.handlerUrl).toBeUndefined();
  });

  test("AGENT_HANDLER_URL must be an http(s) URL", () => {
    expect(problemsOf({ AGENT_TYPE: "translator", AGENT_HANDLER_URL: "not a url" }, "worker")).toEqual(["AGENT_HANDLER_URL: must be a URL"]);
    expect(problemsOf({ AGENT_TYPE: "translator", AGENT_HANDLER_URL: "ftp://example.com/task" }, "worker")).toEqual([
      "AGENT_HANDLER_URL: must be an http(s) URL",
    ]);
  });

  test("AGENT_TYPE must be a safe id", () => {
    const problems = problemsOf({ AGENT_TYPE: "my worker" }, "worker");

    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("AGENT_TYPE: ");
  });

  test("has defaults for the worker's settings", () => {
    const { worker } = loadConfig("worker", { AGENT_TYPE: "summarizer" });

    expect(worker).toMatchObject({ concurrency: 8, taskTimeoutMs: 600_000, heartbeatMs: 5_000, handlerRetries: 3 });
    expect(worker.card).toEqual({ name: undefined, version: undefined, description: undefined, skills: undefined });
  });

  test("AGENT_SKILLS is read as a JSON array of skills", () => {
    const { worker } = loadConfig("worker", { AGENT_TYPE: "translator", AGENT_HANDLER_URL: "http://127.0.0.1:9000/", AGENT_SKILLS: JSON.stringify([skill]) });

    expect(worker.card.skills).toEqual([skill]);
  });

  test("AGENT_SKILLS that is not JSON is a problem", () => {
    expect(problemsOf({ AGENT_SKILLS: "[{id: translate}]" })).toEqual(["AGENT_SKILLS: must be JSON"]);
  });

  test("AGENT_SKILLS that is not an array is a problem", () => {
    expect(problemsOf({ AGENT_SKILLS: JSON.stringify(skill) })).toEqual(["AGENT_SKILLS: must be a JSON array of skills"]);
  });

  test("a skill without a name is a problem naming the skill's place and field", () => {
    const { name: _, ...nameless } = skill;
    const problems = problemsOf({ AGENT_SKILLS: JSON.stringify([skill, nameless]) });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("AGENT_SKILLS.1.name: ");
  });

  test("a skill whose id is not a safe id is a problem", () => {
    const problems = problemsOf({ AGENT_SKILLS: JSON.stringify([{ ...skill, id: "trans late" }]) });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("AGENT_SKILLS.0.id: ");
  });

  test("AGENT_ID defaults to type-host-random, a safe id, different in each process", () => {
    const host = hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 60) || "host";
    const first = loadConfig("worker", { AGENT_TYPE: "summarizer" }).worker.id;
    const second = loadConfig("worker", { AGENT_TYPE: "summarizer" }).worker.id;

    expect(first).toMatch(new RegExp(`^summarizer-${host.replace(/[.]/g, "\\.")}-[0-9a-f]{6}$`));
    expect(first).toMatch(SAFE_ID_PATTERN);
    expect(first.length).toBeLessThanOrEqual(SAFE_ID_MAX_LENGTH);
    expect(second).not.toBe(first);
  });

  test("AGENT_ID defaults to a worker-host-random id when there is no AGENT_TYPE", () => {
    expect(loadConfig("all", {}).worker.id).toMatch(/^worker-.+-[0-9a-f]{6}$/);
  });

  test("a default AGENT_ID of the longest AGENT_TYPE is still a safe id", () => {
    const type = "t".repeat(100);
    const id = loadConfig("worker", { AGENT_TYPE: type, AGENT_HANDLER_URL: "http://127.0.0.1:9000/" }).worker.id;

    expect(id).toMatch(SAFE_ID_PATTERN);
    expect(id.length).toBeLessThanOrEqual(SAFE_ID_MAX_LENGTH);
    expect(id).toStartWith(`${type}-`);
  });

  test("AGENT_ID, when set, is used as is and must be a safe id", () => {
    expect(loadConfig("worker", { AGENT_TYPE: "summarizer", AGENT_ID: "summarizer-eu-1" }).worker.id).toBe("summarizer-eu-1");
    expect(problemsOf({ AGENT_ID: "summarizer eu/1" })).toEqual(["AGENT_ID: may only contain A-Z a-z 0-9 . _ : -"]);
    expect(problemsOf({ AGENT_ID: "a".repeat(129) })).toEqual(["AGENT_ID: must be at most 128 characters"]);
  });

  test("AGENT_CONCURRENCY is a whole number from 1 to 1000", () => {
    expect(loadConfig("worker", { AGENT_TYPE: "summarizer", AGENT_CONCURRENCY: "1" }).worker.concurrency).toBe(1);
    expect(loadConfig("worker", { AGENT_TYPE: "summarizer", AGENT_CONCURRENCY: "1000" }).worker.concurrency).toBe(1000);
    expect(problemsOf({ AGENT_CONCURRENCY: "0" })).toEqual(["AGENT_CONCURRENCY: must be at least 1"]);
    expect(problemsOf({ AGENT_CONCURRENCY: "1001" })).toEqual(["AGENT_CONCURRENCY: must be at most 1000"]);
    expect(problemsOf({ AGENT_CONCURRENCY: "eight" })).toEqual(["AGENT_CONCURRENCY: must be a whole number"]);
    expect(problemsOf({ AGENT_CONCURRENCY: "2.5" })).toEqual(["AGENT_CONCURRENCY: must be a whole number"]);
  });

  test("AGENT_TASK_TIMEOUT_MS and AGENT_HEARTBEAT_MS are at least 100 ms", () => {
    expect(problemsOf({ AGENT_TASK_TIMEOUT_MS: "99", AGENT_HEARTBEAT_MS: "50" })).toEqual([
      "AGENT_TASK_TIMEOUT_MS: must be at least 100",
      "AGENT_HEARTBEAT_MS: must be at least 100",
    ]);
    expect(loadConfig("worker", { AGENT_TYPE: "summarizer", AGENT_TASK_TIMEOUT_MS: "100", AGENT_HEARTBEAT_MS: "100" }).worker).toMatchObject({
      taskTimeoutMs: 100,
      heartbeatMs: 100,
    });
  });
});

describe("tracing configuration (OTEL_*)", () => {
  test("exports nothing until an endpoint is named", () => {
    expect(loadConfig("api", {}).tracing.export).toBeUndefined();
    expect(loadConfig("api", {}).tracing.serviceName).toBe("agent-events-api");
  });

  test("OTEL_EXPORTER_OTLP_ENDPOINT exports OTLP/HTTP protobuf to its /v1/traces, with the standard headers", () => {
    const config = loadConfig("worker", { AGENT_TYPE: "summarizer", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b,x=1" });
    expect(config.tracing.export).toEqual({ kind: "otlp", url: "http://collector:4318/v1/traces", protocol: "http/protobuf", headers: { "api-key": "a b", x: "1" } });
  });

  test("the traces endpoint is taken as it is, and OTEL_SDK_DISABLED turns export off", () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/custom", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" };
    expect(loadConfig("api", env).tracing.export).toMatchObject({ url: "http://collector:4318/custom", protocol: "http/json" });
    expect(loadConfig("api", { ...env, OTEL_SDK_DISABLED: "true" }).tracing.export).toBeUndefined();
  });

  test("OTEL_TRACES_EXPORTER=zipkin sends to OTEL_EXPORTER_ZIPKIN_ENDPOINT", () => {
    const config = loadConfig("audit", { OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_ZIPKIN_ENDPOINT: "http://zipkin:9411/api/v2/spans", OTEL_SERVICE_NAME: "audit-eu" });
    expect(config.tracing.export).toEqual({ kind: "zipkin", url: "http://zipkin:9411/api/v2/spans" });
    expect(config.tracing.serviceName).toBe("audit-eu");
  });

  test("lists every bad OTEL_* value at once", () => {
    expect(
      problemsOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_TRACES_SAMPLER: "sometimes",
        OTEL_TRACES_SAMPLER_ARG: "2",
        OTEL_RESOURCE_ATTRIBUTES: "no-equals-sign",
      }),
    ).toEqual([
      "OTEL_RESOURCE_ATTRIBUTES: must be key=value pairs separated by commas",
      "OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL",
      "OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (grpc is not supported)",
      "OTEL_TRACES_SAMPLER: must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio",
      "OTEL_TRACES_SAMPLER_ARG: must be at most 1",
    ]);
  });
});
