import * as v from "valibot";
import type { DomainEvent, EventDataInput, EventType } from "./catalog/index.ts";
import type { EventMetadata } from "./envelope.ts";
import { issuesFromValibot, ValidationError } from "./errors.ts";
import { DomainEventSchema } from "./event-schema.ts";

export interface CreateEventOptions {
  /** Defaults to a fresh random UUID. */
  readonly eventId?: string;
  /** Defaults to now. */
  readonly occurredAt?: Date;
}

/**
 * A new event of a catalog type. The compiler checks `data` against the type's schema; the schema is also run,
 * because limits such as a 500-character title are not visible to the compiler. Throws `ValidationError`
 * listing every problem, so an invalid event never reaches the wire.
 */
export function createEvent<T extends EventType>(
  type: T,
  data: EventDataInput<T>,
  metadata: EventMetadata,
  options: CreateEventOptions = {},
): DomainEvent<T> {
  const candidate = {
    event_id: options.eventId ?? crypto.randomUUID(),
    event_type: type,
    occurred_at: (options.occurredAt ?? new Date()).toISOString(),
    data,
    metadata: {
      correlation_id: metadata.correlation_id,
      causation_id: metadata.causation_id,
      source: metadata.source,
    },
  };
  const parsed = v.safeParse(DomainEventSchema, candidate);
  if (!parsed.success) throw new ValidationError(issuesFromValibot(parsed.issues));
  return parsed.output as DomainEvent<T>;
}
