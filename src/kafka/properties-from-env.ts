import type { KafkaProperties } from "./client-config.ts";

const PREFIX = "KAFKA_";

/**
 * Maps `KAFKA_<PROPERTY>` environment variables to librdkafka properties: the rest of the name lower-cased,
 * `_` read as `.` and `__` as a literal `_` (e.g. KAFKA_SASL_MECHANISMS → sasl.mechanisms,
 * KAFKA_BOOTSTRAP_SERVERS → bootstrap.servers). Variables the project reads itself are excluded by the caller.
 */
export function kafkaPropertiesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  reserved: ReadonlySet<string> = new Set(),
): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || value === undefined || reserved.has(name)) continue;
    properties[propertyName(name.slice(PREFIX.length))] = value;
  }
  return properties;
}

export function propertyName(suffix: string): string {
  return suffix
    .toLowerCase()
    .split("__")
    .map((part) => part.replaceAll("_", "."))
    .join("_");
}

/** For messages: the variable a user sets for a property. */
export function envNameFor(property: string): string {
  return PREFIX + property.split("_").map((part) => part.replaceAll(".", "_")).join("__").toUpperCase();
}

export type { KafkaProperties };
