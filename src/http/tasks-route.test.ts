import { describe, expect, test } from "bun:test";
import { causeSpanOf, parseTraceparent, type EventEnvelope } from "../events/index.ts";
import { silentLogger } from "../log.ts";
import { MemoryPublisher } from "../transport/memory-publisher.ts";
import type { Published, Publisher } from "../transport/types.ts";
import { Health } from "../health.ts";
import { createApp } from "./app.ts";
import { IdempotencyStore } from "./idempotency-store.ts";
import { Metrics } from "./metrics.ts";
import type { Problem } from "./problem.ts";
import type { TaskTargets } from "./task-target.ts";
import { tasksRoute } from "./tasks-route.ts";
import { parseWorkflows } from "../workflows/definition.ts";

const TOKEN = "s3cret-token-0123456789";

function setup(options: { publisher?: Publisher; tokens?: string[]; publishTimeoutMs?: number; targets?: TaskTargets } = {}) {
  const publisher = options.publisher ?? new MemoryPublisher();
  const app = createApp({
    logger: silentLogger,
    metrics: new Metrics(),
    readiness: () => new Health().report(),
    routes: [
      tasksRoute({
        publisher,
        idempotency: new IdempotencyStore(":memory:"),
        logger: silentLogger,
        publishTimeoutMs: options.publishTimeoutMs ?? 1000,
        tokens: options.tokens ?? [],
        targets: options.targets,
      }),
    ],
  });
  return { app, publisher };
}

const valid = { title: "Review quarterly report", owner_id: "user-456", priority: 2 };

