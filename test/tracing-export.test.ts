import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, eventually } from "./support/agent-process.ts";
import { testBootstrap } from "./support/kafka-cluster.ts";
import { Zipkin, type ZipkinSpan } from "./support/zipkin.ts";

// Every role of the compiled binary as its own process, exporting spans to a real Zipkin, and a real HTTP
// handler behind the worker. Zipkin 3 takes OTLP only through a module that is not on Maven Central, so the
// roles export with OTEL_TRACES_EXPORTER=zipkin (the SDK's Zipkin exporter); the spans and their ids are the
// same whichever exporter sends them.
const DEADLINE_MS = 90_000;
const AGENT_TYPE = "tracer-echo";
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

let zipkin: Zipkin;
let dir: string;
let handler: ReturnType<typeof Bun.serve>;
const handlerHeaders: Array<{ traceparent: string | null; tracestate: string | null }> = [];
const roles: Record<string, AgentProcess> = {};

beforeAll(async () => {
  zipkin = await Zipkin.start();
  dir = mkdtempSync(join(tmpdir(), "tracing-export-"));
  handler = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      handlerHeaders.push({ traceparent: request.headers.get("traceparent"), tracestate: request.headers.get("tracestate") });
      const task = (await request.json()) as { input: unknown };
      return Response.json({ output: task.input });
    },
  });
  const common = {
    KAFKA_BOOTSTRAP_SERVERS: testBootstrap(),
    OTEL_TRACES_EXPORTER: "zipkin",
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
  };
  const start = (role: string, env: Record<string, string> = {}) =>
    (roles[role] = new AgentProcess([`--role=${role}`], { ...common, DATA_DIR: join(dir, role), ...env }));
  start("worker", { AGENT_TYPE, AGENT_ID: "tracer-echo-1", AGENT_HANDLER_URL: `http://127.0.0.1:${handler.port}/task`, AGENT_HANDLER_RETRIES: "0" });
  start("orchestrator");
  start("email");
  start("slack");
  start("audit");
  start("api");
  await Promise.all(Object.values(roles).map((role) => role.ready()));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(roles).map((role) => role.kill()));
  await handler?.stop(true);
  await zipkin?.stop();
});

test(
  "one request's spans, from every role, form one parent-linked trace that continues the caller's",
  async () => {
    // The api accepts an agent_type once its registry has read the worker's registration: until then, 503.
    const response = await eventually(async () => {
      const answer = await fetch(`${roles.api!.url}/tasks`, {
        method: "POST",
        headers: { "Content-Type": "application/json", traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: "rojo=00f067aa0ba902b7" },
        body: JSON.stringify({ title: "Traced task", owner_id: "user-1", agent_type: AGENT_TYPE, input: { text: "hello" } }),
      });
      return answer.status === 503 ? undefined : answer;
    }, 250);
    expect(response.status).toBe(201);
    expect(response.headers.get("traceparent")).toStartWith(`00-${CALLER_TRACE}-`);

    const services = ["api", "orchestrator", "worker", "email", "slack", "audit"].map((role) => `agent-events-${role}`);
    const expectedNames = ["post /tasks", "publish task.created", "publish task.assigned", `call handler ${AGENT_TYPE}`, "publish agent.task.completed", "publish task.completed", "publish notification.sent"];
    // Spans leave each process in batches (every 5 s): polled until the whole trace is there, or the deadline.
    let spans: ZipkinSpan[] = [];
    const complete = () => {
      const seen = new Set(spans.map((span) => span.localEndpoint?.serviceName));
      const names = new Set(spans.map((span) => span.name));
      return services.every((s) => seen.has(s)) && expectedNames.every((n) => names.has(n)) && auditHandled(spans);
    };
    const deadline = Date.now() + DEADLINE_MS;
    while (!complete()) {
      if (Date.now() > deadline) throw new Error(`trace incomplete after ${DEADLINE_MS} ms: ${spans.map((s) => `${s.localEndpoint?.serviceName}: ${s.name}`).join(", ")}`);
      await Bun.sleep(250);
      spans = await zipkin.trace(CALLER_TRACE);
    }

    // Parent-linked: every span's parent is in the trace, except the request's, whose parent is the caller's.
    const ids = new Set(spans.map((span) => span.id));
    const orphans = spans.filter((span) => !span.parentId || !ids.has(span.parentId));
    expect(orphans.map((span) => [span.name, span.parentId])).toEqual([["post /tasks", CALLER_SPAN]]);

    // The handler was called under the "call handler" span, which the exported trace holds under that id.
    const call = spans.find((span) => span.name === `call handler ${AGENT_TYPE}`)!;
    expect(handlerHeaders).toContainEqual({ traceparent: `00-${CALLER_TRACE}-${call.id}-01`, tracestate: "rojo=00f067aa0ba902b7" });

    // Each hop hangs under its cause: the assignment's publish under the orchestrator's handling of task.created.
    const byId = new Map(spans.map((span) => [span.id, span]));
    const chain = (span: ZipkinSpan): string[] => (span.parentId && byId.has(span.parentId) ? [...chain(byId.get(span.parentId)!), span.name] : [span.name]);
    expect(chain(spans.find((span) => span.name === "publish task.completed")!)).toEqual([
      "post /tasks",
      "publish task.created",
      "orchestrator task.created",
      "publish task.assigned",
      `worker:${AGENT_TYPE} task.assigned`,
      "publish agent.task.accepted",
      "publish agent.task.completed",
      "orchestrator agent.task.completed",
      "publish task.completed",
    ]);
  },
  DEADLINE_MS + 30_000,
);

/** The audit agent's handling of task.created is in the trace. */
function auditHandled(trace: ZipkinSpan[]): boolean {
  return trace.some((span) => span.localEndpoint?.serviceName === "agent-events-audit" && span.name.endsWith("task.created"));
}
