// POST /tasks on Node 20 with Confluent's client (@confluentinc/kafka-javascript, its promise API) and Hono
// on @hono/node-server: the same endpoint and semantics as our api role, for bench/compare. Validates the
// body, publishes task.created (acks=all, idempotence) and answers 201 only after the delivery report;
// 503 if the broker does not confirm within API_PUBLISH_TIMEOUT_MS. (No Idempotency-Key support: the
// benchmark does not send one, and ours then skips its idempotency store too.)
// Env: KAFKA_BOOTSTRAP_SERVERS, TASK_TOPIC (default task-events), HTTP_PORT (default 8080), LINGER_MS
// (default: librdkafka's, 5 ms).
import { serve } from "@hono/node-server";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import * as v from "valibot";

const MAX_BODY_BYTES = 64 * 1024;
const SAFE_ID = /^[A-Za-z0-9._:-]+$/;
const SAFE_ID_MAX_LENGTH = 128;
const TOPIC = process.env.TASK_TOPIC ?? "task-events";
const PUBLISH_TIMEOUT_MS = Number(process.env.API_PUBLISH_TIMEOUT_MS ?? 5000);

const SafeId = v.pipe(v.string(), v.nonEmpty(), v.maxLength(SAFE_ID_MAX_LENGTH), v.regex(SAFE_ID));
const CreateTaskRequest = v.strictObject({
  title: v.pipe(v.string(), v.check((t) => [...t].length >= 1 && [...t].length <= 500, "must be 1-500 characters")),
  owner_id: SafeId,
  priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(5)), 1),
});

const producer = new KafkaJS.Kafka().producer({
  "bootstrap.servers": process.env.KAFKA_BOOTSTRAP_SERVERS ?? "127.0.0.1:9092",
  "client.id": "task-api",
  acks: "all",
  "enable.idempotence": true,
  "message.timeout.ms": PUBLISH_TIMEOUT_MS,
  ...(process.env.LINGER_MS ? { "linger.ms": Number(process.env.LINGER_MS) } : {}),
});
await producer.connect();

const problem = (c, status, error, problems = []) => c.json({ error, problems }, status);

const app = new Hono();
app.get("/readyz", (c) => c.json({ status: "ready" }));
app.post(
  "/tasks",
  bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => problem(c, 413, "body too large") }),
  async function createTask(c) {
    if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
      return problem(c, 415, "Content-Type must be application/json");
    }
    const header = c.req.header("x-correlation-id");
    if (header && (header.length > SAFE_ID_MAX_LENGTH || !SAFE_ID.test(header))) {
      return problem(c, 400, "invalid header", [{ path: "X-Correlation-ID", message: "may only contain A-Z a-z 0-9 . _ : -" }]);
    }
    const correlationId = header || crypto.randomUUID();
    c.header("X-Correlation-ID", correlationId);
    let json;
    try {
      json = JSON.parse(await c.req.text());
    } catch (error) {
      return problem(c, 400, "body is not valid JSON", [{ path: "", message: error.message }]);
    }
    const parsed = v.safeParse(CreateTaskRequest, json);
    if (!parsed.success) {
      return problem(c, 400, "invalid task", parsed.issues.map((i) => ({ path: v.getDotPath(i) ?? "", message: i.message })));
    }
    const taskId = crypto.randomUUID();
    const event = {
      event_id: crypto.randomUUID(),
      event_type: "task.created",
      occurred_at: new Date().toISOString(),
      data: { task_id: taskId, ...parsed.output },
      metadata: { correlation_id: correlationId, causation_id: `api-create-${taskId}`, source: "task-api" },
    };
    try {
      // send() resolves with the delivery report, i.e. after acks=all.
      await producer.send({
        topic: TOPIC,
        messages: [
          {
            key: taskId,
            value: JSON.stringify(event),
            headers: {
              event_type: event.event_type,
              correlation_id: correlationId,
              causation_id: event.metadata.causation_id,
              source: "task-api",
            },
          },
        ],
      });
    } catch {
      c.header("Retry-After", "5");
      return problem(c, 503, "the event log did not confirm the write in time; nothing was created");
    }
    return c.json({ id: taskId, status: "created", correlation_id: correlationId }, 201);
  },
);

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.HTTP_PORT ?? 8080) });
const stop = async () => {
  server.close();
  await producer.disconnect();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
