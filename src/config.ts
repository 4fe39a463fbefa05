import { join } from "node:path";
import * as v from "valibot";
import { ConfigError } from "./errors.ts";
import { hostname } from "node:os";
import { BUILT_IN_AGENT_TYPES, isBuiltInAgentType } from "../agents/worker/builtin/index.ts";
import { AgentSkill, SAFE_ID_PATTERN } from "./events/index.ts";
import { kafkaPropertiesFromEnv } from "./kafka/properties-from-env.ts";
import { ROLE_TABLE, type RoleName } from "./roles/table.ts";
import { loadWorkflows, parseWorkflows, type Workflows } from "./workflows/definition.ts";
import { OTLP_PROTOCOLS, parseKeyValueList, SAMPLERS, tracingConfig, type TracingConfig } from "./telemetry/tracing-config.ts";
import exampleWorkflows from "../examples/workflows.yaml" with { type: "text" };

/** Every role the command line takes: the table's, and `all`. */
export const ROLES = [...(Object.keys(ROLE_TABLE) as RoleName[]), "all"] as const;
export type Role = RoleName | "all";

type Env = Readonly<Record<string, string | undefined>>;

// Settings the project reads itself; everything else named KAFKA_* goes to librdkafka untouched.
const PROJECT_KAFKA_SETTINGS = new Set(["KAFKA_TOPIC_PARTITIONS", "KAFKA_TOPIC_REPLICATION_FACTOR"]);

const integer = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.number(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
const flag = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist(["true", "false", "1", "0", "yes", "no"], "must be true or false"),
  v.transform((value) => ["true", "1", "yes"].includes(value)),
);
const text = v.pipe(v.string(), v.trim(), v.nonEmpty("must not be empty"));
const url = v.pipe(v.string(), v.trim(), v.url("must be a URL"), v.startsWith("http", "must be an http(s) URL"));
const domain = v.pipe(text, v.regex(/^[A-Za-z0-9.-]+$/, "must be a domain name such as example.com"));
const keyValues = v.pipe(
  text,
  v.rawTransform(({ dataset, addIssue, NEVER }) => parseKeyValueList(dataset.value) ?? (addIssue({ message: "must be key=value pairs separated by commas" }), NEVER)),
);
// Only OTLP over HTTP is built in: gRPC would add an HTTP/2 client to every process for one setting.
const otlpProtocol = v.picklist(OTLP_PROTOCOLS, "must be http/protobuf or http/json (grpc is not supported)");

const DEFAULT_DATA_DIR = "./agent-events-data";

