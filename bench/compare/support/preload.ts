import { eventToJson, kafkaHeaders } from "../../../src/events/index.ts";
import { Producer } from "../../../src/kafka/producer.ts";
import { sampleTaskCreated } from "../../support/sample-events.ts";

const WINDOW = 20_000;

/**
 * Writes `count` distinct task.created events of about 1 KiB (the spec's envelope) to `topic` with our
 * producer (acks=all, idempotence), keyed by task_id. Ids are fresh per event, since the audit agents
 * deduplicate by event_id. Resolves with messages per second.
 */
export async function preloadTaskCreated(bootstrap: string, topic: string, count: number): Promise<number> {
  const sample = sampleTaskCreated(0);
  const template = eventToJson(sample);
  const headers = kafkaHeaders(sample);
  const parts = template
    .split(sample.event_id)
    .flatMap((p, i) => (i === 0 ? [p] : ["\u0000E", p]))
    .flatMap((p) => (p.startsWith("\u0000") ? [p] : p.split(sample.data.task_id).flatMap((q, i) => (i === 0 ? [q] : ["\u0000T", q]))))
    .flatMap((p) =>
      p.startsWith("\u0000") ? [p] : p.split(sample.metadata.correlation_id).flatMap((q, i) => (i === 0 ? [q] : ["\u0000C", q])),
    );
  const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": "5" });
  const start = performance.now();
  let inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    const ids: Record<string, string> = { E: crypto.randomUUID(), T: `task-${crypto.randomUUID()}`, C: crypto.randomUUID() };
    const value = parts.map((p) => (p.startsWith("\u0000") ? ids[p[1]!]! : p)).join("");
    inFlight.push(producer.send({ topic, key: ids.T!, value, headers: { ...headers, correlation_id: ids.C! } }));
    if (inFlight.length === WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  return count / seconds;
}
