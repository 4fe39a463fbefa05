import type { Config } from "../../src/config.ts";
import { AUDIT_TOPICS, eventToJson } from "../../src/events/index.ts";
import type { Logger } from "../../src/log.ts";
import type { BatchAgent } from "../../src/transport/agent.ts";
import type { Delivery, HandlerFailure } from "../../src/transport/types.ts";
import type { RawMessage } from "../../src/transport/types.ts";
import { AuditLog, type AuditEntry } from "./audit-log.ts";
import { deadLetterEntry, deadLetterTopics, isDeadLetterTopic } from "./dead-letter-entry.ts";
import { IndexFollower } from "./index-follower.ts";

export { GENESIS } from "./chain.ts";
export { AuditLogError } from "./errors.ts";
export { formatVerifyResult, verifyAuditDir, type LineLocation, type VerifyResult } from "./verify.ts";

export interface AuditAgentOptions {
  audit: Config["audit"];
  logger: Logger;
  /** The clock for logged_at; tests set it. */
  now?: () => Date;
}

const OPEN_BRACE = 0x7b;
const LF = 0x0a;
const CR = 0x0d;
const encoder = new TextEncoder();

/**
 * The event as it was received: the message's bytes, which the consume loop has parsed and validated, so
 * the log holds what was on the wire (unknown fields, key order and all), as the spec's agent logs the dict
 * it read. Bytes that would not sit inside one line as a JSON value (a line break as whitespace, a leading
 * byte-order mark or space) are written as `eventToJson` serializes the event instead.
 */
function auditedJson(delivery: Delivery): Uint8Array {
  // A dead letter is logged as the fact about it that `decode` made (dead-letter-entry.ts), already in order.
  if (isDeadLetterTopic(delivery.message.topic)) return encoder.encode(JSON.stringify(delivery.event));
  const value = delivery.message.value;
  if (value !== null && value[0] === OPEN_BRACE && value.indexOf(LF) === -1 && value.indexOf(CR) === -1) return value;
  return encoder.encode(eventToJson(delivery.event));
}

/**
 * Writes every event of the four coordination topics, known types or not, to a hash-chained JSON-lines log,
 * once per event_id, and every message their consumers dead-lettered (the `.dlq` topics) as a line of its own.
 * A batch resolves only when its lines are fsynced, so its offsets are committed after. The trace index
 * beside the log follows it after each batch, and catches up with it at start.
 */
export function createAuditAgent(options: AuditAgentOptions): BatchAgent {
  const log = new AuditLog({ dir: options.audit.logDir, logger: options.logger, now: options.now ?? (() => new Date()) });
  const index = new IndexFollower(options.audit.logDir, options.logger);
  index.follow();

  /*
   * A write that fails (disk full, permissions, I/O error) throws out of the batch instead of returning
   * failures. Failures are dead-lettered and committed, which would leave a gap in the log that no line shows;
   * throwing leaves the offsets uncommitted, so the batch comes again and, the ids being deduplicated, is
   * written once. Only an event that cannot be serialized is returned: retrying cannot fix it. A full disk
   * throws a DiskError naming the file, so the consume loop can report what waits for space.
   */
  async function appendToAuditLog(deliveries: Delivery[]): Promise<HandlerFailure[]> {
    const failures: HandlerFailure[] = [];
    const entries: AuditEntry[] = [];
    for (const delivery of deliveries) {
      try {
        entries.push({ eventId: delivery.event.event_id, event: auditedJson(delivery) });
      } catch (error) {
        failures.push({ delivery, error });
      }
    }
    try {
      const written = await log.append(entries);
      options.logger.debug({ events: deliveries.length, written }, "audit lines written");
      if (written > 0) index.follow();
    } catch (error) {
      options.logger.error({ err: error }, "audit log write failed; the batch is not committed");
      throw error;
    }
    return failures;
  }

  return {
    name: "audit",
    group: "audit-log",
    topics: [...AUDIT_TOPICS, ...deadLetterTopics(AUDIT_TOPICS)],
    // Dead letters are logged as they are, whatever they hold; parsing one as an event would dead-letter it again.
    decode: (message: RawMessage) => (isDeadLetterTopic(message.topic) ? deadLetterEntry(message) : undefined),
    handle: appendToAuditLog,
    // One append and one fsync per file per batch: bigger batches amortise both (and the offset commit).
    maxBatch: 5_000,
    close: async () => {
      await index.close();
      await log.close();
    },
  };
}
