import type * as v from "valibot";
import type { EventEnvelope } from "../envelope.ts";
import { EVENT_ROUTES, type Topic } from "../topics.ts";
import { agentEvents } from "./agent.ts";
import { notificationEvents } from "./notification.ts";
import { taskEvents } from "./task.ts";
import { workflowEvents } from "./workflow.ts";

export * from "./agent.ts";
export * from "./notification.ts";
export * from "./task.ts";
export * from "./workflow.ts";

/** The schema of `data` for every event type we know; one family per file. */
export const eventDataSchemas = {
  ...taskEvents,
  ...agentEvents,
  ...workflowEvents,
  ...notificationEvents,
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<T extends EventType> = v.InferOutput<(typeof eventDataSchemas)[T]>;
export type EventDataInput<T extends EventType> = v.InferInput<(typeof eventDataSchemas)[T]>;

/** A validated event of a catalog type; narrowing on `event_type` narrows `data`. */
export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: EventEnvelope<K, EventData<K>>;
}[T];

export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

export function isKnownEventType(type: string): type is EventType {
  return Object.hasOwn(eventDataSchemas, type);
}

export interface CatalogEntry<T extends EventType> {
  readonly type: T;
  readonly data: (typeof eventDataSchemas)[T];
  readonly topic: Topic;
  /** The `data` field used as the Kafka message key. */
  readonly key: string;
}

/** Each type with its data schema, its topic and its key field (the last two from `topics.ts`). */
export const eventCatalog = Object.fromEntries(
  EVENT_TYPES.map((type) => [type, { type, data: eventDataSchemas[type], ...EVENT_ROUTES[type] }]),
) as { readonly [T in EventType]: CatalogEntry<T> };
