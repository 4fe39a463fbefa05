import { afterEach, describe, expect, test } from "bun:test";
import { childContext, parseTraceparent } from "../../src/events/index.ts";
import { callHttpHandler, MAX_REPLY_BYTES, type HttpHandlerOptions } from "./http-handler.ts";
import type { HandlerContext, TaskRequest } from "./task-request.ts";

type Server = ReturnType<typeof Bun.serve>;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop(true);
});

/** A handler on 127.0.0.1 answering with `fetch`; every request it gets is kept, body included. */
function handlerServer(fetch: (request: Request, call: number) => Response | Promise<Response>) {
  const received: Array<{ method: string; path: string; headers: Headers; body: unknown }> = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const text = await request.text();
      received.push({ method: request.method, path: new URL(request.url).pathname, headers: request.headers, body: JSON.parse(text) });
      return fetch(request, received.length);
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/task`, received };
}

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = server.port!;
  await server.stop(true);
  return port;
}

function taskRequest(overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    task_id: "task-42",
    agent_type: "translator",
    attempt: 2,
    input: { text: "Bonjour", to: "en" },
    correlation_id: "req-abc-123",
    deadline: "2030-01-01T00:00:00.000Z",
    ...overrides,
  };
}

function context(signal: AbortSignal = new AbortController().signal): HandlerContext {
  return { idempotencyKey: "0b5e3c1e-6d0f-4c1a-9a7e-2f1d3c4b5a69", signal };
}

/** Options whose waits between attempts return at once and are recorded. */
function options(url: string, retries: number, overrides: Partial<HttpHandlerOptions> = {}) {
  const waits: number[] = [];
  return { waits, options: { url, retries, sleep: async (ms: number) => void waits.push(ms), ...overrides } };
}

const json = (body: unknown, status = 200) => Response.json(body, { status });

describe("calling an agent's handler over HTTP", () => {
  test("POSTs the task as JSON with Content-Type, Idempotency-Key and X-Correlation-ID", async () => {
    const handler = handlerServer(() => json({ output: "ok" }));
    const request = taskRequest();

    await callHttpHandler(request, context(), options(handler.url, 0).options);

    expect(handler.received).toHaveLength(1);
    const [call] = handler.received;
    expect(call!.method).toBe("POST");
    expect(call!.path).toBe("/task");
    expect(call!.headers.get("content-type")).toBe("application/json");
    expect(call!.headers.get("idempotency-key")).toBe("0b5e3c1e-6d0f-4c1a-9a7e-2f1d3c4b5a69");
    expect(call!.headers.get("x-correlation-id")).toBe("req-abc-123");
    expect(call!.body).toEqual(request);
  });

  test.each([
    ["an object", { summary: "Hello", words: 1 }],
    ["a string", "Hello"],
    ["a number", 42],
    ["false", false],
    ["null", null],
    ["an array", [1, "two", { three: 3 }]],
  ])("200 {output} completes the task with that output, whatever JSON it is: %s", async (_, output) => {
    const handler = handlerServer(() => json({ output }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toEqual({ kind: "completed", output });
    expect(handler.received).toHaveLength(1);
  });

  test("200 {error} fails the task for good, with a reason naming the error, and is not retried", async () => {
    const handler = handlerServer(() => json({ error: "input.text is in a language I do not know" }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain("input.text is in a language I do not know");
    expect(handler.received).toHaveLength(1);
  });

  test("a reply with both error and output fails the task: the error wins", async () => {
    const handler = handlerServer(() => json({ output: "partial", error: "gave up halfway" }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 0).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain("gave up halfway");
  });

  test("an error of null is no error: the output completes the task", async () => {
    const handler = handlerServer(() => json({ output: "done", error: null }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 0).options);

    expect(outcome).toEqual({ kind: "completed", output: "done" });
  });

  test("an error that is not a string is reported as its JSON", async () => {
    const handler = handlerServer(() => json({ error: { code: "UNSUPPORTED", field: "to" } }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 0).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain('{"code":"UNSUPPORTED","field":"to"}');
  });

  test("a 4xx fails the task for good, with the status and the start of the body, and is not retried", async () => {
    const handler = handlerServer(() => new Response("missing field: input.text\n", { status: 422 }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    const reason = outcome.kind === "failed" ? outcome.reason : "";
    expect(reason).toContain("HTTP 422");
    expect(reason).toContain("missing field: input.text");
    expect(handler.received).toHaveLength(1);
  });

  test("a long 4xx body is cut to a snippet in the reason", async () => {
    const handler = handlerServer(() => new Response(`${"a".repeat(200)} ${"b".repeat(5_000)}`, { status: 400 }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 0).options);

    const reason = outcome.kind === "failed" ? outcome.reason : "";
    expect(reason).toContain("HTTP 400");
    expect(reason).toContain("a".repeat(200));
    expect(reason.length).toBeLessThan(500);
  });

  test("a 5xx is retried, and the task completes when a later attempt answers 200", async () => {
    const handler = handlerServer((_, call) => (call < 3 ? new Response("busy", { status: 503 }) : json({ output: { done: true } })));
    const { options: opts, waits } = options(handler.url, 5);

    const outcome = await callHttpHandler(taskRequest(), context(), opts);

    expect(outcome).toEqual({ kind: "completed", output: { done: true } });
    expect(handler.received).toHaveLength(3);
    expect(waits).toEqual([500, 1000]);
    // Every attempt carries the same Idempotency-Key, so the handler can do its effects once.
    expect(new Set(handler.received.map((call) => call.headers.get("idempotency-key")))).toEqual(new Set(["0b5e3c1e-6d0f-4c1a-9a7e-2f1d3c4b5a69"]));
  });

  test("a 5xx on every attempt fails the task as retriable, saying how many times it failed; the waits between attempts double", async () => {
    const handler = handlerServer(() => new Response("database is down", { status: 500 }));
    const { options: opts, waits } = options(handler.url, 3);

    const outcome = await callHttpHandler(taskRequest(), context(), opts);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    const reason = outcome.kind === "failed" ? outcome.reason : "";
    expect(reason).toContain("failed 4 times");
    expect(reason).toContain("HTTP 500");
    expect(reason).toContain("database is down");
    expect(handler.received).toHaveLength(4);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  test("the waits between attempts stop growing at 10 s", async () => {
    const handler = handlerServer(() => new Response("", { status: 502 }));
    const { options: opts, waits } = options(handler.url, 7);

    await callHttpHandler(taskRequest(), context(), opts);

    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test("with no retries, a 5xx fails at once as retriable", async () => {
    const handler = handlerServer(() => new Response("", { status: 500 }));
    const { options: opts, waits } = options(handler.url, 0);

    const outcome = await callHttpHandler(taskRequest(), context(), opts);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("failed 1 times");
    expect(handler.received).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  test("a refused connection is retried, then fails the task as retriable", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/task`;
    const { options: opts, waits } = options(url, 2);

    const outcome = await callHttpHandler(taskRequest(), context(), opts);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    const reason = outcome.kind === "failed" ? outcome.reason : "";
    expect(reason).toContain("failed 3 times");
    expect(reason).toContain(`cannot reach ${url}`);
    expect(waits).toEqual([500, 1000]);
  });

  test("a reply that is not JSON fails the task for good, saying so", async () => {
    const handler = handlerServer(() => new Response("<html>Welcome to nginx</html>", { status: 200 }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    const reason = outcome.kind === "failed" ? outcome.reason : "";
    expect(reason).toContain("not JSON");
    expect(reason).toContain("Welcome to nginx");
    expect(handler.received).toHaveLength(1);
  });

  test.each([
    ["an object with neither", { result: "Hello" }],
    ["an array", [{ output: "Hello" }]],
    ["a bare value", "Hello"],
    ["null", null],
  ])("a JSON reply without output or error fails the task for good, saying so: %s", async (_, body) => {
    const handler = handlerServer(() => json(body));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain('neither "output" nor "error"');
    expect(handler.received).toHaveLength(1);
  });

  test("a reply over 1 MiB fails the task for good without being read to its end", async () => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    // A body that never ends: reading it all would never finish.
    const handler = handlerServer(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              sent += chunk.byteLength;
              controller.enqueue(chunk);
            },
          }),
          { status: 200, headers: { "Content-Type": "application/json" } },
        ),
    );

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain("over 1 MiB");
    expect(sent).toBeGreaterThan(MAX_REPLY_BYTES);
    // What the sockets buffered ahead, nowhere near the gigabytes an unbounded read would take in.
    expect(sent).toBeLessThan(64 * MAX_REPLY_BYTES);
    expect(handler.received).toHaveLength(1);
  }, 10_000);

  test("a reply of just under 1 MiB is read whole", async () => {
    const output = "x".repeat(MAX_REPLY_BYTES - 100);
    const handler = handlerServer(() => json({ output }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 0).options);

    expect(outcome).toEqual({ kind: "completed", output });
  });

  test("no answer by the deadline fails the task as retriable, saying so", async () => {
    const deadline = new AbortController();
    const held = Promise.withResolvers<Response>();
    const handler = handlerServer(() => {
      // The handler has the request and is working on it when the deadline comes.
      deadline.abort(new Error("deadline reached"));
      return held.promise;
    });

    const outcome = await callHttpHandler(taskRequest(), context(deadline.signal), options(handler.url, 3).options);
    held.resolve(json({ output: "too late" }));

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline 2030-01-01T00:00:00.000Z");
    expect(handler.received).toHaveLength(1);
  });

  test("a deadline given as a timeout ends a request the handler holds", async () => {
    const held = Promise.withResolvers<Response>();
    const handler = handlerServer(() => held.promise);

    const outcome = await callHttpHandler(taskRequest(), context(AbortSignal.timeout(100)), options(handler.url, 3).options);
    held.resolve(json({ output: "too late" }));

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline");
  });

  test("a reply whose body is still coming at the deadline fails the task as retriable", async () => {
    const deadline = new AbortController();
    const handler = handlerServer(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"output": "the first half'));
            },
            pull() {
              // The rest never comes; the deadline does, once the first half was sent.
              deadline.abort(new Error("deadline reached"));
              return new Promise(() => {});
            },
          }),
          { status: 200 },
        ),
    );

    const outcome = await callHttpHandler(taskRequest(), context(deadline.signal), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline");
    expect(handler.received).toHaveLength(1);
  });

  test("a deadline reached while waiting to retry stops the retries, and the task fails as retriable by the deadline", async () => {
    const deadline = new AbortController();
    const handler = handlerServer(() => new Response("", { status: 503 }));
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      deadline.abort(new Error("deadline reached"));
    };

    const outcome = await callHttpHandler(taskRequest(), context(deadline.signal), { url: handler.url, retries: 5, sleep });

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline");
    expect(handler.received).toHaveLength(1);
    expect(waits).toEqual([500]);
  });

  test.each([
    [204, null],
    [201, JSON.stringify({ output: "created" })],
    [202, JSON.stringify({ output: "later" })],
  ])("a %i, not 200, fails the task for good: the contract is 200", async (status, body) => {
    const handler = handlerServer(() => new Response(body, { status }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain(`HTTP ${status}`);
    expect(handler.received).toHaveLength(1);
  });

  test("a 3xx that is not followed to a 200 fails the task for good", async () => {
    const handler = handlerServer(() => new Response(null, { status: 304 }));

    const outcome = await callHttpHandler(taskRequest(), context(), options(handler.url, 3).options);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain("HTTP 304");
  });
});

describe("trace context", () => {
  test("the handler is called with the call's traceparent and tracestate, so it can continue the trace", async () => {
    const handler = handlerServer(() => Response.json({ output: "ok" }));
    const trace = childContext(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "rojo=00f067aa0ba902b7"));
    const outcome = await callHttpHandler(taskRequest(), { ...context(), trace }, { url: handler.url, retries: 0 });
    expect(outcome.kind).toBe("completed");
    const headers = handler.received[0]!.headers;
    expect(headers.get("traceparent")).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${trace.spanId}-01`);
    expect(headers.get("tracestate")).toBe("rojo=00f067aa0ba902b7");
  });

  test("without a trace no trace headers are sent", async () => {
    const handler = handlerServer(() => Response.json({ output: "ok" }));
    await callHttpHandler(taskRequest(), context(), { url: handler.url, retries: 0 });
    expect(handler.received[0]!.headers.get("traceparent")).toBeNull();
  });
});
