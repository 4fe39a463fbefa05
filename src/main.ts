#!/usr/bin/env bun
// The command line: picks the role, loads and checks the configuration, runs until SIGTERM/SIGINT.
// The only module that exits the process.
import { parseArgs } from "node:util";
import { formatVerifyResult, verifyAuditDir } from "../agents/audit/index.ts";
import { traceCommand } from "../agents/audit/trace-command.ts";
import { auditLogDirFromEnv, librdkafkaPathFromEnv, loadConfig, ROLES, type Role } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { librdkafkaVersion, useLibrdkafka } from "./kafka/library.ts";
import { createLogger } from "./log.ts";
import { startProcess } from "./process/start.ts";
import { ROLE_TABLE, ROLES_IN_ALL, type RoleName } from "./roles/table.ts";
import { carriedLibrdkafkaPath } from "./runtime/librdkafka-file.ts";
import { runtimeVersion } from "./runtime/which.ts";
import packageJson from "../package.json" with { type: "json" };

const EXIT_USAGE = 2;
/** SIGTERM to exit: the README promises 10 s whatever the broker's state. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/** What the orderly stop may take; the rest of the 10 s is the margin before the hard exit. */
const STOP_BUDGET_MS = 8_500;

const roleLines = (Object.keys(ROLE_TABLE) as RoleName[]).map((name) => `  ${name.padEnd(7)} ${ROLE_TABLE[name].summary}`);
const HELP = `agent-events ${packageJson.version}: coordinates agents through Apache Kafka

Usage:
  agent-events --role=ROLE          run one role (${ROLES.join(", ")})
  agent-events audit verify DIR     check the audit log's hash chain
  agent-events trace ID [--json] [--audit-dir DIR]
                                    a request's events as a causation tree, from the audit log (ID: a
                                    correlation, task, workflow or event id; DIR: AUDIT_LOG_DIR's default)
  agent-events --version | --help

Roles:
${roleLines.join("\n")}
  all     ${ROLES_IN_ALL.join(", ")} in one process; with no KAFKA_BOOTSTRAP_SERVERS, on an embedded in-memory broker

Configuration is read from the environment (see README): KAFKA_BOOTSTRAP_SERVERS, KAFKA_<PROPERTY>
for any librdkafka property, HTTP_PORT, DATA_DIR, SMTP_*, SLACK_WEBHOOK_URL, AUDIT_LOG_DIR, ...`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        role: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        json: { type: "boolean" },
        "audit-dir": { type: "string" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // Before librdkafka is loaded: a trace reads files only, and answers sooner without it.
  if (positionals[0] === "trace" && positionals.length === 2) {
    const outcome = await traceCommand({ id: positionals[1]!, json: values.json ?? false, auditDir: values["audit-dir"] ?? auditLogDirFromEnv(process.env) });
    if (outcome.stdout !== undefined) console.log(outcome.stdout);
    if (outcome.stderr !== undefined) console.error(outcome.stderr);
    return outcome.exitCode;
  }
  const libraryPath = librdkafkaPathFromEnv(process.env) ?? carriedLibrdkafkaPath;
  if (libraryPath) useLibrdkafka(libraryPath);
  if (values.version) {
    console.log(`agent-events ${packageJson.version} (librdkafka ${librdkafkaVersion()}, ${runtimeVersion})`);
    return 0;
  }
  if (positionals[0] === "audit" && positionals[1] === "verify" && positionals.length === 3) {
    let result;
    try {
      result = await verifyAuditDir(positionals[2]!);
    } catch (error) {
      console.error(`cannot verify ${positionals[2]}: ${(error as Error).message}`);
      return EXIT_USAGE;
    }
    const { text, exitCode } = formatVerifyResult(result);
    console.log(text);
    return exitCode;
  }
  if (positionals.length > 0 || values.role === undefined) {
    console.error(`${positionals.length > 0 ? `unknown command: ${positionals.join(" ")}` : "missing --role"}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (!(ROLES as readonly string[]).includes(values.role)) {
    console.error(`unknown role "${values.role}"; roles are: ${ROLES.join(", ")}`);
    return EXIT_USAGE;
  }

  let config;
  try {
    config = loadConfig(values.role as Role, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return EXIT_USAGE;
    }
    throw error;
  }
  const processLogger = createLogger({ level: config.logLevel });
  // With --role=all each role names itself (process/start.ts); naming "all" too would repeat the key in every line.
  const logger = config.role === "all" ? processLogger : processLogger.child({ role: config.role });
  let running;
  try {
    running = await startProcess(config, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return EXIT_USAGE;
    }
    logger.fatal({ err: error }, "start-up failed");
    return 1;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info({ signal }, "shutting down: finishing work in hand, committing, leaving the groups");
  const deadline = setTimeout(() => {
    logger.error("shutdown took longer than 10 s; exiting anyway");
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  const { clean } = await running.stop(STOP_BUDGET_MS);
  clearTimeout(deadline);
  logger.info({ clean }, "stopped");
  return clean ? 0 : 1;
}

process.exit(await main(process.argv.slice(2)));