/** Every environment setting, validated once at start-up; defaults are the development setup. */
const EnvSchema = v.object({
  HTTP_HOST: v.optional(text, "127.0.0.1"),
  HTTP_PORT: v.optional(integer(0, 65535), "8080"),
  LOG_LEVEL: v.optional(v.picklist(["trace", "debug", "info", "warn", "error", "fatal", "silent"]), "info"),
  DATA_DIR: v.optional(text, DEFAULT_DATA_DIR),
  LIBRDKAFKA_PATH: v.optional(text),
  KAFKA_BOOTSTRAP_SERVERS: v.optional(text),
  KAFKA_TOPIC_PARTITIONS: v.optional(integer(1, 10_000), "3"),
  KAFKA_TOPIC_REPLICATION_FACTOR: v.optional(integer(1, 10), "1"),
  API_TOKENS: v.optional(v.string()),
  API_PUBLISH_TIMEOUT_MS: v.optional(integer(100, 120_000), "5000"),
  HANDLER_MAX_RETRIES: v.optional(integer(0, 100), "5"),
  HANDLER_RETRY_BACKOFF_MS: v.optional(integer(1, 600_000), "200"),
  EMAIL_DOMAIN: v.optional(domain, "example.com"),
  EMAIL_FROM: v.optional(text, "agent-events@localhost"),
  SMTP_HOST: v.optional(text),
  SMTP_PORT: v.optional(integer(1, 65535)),
  SMTP_SECURE: v.optional(flag, "false"),
  SMTP_USER: v.optional(text),
  SMTP_PASSWORD: v.optional(v.string()),
  SLACK_WEBHOOK_URL: v.optional(url),
  AUDIT_LOG_DIR: v.optional(text),
  OUTBOX_DIR: v.optional(text),
  AGENT_TYPE: v.optional(v.pipe(text, v.regex(SAFE_ID_PATTERN, "may only contain A-Z a-z 0-9 . _ : -"), v.maxLength(100, "must be at most 100 characters"))),
  AGENT_ID: v.optional(v.pipe(text, v.regex(SAFE_ID_PATTERN, "may only contain A-Z a-z 0-9 . _ : -"), v.maxLength(128, "must be at most 128 characters"))),
  AGENT_CONCURRENCY: v.optional(integer(1, 1000), "8"),
  AGENT_TASK_TIMEOUT_MS: v.optional(integer(100, 7 * 24 * 3_600_000), "600000"),
  AGENT_HEARTBEAT_MS: v.optional(integer(100, 3_600_000), "5000"),
  AGENT_HANDLER_URL: v.optional(url),
  AGENT_HANDLER_RETRIES: v.optional(integer(0, 100), "3"),
  AGENT_NAME: v.optional(v.pipe(text, v.maxLength(200, "must be at most 200 characters"))),
  AGENT_VERSION: v.optional(v.pipe(text, v.maxLength(64, "must be at most 64 characters"))),
  AGENT_DESCRIPTION: v.optional(v.pipe(text, v.maxLength(2000, "must be at most 2000 characters"))),
  AGENT_SKILLS: v.optional(v.pipe(text, v.parseJson(undefined, "must be JSON"), v.array(AgentSkill, "must be a JSON array of skills"))),
  WORKFLOWS_FILE: v.optional(text),
  TASK_MAX_ATTEMPTS: v.optional(integer(1, 100), "3"),
  TASK_ACCEPT_TIMEOUT_MS: v.optional(integer(100, 7 * 24 * 3_600_000), "300000"),
  TASK_TIMEOUT_MS: v.optional(integer(100, 7 * 24 * 3_600_000), "600000"),
  TASK_RETRY_BACKOFF_MS: v.optional(integer(0, 600_000), "1000"),
  // OpenTelemetry's own names and meanings (src/telemetry/tracing-config.ts says where they differ).
  OTEL_SDK_DISABLED: v.optional(flag, "false"),
  OTEL_SERVICE_NAME: v.optional(text),
  OTEL_RESOURCE_ATTRIBUTES: v.optional(keyValues),
  OTEL_TRACES_EXPORTER: v.optional(v.picklist(["otlp", "zipkin", "none"], "must be otlp, zipkin or none"), "otlp"),
  OTEL_EXPORTER_OTLP_ENDPOINT: v.optional(url),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: v.optional(url),
  OTEL_EXPORTER_OTLP_PROTOCOL: v.optional(otlpProtocol),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: v.optional(otlpProtocol),
  OTEL_EXPORTER_OTLP_HEADERS: v.optional(keyValues),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: v.optional(keyValues),
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: v.optional(url),
  OTEL_TRACES_SAMPLER: v.optional(v.picklist(SAMPLERS, `must be one of ${SAMPLERS.join(", ")}`), "parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: v.optional(v.pipe(text, v.decimal("must be a number from 0 to 1"), v.transform(Number), v.number(), v.minValue(0, "must be at least 0"), v.maxValue(1, "must be at most 1"))),
});

export interface Config {
  role: Role;
  http: { host: string; port: number };
  logLevel: string;
  dataDir: string;
  librdkafkaPath: string | undefined;
  kafka: {
    /** librdkafka properties; no bootstrap.servers means the embedded broker. */
    properties: Record<string, string>;
    embedded: boolean;
    topicPartitions: number;
    topicReplicationFactor: number;
  };
  api: { tokens: string[]; publishTimeoutMs: number };
  handler: { maxRetries: number; retryBackoffMs: number };
  email: {
    domain: string;
    from: string;
    smtp: { host: string; port: number; secure: boolean; user?: string; password?: string } | undefined;
    outboxDir: string;
  };
  slack: { webhookUrl: string | undefined; outboxFile: string };
  audit: { logDir: string };
  worker: WorkerConfig;
  /** WORKFLOWS_FILE's workflows (for `all` without it, examples/workflows.yaml's), by name. */
  workflows: Workflows;
  orchestrator: { maxAttempts: number; acceptTimeoutMs: number; taskTimeoutMs: number; retryBackoffMs: number };
  /** OTEL_*: where spans are exported, if anywhere; `traceparent` headers are written either way. */
  tracing: TracingConfig;
}

export interface WorkerConfig {
  /** AGENT_TYPE: set (and required) for --role=worker. */
  type: string | undefined;
  id: string;
  concurrency: number;
  taskTimeoutMs: number;
  heartbeatMs: number;
  /** The handler to call over HTTP; without it the type must be a built-in one. */
  handlerUrl: string | undefined;
  handlerRetries: number;
  /** What the agent says of itself (AGENT_NAME, ...); unset fields come from the built-in type or defaults. */
  card: { name?: string; version?: string; description?: string; skills?: AgentSkill[] };
}

/** Reads the environment into a Config, or throws ConfigError listing every problem at once. */
export function loadConfig(role: Role, env: Env): Config {
  // One message per setting: the first check that fails says enough.
  const known = pickKnown(env);
  const parsed = v.safeParse(EnvSchema, known, { abortPipeEarly: true });
  // Checks across settings read the raw values, so they are listed along with any setting's own problem.
  const problems = [...(parsed.success ? [] : describeIssues(parsed.issues)), ...crossChecks(role, known)];
  const workflows = workflowsOf(role, known.WORKFLOWS_FILE?.trim(), problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.output;
  const tokens = (e.API_TOKENS ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  if (problems.length > 0) throw new ConfigError(problems);

  const properties = kafkaPropertiesFromEnv(env, PROJECT_KAFKA_SETTINGS);
  const outboxDir = e.OUTBOX_DIR ?? join(e.DATA_DIR, "outbox");
  return {
    role,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    librdkafkaPath: e.LIBRDKAFKA_PATH,
    kafka: {
      properties,
      embedded: properties["bootstrap.servers"] === undefined,
      topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
      topicReplicationFactor: e.KAFKA_TOPIC_REPLICATION_FACTOR,
    },
    api: { tokens, publishTimeoutMs: e.API_PUBLISH_TIMEOUT_MS },
    handler: { maxRetries: e.HANDLER_MAX_RETRIES, retryBackoffMs: e.HANDLER_RETRY_BACKOFF_MS },
    email: {
      domain: e.EMAIL_DOMAIN,
      from: e.EMAIL_FROM,
      smtp: e.SMTP_HOST
        ? { host: e.SMTP_HOST, port: e.SMTP_PORT ?? (e.SMTP_SECURE ? 465 : 587), secure: e.SMTP_SECURE, user: e.SMTP_USER, password: e.SMTP_PASSWORD }
        : undefined,
      outboxDir: join(outboxDir, "email"),
    },
    slack: { webhookUrl: e.SLACK_WEBHOOK_URL, outboxFile: join(outboxDir, "slack.jsonl") },
    audit: { logDir: e.AUDIT_LOG_DIR ?? join(e.DATA_DIR, "audit") },
    worker: {
      type: e.AGENT_TYPE,
      id: e.AGENT_ID ?? defaultAgentId(e.AGENT_TYPE ?? "worker"),
      concurrency: e.AGENT_CONCURRENCY,
      taskTimeoutMs: e.AGENT_TASK_TIMEOUT_MS,
      heartbeatMs: e.AGENT_HEARTBEAT_MS,
      handlerUrl: e.AGENT_HANDLER_URL,
      handlerRetries: e.AGENT_HANDLER_RETRIES,
      card: { name: e.AGENT_NAME, version: e.AGENT_VERSION, description: e.AGENT_DESCRIPTION, skills: e.AGENT_SKILLS },
    },
    workflows: workflows!,
    orchestrator: {
      maxAttempts: e.TASK_MAX_ATTEMPTS,
      acceptTimeoutMs: e.TASK_ACCEPT_TIMEOUT_MS,
      taskTimeoutMs: e.TASK_TIMEOUT_MS,
      retryBackoffMs: e.TASK_RETRY_BACKOFF_MS,
    },
    tracing: tracingConfig(role, e),
  };
}

/** The workflows, with the file's problems added to `problems`; `all` without a file gets the examples. */
function workflowsOf(role: Role, file: string | undefined, problems: string[]): Workflows | undefined {
  try {
    if (file) return loadWorkflows(file);
    return role === "all" ? parseWorkflows(exampleWorkflows, "examples/workflows.yaml") : new Map();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/** type-host-random: unique per process, and says where it runs. */
function defaultAgentId(type: string): string {
  // The host name is cut to fit, never the random part: it is what keeps two workers on one host apart.
  const random = crypto.randomUUID().slice(0, 6);
  const room = 128 - type.length - random.length - 2;
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, Math.min(50, room));
  return host ? `${type}-${host}-${random}` : `${type}-${random}`;
}

/** The problems between settings, from their raw values. */
function crossChecks(role: Role, raw: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  if (raw.SMTP_PORT !== undefined && raw.SMTP_HOST === undefined) problems.push("SMTP_PORT: needs SMTP_HOST");
  if ((raw.SMTP_USER === undefined) !== (raw.SMTP_PASSWORD === undefined)) problems.push("SMTP_USER and SMTP_PASSWORD: set both or neither");
  const tokens = (raw.API_TOKENS ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  if (tokens.some((t) => t.length < 16)) problems.push("API_TOKENS: each token must be at least 16 characters");
  if (role === "worker") {
    const type = raw.AGENT_TYPE?.trim();
    if (!type) problems.push("AGENT_TYPE: required for --role=worker (the kind of work it does, e.g. summarizer)");
    else if (raw.AGENT_HANDLER_URL === undefined && SAFE_ID_PATTERN.test(type) && !isBuiltInAgentType(type)) {
      problems.push(`AGENT_HANDLER_URL: required for agent type ${type}, which is not built in (built in: ${BUILT_IN_AGENT_TYPES.join(", ")})`);
    }
  }
  return problems;
}

/**
 * Where the audit role writes its log (AUDIT_LOG_DIR, else $DATA_DIR/audit), for commands that read it
 * (`trace`) without the rest of the configuration having to be valid.
 */
export function auditLogDirFromEnv(env: Env): string {
  const dir = env.AUDIT_LOG_DIR?.trim();
  if (dir) return dir;
  return join(env.DATA_DIR?.trim() || DEFAULT_DATA_DIR, "audit");
}

/** The librdkafka override, needed before the full configuration (e.g. for --version). */
export function librdkafkaPathFromEnv(env: Env): string | undefined {
  return env.LIBRDKAFKA_PATH || undefined;
}

function pickKnown(env: Env): Record<string, string> {
  const known: Record<string, string> = {};
  for (const name of Object.keys(EnvSchema.entries)) {
    const value = env[name];
    if (value !== undefined && value !== "") known[name] = value;
  }
  return known;
}

function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`);
}
