import { ptr, type Pointer } from "../runtime/native.ts";
import { ConfigError } from "../errors.ts";
import { RD_KAFKA_CONF_OK } from "./ffi.ts";
import { cstr, librdkafka, readCString } from "./library.ts";

/** librdkafka properties by their own names, e.g. `{"bootstrap.servers": "127.0.0.1:9092"}`. */
export type KafkaProperties = Readonly<Record<string, string>>;

const ERRSTR_SIZE = 512;

/**
 * Builds an rd_kafka_conf_t, collecting every rejected property instead of stopping at the first, so a
 * user fixes their configuration in one go. The caller owns the returned conf until rd_kafka_new takes it.
 */
export function buildConf(properties: KafkaProperties): Pointer {
  const lib = librdkafka();
  const conf = lib.rd_kafka_conf_new();
  if (!conf) throw new ConfigError(["librdkafka could not allocate a configuration"]);
  const errstr = new Uint8Array(ERRSTR_SIZE);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(properties)) {
    errstr[0] = 0;
    const result = lib.rd_kafka_conf_set(conf, ptr(cstr(name)), ptr(cstr(value)), ptr(errstr), ERRSTR_SIZE);
    if (result !== RD_KAFKA_CONF_OK) problems.push(`${name}: ${readCString(ptr(errstr))}`);
  }
  if (problems.length > 0) {
    lib.rd_kafka_conf_destroy(conf);
    throw new ConfigError(problems);
  }
  return conf;
}

/** Checks properties the way a client would take them, without making one; throws ConfigError. */
export function validateProperties(properties: KafkaProperties): void {
  librdkafka().rd_kafka_conf_destroy(buildConf(properties));
}

// Anything weaker than these would let an acknowledged event be lost or written twice.
const requiredProducerSettings: Record<string, readonly string[]> = {
  "enable.idempotence": ["true"],
  acks: ["all", "-1"],
  "request.required.acks": ["all", "-1"],
};

/** The producer's properties with idempotence and acks=all forced on; refuses any attempt to turn them off. */
export function producerProperties(properties: KafkaProperties): KafkaProperties {
  const problems: string[] = [];
  for (const [name, allowed] of Object.entries(requiredProducerSettings)) {
    const given = properties[name];
    if (given !== undefined && !allowed.includes(given.trim().toLowerCase())) {
      problems.push(`${name}=${given} is not allowed: producers always run with enable.idempotence=true and acks=all`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...properties, "enable.idempotence": "true", acks: "all" };
}