function post(body: string | object, headers: Record<string, string> = {}) {
  return new Request("http://test/tasks", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("POST /tasks", () => {
  test("answers 201 with the task id and correlation id after publishing task.created keyed by task_id", async () => {
    const { app, publisher } = setup();
    const response = await app.request(post(valid, { "X-Correlation-ID": "req-abc-123" }));
    expect(response.status).toBe(201);
    expect(response.headers.get("X-Correlation-ID")).toBe("req-abc-123");
    const body = await jsonOf(response);
    expect(body).toEqual({ id: expect.any(String), status: "created", correlation_id: "req-abc-123" });
    const [event] = (publisher as MemoryPublisher).published as [EventEnvelope];
    expect(event.event_type).toBe("task.created");
    expect(event.data).toEqual({ task_id: body.id, ...valid });
    expect(event.metadata).toEqual({
      correlation_id: "req-abc-123",
      causation_id: `api-create-${body.id}`,
      source: "task-api",
    });
  });

  test("generates a correlation id when none is sent and echoes it", async () => {
    const { app } = setup();
    const response = await app.request(post({ title: "t", owner_id: "u" }));
    expect(response.status).toBe(201);
    const { correlation_id } = await jsonOf(response);
    expect(correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("X-Correlation-ID")).toBe(correlation_id);
  });

  test("defaults priority to 1", async () => {
    const { app, publisher } = setup();
    await app.request(post({ title: "t", owner_id: "u" }));
    expect((publisher as MemoryPublisher).published[0]!.data.priority).toBe(1);
  });

  const mustBe1to5 = [{ path: "priority", message: "must be 1-5" }];
  const unsafeId = "may only contain A-Z a-z 0-9 . _ : -";
  // [what is wrong, request, status, every problem the answer lists]
  const badRequests: Array<[string, Request, number, Problem[]]> = [
    ["no content type", new Request("http://test/tasks", { method: "POST", body: JSON.stringify(valid) }), 415, [
      { path: "Content-Type", message: "is missing" },
    ]],
    ["text/plain", post(JSON.stringify(valid), { "Content-Type": "text/plain" }), 415, [
      { path: "Content-Type", message: "got text/plain" },
    ]],
    ["form encoded", post("title=x", { "Content-Type": "application/x-www-form-urlencoded" }), 415, [
      { path: "Content-Type", message: "got application/x-www-form-urlencoded" },
    ]],
    ["body over 72 KiB (a 64 KiB input and the rest)", post({ ...valid, title: "x".repeat(80 * 1024) }), 413, [
      { path: "", message: "must be at most 73728 bytes" },
    ]],
    // JSON.parse's own words (Bun is pinned).
    ["invalid JSON", post("{title:"), 400, [{ path: "", message: "JSON Parse error: Expected '}'" }]],
    ["empty body", post(""), 400, [{ path: "", message: "JSON Parse error: Unexpected EOF" }]],
    ["JSON array", post([valid]), 400, [{ path: "", message: "must be a JSON object, not an array" }]],
    ["JSON string", post('"task"'), 400, [{ path: "", message: "must be a JSON object, not a string" }]],
    ["JSON number", post("42"), 400, [{ path: "", message: "must be a JSON object, not a number" }]],
    ["null", post("null"), 400, [{ path: "", message: "must be a JSON object, not null" }]],
    ["missing title", post({ owner_id: "u" }), 400, [
      { path: "title", message: "is required" },
    ]],
    ["empty title", post({ ...valid, title: "" }), 400, [{ path: "title", message: "must be 1-500 characters" }]],
    ["title over 500 characters", post({ ...valid, title: "x".repeat(501) }), 400, [
      { path: "title", message: "must be 1-500 characters" },
    ]],
    ["title not a string", post({ ...valid, title: 42 }), 400, [{ path: "title", message: "must be a string" }]],
    ["missing owner_id", post({ title: "t" }), 400, [
      { path: "owner_id", message: "is required" },
    ]],
    ["owner_id with a space", post({ ...valid, owner_id: "user 456" }), 400, [{ path: "owner_id", message: unsafeId }]],
    ["owner_id with @", post({ ...valid, owner_id: "a@evil.com" }), 400, [{ path: "owner_id", message: unsafeId }]],
    ["owner_id too long", post({ ...valid, owner_id: "u".repeat(129) }), 400, [
      { path: "owner_id", message: "must be at most 128 characters" },
    ]],
    ["priority 0", post({ ...valid, priority: 0 }), 400, mustBe1to5],
    ["priority 6", post({ ...valid, priority: 6 }), 400, mustBe1to5],
    ["priority 2.5", post({ ...valid, priority: 2.5 }), 400, [{ path: "priority", message: "must be an integer" }]],
    ["priority as a string", post({ ...valid, priority: "2" }), 400, [{ path: "priority", message: "must be a number" }]],
    ["unknown field", post({ ...valid, priorty: 3 }), 400, [
      { path: "priorty", message: "is not a field of a task (title, owner_id, priority, agent_type, workflow, input)" },
    ]],
    ["correlation id with spaces", post(valid, { "X-Correlation-ID": "req 1" }), 400, [
      { path: "X-Correlation-ID", message: unsafeId },
    ]],
    ["correlation id too long", post(valid, { "X-Correlation-ID": "r".repeat(129) }), 400, [
      { path: "X-Correlation-ID", message: "must be at most 128 characters, got 129" },
    ]],
    ["idempotency key with a space", post(valid, { "Idempotency-Key": "a b" }), 400, [
      { path: "Idempotency-Key", message: "must be 1-255 visible ASCII characters" },
    ]],
    // An unknown route is named in `error`; there is no field to point at.
    ["GET on /tasks", new Request("http://test/tasks"), 405, [{ path: "", message: "create a task with POST" }]],
    ["unknown path", new Request("http://test/task", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }), 404, []],
  ];

  test.each(badRequests)("%s: its status, and a JSON body listing exactly its problems", async (_name, request, status, problems) => {
    const { app, publisher } = setup();
    const response = await app.request(request);
    expect(response.status).toBe(status);
    expect(await jsonOf(response)).toEqual({ error: expect.any(String), problems });
    expect((publisher as MemoryPublisher).published).toHaveLength(0);
  });

  test("lists every problem of a body at once", async () => {
    const { app } = setup();
    const response = await app.request(post({ title: "", owner_id: "a b", priority: 9 }));
    const { problems } = await jsonOf(response);
    expect(problems.map((p: { path: string }) => p.path).sort()).toEqual(["owner_id", "priority", "title"]);
  });

  test("a retry with the same Idempotency-Key and body returns the first answer and publishes nothing new", async () => {
    const { app, publisher } = setup();
    const first = await app.request(post(valid, { "Idempotency-Key": "key-1" }));
    const second = await app.request(post(valid, { "Idempotency-Key": "key-1" }));
    expect(second.status).toBe(201);
    expect(await jsonOf(second)).toEqual(await jsonOf(first));
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect((publisher as MemoryPublisher).published).toHaveLength(1);
  });

  test("the same Idempotency-Key with another body gets 422", async () => {
    const { app, publisher } = setup();
    await app.request(post(valid, { "Idempotency-Key": "key-2" }));
    const response = await app.request(post({ ...valid, priority: 5 }, { "Idempotency-Key": "key-2" }));
    expect(response.status).toBe(422);
    expect((await jsonOf(response)).problems[0].path).toBe("Idempotency-Key");
    expect((publisher as MemoryPublisher).published).toHaveLength(1);
  });

  test("answers 503 with Retry-After when the broker does not acknowledge in time, and the key can be retried", async () => {
    const never: Publisher = { publish: () => new Promise<Published>(() => {}), close: async () => {} };
    const { app } = setup({ publisher: never, publishTimeoutMs: 50 });
    const response = await app.request(post(valid, { "Idempotency-Key": "key-3" }));
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    // A timeout is not a refusal: the write may still land, so the answer says how to be sure.
    expect((await jsonOf(response)).error).toContain("it may still be recorded: retry with the same Idempotency-Key");
    const retry = await app.request(post(valid, { "Idempotency-Key": "key-3" }));
    expect(retry.status).toBe(503);
  });

  test("a retried key publishes the same event_id and task_id after a failed first attempt", async () => {
    const flaky = new MemoryPublisher();
    flaky.failWith = new Error("broker down");
    const { app } = setup({ publisher: flaky });
    expect((await app.request(post(valid, { "Idempotency-Key": "key-4" }))).status).toBe(503);
    flaky.failWith = undefined;
    const ok = await app.request(post(valid, { "Idempotency-Key": "key-4" }));
    const again = setup({ publisher: new MemoryPublisher() });
    const elsewhere = await again.app.request(post(valid, { "Idempotency-Key": "key-4" }));
    expect((await jsonOf(ok)).id).toBe((await jsonOf(elsewhere)).id);
    expect(flaky.published[0]!.event_id).toBe((again.publisher as MemoryPublisher).published[0]!.event_id);
  });

  test("with API_TOKENS set, a request without a valid bearer token gets 401 and publishes nothing", async () => {
    const { app, publisher } = setup({ tokens: [TOKEN] });
    const missing = await app.request(post(valid));
    const wrong = await app.request(post(valid, { Authorization: "Bearer wrong-token-0123456789" }));
    const right = await app.request(post(valid, { Authorization: `Bearer ${TOKEN}` }));
    expect(missing.status).toBe(401);
    expect((await jsonOf(missing)).problems[0].path).toBe("Authorization");
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(201);
    expect((publisher as MemoryPublisher).published).toHaveLength(1);
  });
});

describe("health, readiness and metrics", () => {
  test("healthz is 200, readyz follows the checks, metrics is Prometheus text", async () => {
    const metrics = new Metrics();
    let joined = false;
    const health = new Health();
    health.add("group:audit-log", () => (joined ? undefined : "group audit-log not joined"));
    const app = createApp({ logger: silentLogger, metrics, readiness: () => health.report() });
    expect((await app.request("/healthz")).status).toBe(200);
    const notReady = await app.request("/readyz");
    expect(notReady.status).toBe(503);
    expect(await jsonOf(notReady)).toEqual({
      status: "not ready",
      checks: { "group:audit-log": false },
      missing: ["group audit-log not joined"],
    });
    joined = true;
    expect(await jsonOf(await app.request("/readyz"))).toEqual({ status: "ready", checks: { "group:audit-log": true }, missing: [] });
    metrics.forGroup("audit-log").handled("task.created", "ok", 0.002);
    metrics.addLagSource(() => [{ group: "audit-log", topic: "task-events", partition: 0, lag: 7 }]);
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain('agent_events_handled_total{group="audit-log",event_type="task.created",outcome="ok"} 1');
    expect(text).toContain('agent_events_consumer_lag{group="audit-log",topic="task-events",partition="0"} 7');
  });
});

// Response bodies in these tests are checked field by field; their type is whatever the server sent.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function jsonOf(response: Response): Promise<any> {
  return response.json();
}

