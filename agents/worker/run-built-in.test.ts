import { describe, expect, test } from "bun:test";
import { runBuiltIn } from "./run-built-in.ts";
import type { HandlerContext, TaskHandler, TaskRequest } from "./task-request.ts";

const request: TaskRequest = {
  task_id: "task-42",
  agent_type: "summarizer",
  attempt: 1,
  input: { text: "Kafka keeps events." },
  correlation_id: "req-abc-123",
  deadline: "2030-01-01T00:00:00.000Z",
};

function context(signal: AbortSignal = new AbortController().signal): HandlerContext {
  return { idempotencyKey: "5b1f8f9e-2c36-4f44-8d0e-0a4c2b1d9e77", signal };
}

/** A handler answering from `answers` in turn (a function throws), counting its calls and what it got. */
function scripted(...answers: Array<{ output: unknown } | { error: string } | (() => never)>) {
  const calls: Array<{ request: TaskRequest; context: HandlerContext }> = [];
  const handler: TaskHandler = async (req, ctx) => {
    calls.push({ request: req, context: ctx });
    const answer = answers[Math.min(calls.length, answers.length) - 1]!;
    return typeof answer === "function" ? answer() : answer;
  };
  return { handler, calls };
}

const fails = (message: string) => (): never => {
  throw new Error(message);
};

/** Waits between attempts that return at once and are recorded. */
function recordedSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe("running a built-in handler", () => {
  test("{output} completes the task with that output; the handler gets the request and the context", async () => {
    const { handler, calls } = scripted({ output: { summary: "Kafka keeps events." } });
    const ctx = context();

    const outcome = await runBuiltIn(handler, request, ctx, 3);

    expect(outcome).toEqual({ kind: "completed", output: { summary: "Kafka keeps events." } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.request).toEqual(request);
    expect(calls[0]!.context).toBe(ctx);
  });

  test("{error} fails the task for good, with the error in the reason, and is not retried", async () => {
    const { handler, calls } = scripted({ error: "input.text must be a non-empty string" });
    const { sleep, waits } = recordedSleep();

    const outcome = await runBuiltIn(handler, request, context(), 3, sleep);

    expect(outcome).toMatchObject({ kind: "failed", retriable: false });
    expect(outcome.kind === "failed" && outcome.reason).toContain("input.text must be a non-empty string");
    expect(calls).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  test("a throw is retried, and the task completes when a later attempt answers", async () => {
    const { handler, calls } = scripted(fails("model overloaded"), fails("model overloaded"), { output: "done" });
    const { sleep, waits } = recordedSleep();

    const outcome = await runBuiltIn(handler, request, context(), 3, sleep);

    expect(outcome).toEqual({ kind: "completed", output: "done" });
    expect(calls).toHaveLength(3);
    expect(waits).toEqual([500, 1000]);
  });

  test("a throw on every attempt fails the task as retriable, saying how many times and the last error; the waits double", async () => {
    const { handler, calls } = scripted(fails("first"), fails("second"), fails("third"), fails("model overloaded"));
    const { sleep, waits } = recordedSleep();

    const outcome = await runBuiltIn(handler, request, context(), 3, sleep);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    const reason = outcome.kind === "failed" ? outcome.reason : "";
    expect(reason).toContain("failed 4 times");
    expect(reason).toContain("model overloaded");
    expect(calls).toHaveLength(4);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  test("a throw of something other than an Error is reported as text", async () => {
    const handler: TaskHandler = async () => {
      throw "out of tokens";
    };

    const outcome = await runBuiltIn(handler, request, context(), 0);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("out of tokens");
  });

  test("a handler that ignores its signal does not hold the task past the deadline", async () => {
    const deadline = new AbortController();
    let calls = 0;
    const handler: TaskHandler = () => {
      calls++;
      // The deadline comes while the handler works, and the handler never answers.
      queueMicrotask(() => deadline.abort(new Error("deadline reached")));
      return new Promise(() => {});
    };
    const { sleep, waits } = recordedSleep();

    const outcome = await runBuiltIn(handler, request, context(deadline.signal), 3, sleep);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline 2030-01-01T00:00:00.000Z");
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  }, 10_000);

  test("a handler that never answers ends at a deadline given as a timeout", async () => {
    const handler: TaskHandler = () => new Promise(() => {});

    const outcome = await runBuiltIn(handler, request, context(AbortSignal.timeout(50)), 0);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline");
  }, 10_000);

  test("a handler that throws because its signal aborted is not retried", async () => {
    const deadline = new AbortController();
    const { sleep, waits } = recordedSleep();
    let calls = 0;
    const handler: TaskHandler = async () => {
      calls++;
      deadline.abort(new Error("deadline reached"));
      throw new Error("aborted");
    };

    const outcome = await runBuiltIn(handler, request, context(deadline.signal), 3, sleep);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline");
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  test("a signal already aborted does not call the handler", async () => {
    const { handler, calls } = scripted({ output: "done" });

    const outcome = await runBuiltIn(handler, request, context(AbortSignal.abort()), 3);

    expect(outcome).toMatchObject({ kind: "failed", retriable: true });
    expect(outcome.kind === "failed" && outcome.reason).toContain("by the deadline");
    expect(calls).toHaveLength(0);
  });
});
