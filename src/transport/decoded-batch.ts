import type { EventEnvelope } from "../events/index.ts";
import { parseBatch, type ParseOptions, type ParsedBatch, type ParsedItem } from "./parse-batch.ts";
import type { Delivery, RawMessage } from "./types.ts";

/**
 * Turns a message the agent reads as something other than an event (a dead letter, for the audit agent) into
 * the envelope it handles; undefined leaves the message to be parsed as an event.
 */
export type Decode = (message: RawMessage) => EventEnvelope | undefined;

/**
 * Parses a batch as parseBatch does, except the messages `decode` takes: those reach the handler as deliveries
 * of an unknown type, never as invalid messages, so a message that is itself a dead letter is not
 * dead-lettered again. Every message keeps its place in the batch.
 */
export function decodeBatch(batch: readonly RawMessage[], decode: Decode, options: ParseOptions): ParsedBatch {
  const decoded = new Map<RawMessage, Delivery>();
  for (const message of batch) {
    const event = decode(message);
    if (event !== undefined) decoded.set(message, { known: false, event, message, signal: options.signal, logger: options.logger });
  }
  if (decoded.size === 0) return parseBatch(batch, options);
  const parsed = parseBatch(batch.filter((message) => !decoded.has(message)), options);
  const rest = new Map(parsed.items.map((item) => [item.message, item]));
  const items: ParsedItem[] = batch.map((message) => {
    const delivery = decoded.get(message);
    return delivery ? { message, delivery } : rest.get(message)!;
  });
  const deliveries = items.flatMap((item) => ("delivery" in item ? [item.delivery] : []));
  return { items, deliveries, invalid: parsed.invalid };
}
