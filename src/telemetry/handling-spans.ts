import { setSpanOf, spanOf } from "../events/index.ts";
import type { BatchHandler, Delivery } from "../transport/types.ts";
import type { Span, Tracer } from "./tracer.ts";

/**
 * A span per event an agent handles, a child of the event's publish span. While it is open it is what the
 * event's children descend from (setSpanOf), so what the agent publishes hangs under its handling. Only used
 * when spans are exported: without, children descend from the event's own span directly.
 */
export function handlingSpan(tracer: Tracer, agent: { name: string; group: string }, delivery: Delivery): Span {
  const { event, message } = delivery;
  const data = event.data as { workflow_id?: unknown; step_id?: unknown; task_id?: unknown };
  const span = tracer.start(`${agent.name} ${event.event_type}`, "consumer", spanOf(event), {
    "messaging.system": "kafka",
    "messaging.operation.type": "process",
    "messaging.destination.name": message.topic,
    "messaging.destination.partition.id": String(message.partition),
    "messaging.kafka.offset": message.offset,
    "messaging.consumer.group.name": agent.group,
    "messaging.message.id": event.event_id,
    "event.type": event.event_type,
    correlation_id: event.metadata.correlation_id,
    // A step of a workflow run says which, so the orchestrator's handling of it reads as that step.
    task_id: typeof data.task_id === "string" ? data.task_id : undefined,
    workflow_id: typeof data.workflow_id === "string" ? data.workflow_id : undefined,
    step_id: typeof data.step_id === "string" ? data.step_id : undefined,
  });
  setSpanOf(event, span.context);
  return span;
}

/** `handleOne` with a handling span around each delivery. */
export function tracedOne(tracer: Tracer, agent: { name: string; group: string }, handle: (delivery: Delivery) => Promise<void>) {
  return async function handleTraced(delivery: Delivery): Promise<void> {
    const span = handlingSpan(tracer, agent, delivery);
    try {
      await handle(delivery);
    } catch (error) {
      span.end(error);
      throw error;
    }
    span.end();
  };
}

/** A batch handler with a handling span per delivery, each open for the batch's handling. */
export function tracedBatch(tracer: Tracer, agent: { name: string; group: string }, handle: BatchHandler): BatchHandler {
  return async function handleBatchTraced(deliveries) {
    const spans = new Map(deliveries.map((delivery) => [delivery, handlingSpan(tracer, agent, delivery)]));
    let failures;
    try {
      failures = await handle(deliveries);
    } catch (error) {
      for (const span of spans.values()) span.end(error);
      throw error;
    }
    for (const { delivery, error } of failures) {
      spans.get(delivery)?.end(error);
      spans.delete(delivery);
    }
    for (const span of spans.values()) span.end();
    return failures;
  };
}