describe("POST /tasks for an agent or a workflow", () => {
  const workflows = parseWorkflows(`
workflows:
  - name: brief
    steps:
      - { id: summary, agent_type: summarizer, input: { text: "{{input.text}}" } }
      - { id: tags, agent_type: keywords, depends_on: [summary], input: { summary: "{{steps.summary.output.summary}}" } }
`);
  const targets = (types: string[] | undefined): TaskTargets => ({ agentTypes: () => (types ? new Set(types) : undefined), workflows });

  test("a task for a registered agent type publishes task.created with the agent_type and the input", async () => {
    const { app, publisher } = setup({ targets: targets(["summarizer"]) });
    const response = await app.request(post({ ...valid, agent_type: "summarizer", input: { text: "A. B." } }));
    expect(response.status).toBe(201);
    const { id } = await jsonOf(response);
    expect((publisher as MemoryPublisher).published[0]!.data).toEqual({ task_id: id, ...valid, agent_type: "summarizer", input: { text: "A. B." } });
  });

  test("a workflow run answers with its workflow_id, the id GET /workflows/{id} takes", async () => {
    const { app, publisher } = setup({ targets: targets(["summarizer", "keywords"]) });
    const response = await app.request(post({ ...valid, workflow: "brief", input: { text: "A. B." } }));
    expect(response.status).toBe(201);
    const body = await jsonOf(response);
    expect(body.workflow_id).toBe(body.id);
    expect((publisher as MemoryPublisher).published[0]!.data).toMatchObject({ task_id: body.id, workflow: "brief", input: { text: "A. B." } });
  });

  test("every problem with the fields and with what the task is for is listed in one 400", async () => {
    const { app, publisher } = setup({ targets: targets(["summarizer"]) });
    const response = await app.request(post({ title: "", owner_id: "u", workflow: "brief", input: { txt: "A." } }));
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).problems).toEqual([
      { path: "title", message: "must be 1-500 characters" },
      { path: "input.text", message: "is required by workflow brief" },
      { path: "workflow", message: "step tags needs agent type keywords, but no agent of that type has registered (registered: summarizer)" },
    ]);
    expect((publisher as MemoryPublisher).published).toEqual([]);
  });

  test("an input that is not an object, or an input for a plain task, is refused", async () => {
    const { app } = setup({ targets: targets(["summarizer"]) });
    const notObject = await app.request(post({ ...valid, agent_type: "summarizer", input: "text" }));
    expect((await jsonOf(notObject)).problems).toEqual([{ path: "input", message: "must be a JSON object" }]);
    const plain = await app.request(post({ ...valid, input: { text: "t" } }));
    expect((await jsonOf(plain)).problems).toEqual([{ path: "input", message: "is only for a task with an agent_type or a workflow" }]);
  });

  test("before the agent registry has caught up, a task for an agent answers 503 with Retry-After and publishes nothing", async () => {
    const { app, publisher } = setup({ targets: targets(undefined) });
    const response = await app.request(post({ ...valid, agent_type: "summarizer", input: {} }));
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect((await jsonOf(response)).problems).toEqual([{ path: "", message: "the agent registry has not read agent-results up to now yet" }]);
    expect((publisher as MemoryPublisher).published).toEqual([]);
    expect((await app.request(post(valid))).status).toBe(201);
  });
});

