import * as v from "valibot";
import { type EventType, EVENT_TYPES, eventDataSchemas } from "./catalog/index.ts";
import { envelopeSchema, UnvalidatedData } from "./envelope.ts";

// Loose objects accept arrays (and report every key missing); checking for an object first says what is wrong.
function schemaFor<T extends EventType>(type: T) {
  return envelopeSchema(v.literal(type), v.pipe(UnvalidatedData, eventDataSchemas[type]));
}

type KnownEventSchemas = { [T in EventType]: ReturnType<typeof schemaFor<T>> }[EventType];

/**
 * Any catalog event, envelope and data together, discriminated by `event_type`. Errors in `data` come out with
 * paths such as `data.priority`. Use it to embed events in other schemas; to read bytes, use `parseEvent`.
 */
export const DomainEventSchema = v.variant(
  "event_type",
  EVENT_TYPES.map(schemaFor) as [KnownEventSchemas, ...KnownEventSchemas[]],
  "must be an object",
);
