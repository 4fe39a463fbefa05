import type { DomainEvent, EventEnvelope } from "../events/index.ts";
import type { ConsumedMessage } from "../kafka/consumer.ts";
import type { Logger } from "../log.ts";

/** A message as read from Kafka: plain data, no native handles. */
export type RawMessage = ConsumedMessage;

export interface Published {
  topic: string;
  partition: number;
  offset: number;
}

/** Writes events to where they belong; resolves once the broker has them (acks=all). */
export interface Publisher {
  publish(event: EventEnvelope): Promise<Published>;
  close(): Promise<void>;
}

/** One parsed event on its way through a handler. Unknown event types arrive with `known: false`. */
export type Delivery = DeliveryOf<true, DomainEvent> | DeliveryOf<false, EventEnvelope>;

interface DeliveryOf<Known extends boolean, Event> {
  known: Known;
  event: Event;
  message: RawMessage;
  logger: Logger;
  /**
   * Aborted when the process stops and its grace period is over: waits (retry backoff, a call to a
   * handler) end early, and what is unfinished is delivered again later.
   */
  signal: AbortSignal;
}

export type Handler = (delivery: Delivery) => Promise<void>;

/** Wraps a handler, Watermill style: retry, metrics and the like are each one middleware. */
export type Middleware = (next: Handler) => Handler;

export interface HandlerFailure {
  delivery: Delivery;
  error: unknown;
}

/**
 * Handles one fetched batch; returns the deliveries that failed for good (they go to the dead-letter topic).
 * Throwing instead (an UnavailableError: a full disk) fails the whole batch: it is not committed and is
 * tried again later.
 */
export type BatchHandler = (deliveries: Delivery[]) => Promise<HandlerFailure[]>;

/** An error that retrying cannot fix (bad data, a 4xx from a webhook): it skips the retries. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentError";
  }
}
