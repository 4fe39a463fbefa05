#!/usr/bin/env bun
// The command line: picks the role, loads and checks the configuration, runs until SIGTERM/SIGINT.
// The only module that exits the process.
import { parseArgs } from "node:util";
import { verifyAuditDir } from "../agents/audit/index.ts";
import { librdkafkaPathFromEnv, loadConfig, ROLES, type Role } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { embeddedLibrdkafkaPath } from "./kafka/embedded-library.ts";
import { librdkafkaVersion, useLibrdkafka } from "./kafka/library.ts";
import { createLogger } from "./log.ts";
import { startRole } from "./roles.ts";
import packageJson from "../package.json" with { type: "json" };

const EXIT_USAGE = 2;
const SHUTDOWN_DEADLINE_MS = 10_000;

const HELP = `agent-events ${packageJson.version}: coordinates agents through Apache Kafka

Usage:
  agent-events --role=ROLE          run one role (${ROLES.join(", ")})
  agent-events audit verify DIR     check the audit log's hash chain
  agent-events --version | --help

Roles:
  api     HTTP producer: POST /tasks publishes task.created once the broker acknowledged it
  email   sends "New task" emails (group notification-email)
  slack   posts to a Slack incoming webhook (group notification-slack)
  audit   appends every event to a hash-chained log (group audit-log)
  all     every role in one process; with no KAFKA_BOOTSTRAP_SERVERS, on an embedded in-memory broker

Configuration is read from the environment (see README): KAFKA_BOOTSTRAP_SERVERS, KAFKA_<PROPERTY>
for any librdkafka property, HTTP_PORT, DATA_DIR, SMTP_*, SLACK_WEBHOOK_URL, AUDIT_LOG_DIR, ...`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { role: { type: "string" }, help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } },
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
  useLibrdkafka(librdkafkaPathFromEnv(process.env) ?? embeddedLibrdkafkaPath);
  if (values.version) {
    console.log(`agent-events ${packageJson.version} (librdkafka ${librdkafkaVersion()}, bun ${Bun.version})`);
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
    if (result.ok) {
      console.log(`ok (${result.files} files, ${result.lines} lines)`);
      return 0;
    }
    console.log(`broken: ${result.file} line ${result.line}: ${result.reason}`);
    return 1;
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
  // With --role=all each role names itself (roles.ts); naming "all" too would repeat the key in every line.
  const logger = config.role === "all" ? processLogger : processLogger.child({ role: config.role });
  let running;
  try {
    running = await startRole(config, logger);
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
  await running.stop();
  clearTimeout(deadline);
  logger.info("stopped");
  return 0;
}

process.exit(await main(Bun.argv.slice(2)));