describe("POST /tasks and W3C trace context", () => {
  const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  const parentOf = (event: EventEnvelope) => causeSpanOf(event);

  test("continues the caller's trace: task.created descends from the request's span, named in the response", async () => {
    const { app, publisher } = setup();
    const response = await app.request(post(valid, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, tracestate: "rojo=00f067aa0ba902b7" }));
    expect(response.status).toBe(201);
    const answered = parseTraceparent(response.headers.get("traceparent"));
    expect(answered?.traceId).toBe(TRACE);
    expect(answered?.spanId).not.toBe("00f067aa0ba902b7");
    const event = (publisher as MemoryPublisher).published[0]!;
    expect(parentOf(event)).toEqual({ ...answered!, tracestate: "rojo=00f067aa0ba902b7" });
  });

  test("a malformed traceparent is ignored and a new trace started, not refused", async () => {
    const { app, publisher } = setup();
    const response = await app.request(post(valid, { traceparent: "00-not-a-trace-01" }));
    expect(response.status).toBe(201);
    const answered = parseTraceparent(response.headers.get("traceparent"));
    expect(answered?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parentOf((publisher as MemoryPublisher).published[0]!)?.traceId).toBe(answered!.traceId);
  });

  test("a refused request still names its trace", async () => {
    const { app } = setup();
    const response = await app.request(post({ title: "" }, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }));
    expect(response.status).toBe(400);
    expect(parseTraceparent(response.headers.get("traceparent"))?.traceId).toBe(TRACE);
  });
});
