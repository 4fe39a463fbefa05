import { parseEvent, parseTraceparent, setSpanOf, TRACEPARENT, TRACESTATE } from "../events/index.ts";
import { headerText } from "../kafka/message-decoder.ts";
import type { Logger } from "../log.ts";
import type { DeadLetterReason } from "./dead-letter.ts";
import type { Delivery, RawMessage } from "./types.ts";

/** A message that cannot be handled: why, for its dead letter. */
export interface InvalidMessage {
  message: RawMessage;
  reason: DeadLetterReason;
  error: unknown;
}

/** One message of a batch, parsed: a delivery for the handler, or why it goes to the dead-letter topic. */
export type ParsedItem = { message: RawMessage; delivery: Delivery } | { message: RawMessage; invalid: InvalidMessage };

export interface ParsedBatch {
  /** Every message, in the order fetched. */
  items: ParsedItem[];
  deliveries: Delivery[];
  invalid: InvalidMessage[];
}

export interface ParseOptions {
  logger: Logger;
  /** Handed to each delivery: a stop aborts it when its grace is over. */
  signal: AbortSignal;
  maxEventBytes?: number;
}

/** Parses every message of a batch once; a message that is not a valid event is kept with the reason. */
export function parseBatch(batch: readonly RawMessage[], { logger, signal, maxEventBytes }: ParseOptions): ParsedBatch {
  const items: ParsedItem[] = [];
  const deliveries: Delivery[] = [];
  const invalid: InvalidMessage[] = [];
  for (const message of batch) {
    const parsed = parseEvent(message.value ?? new Uint8Array(0), { maxBytes: maxEventBytes });
    if (!parsed.ok) {
      const reason = message.value === null || parsed.error.issues[0]?.path === "" ? "unparseable" : "invalid";
      const bad = { message, reason, error: parsed.error } as const;
      invalid.push(bad);
      items.push({ message, invalid: bad });
      continue;
    }
    const { event } = parsed;
    // What the event's children continue: the span its publisher named in the headers.
    setSpanOf(event, traceOf(message));
    // Made when first used: pino serializes a child's fields up front, and most events log nothing.
    let child: Logger | undefined;
    const delivery = {
      known: parsed.known,
      event,
      message,
      signal,
      get logger() {
        return (child ??= logger.child({ correlation_id: event.metadata.correlation_id, event_id: event.event_id }));
      },
    } as Delivery;
    deliveries.push(delivery);
    items.push({ message, delivery });
  }
  return { items, deliveries, invalid };
}

/** The message's `traceparent` (with its `tracestate`), if it has a valid one. */
function traceOf(message: RawMessage) {
  return parseTraceparent(headerText(message, TRACEPARENT), headerText(message, TRACESTATE));
}
