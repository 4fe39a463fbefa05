import { Changes } from "../../src/transport/testing/memory-source.ts";

export interface HandlerCall {
  taskId: string;
  idempotencyKey: string;
  correlationId: string;
  attempt: number;
  deadline: string;
}

/**
 * An agent's HTTP handler for tests, whose behaviour each task picks with `input.mode`: "sleep" (for
 * `input.ms`, then output), "error" ({"error"}), "refuse" (422), "flaky" (500 for the first
 * `input.failures` calls), "down" (always 503), "not-json", "huge" (a 2 MiB reply); anything else echoes the
 * input. It counts how many calls overlap, and can hold every answer until released.
 */
export function startTaskHandler() {
  const calls: HandlerCall[] = [];
  const open = new Map<string, number>();
  const changes = new Changes();
  let overlap = 0;
  let maxOverlap = 0;
  let held: PromiseWithResolvers<void> | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const task = (await request.json()) as { task_id: string; attempt: number; deadline: string; input: Record<string, unknown> };
      const call = {
        taskId: task.task_id,
        idempotencyKey: request.headers.get("Idempotency-Key") ?? "",
        correlationId: request.headers.get("X-Correlation-ID") ?? "",
        attempt: task.attempt,
        deadline: task.deadline,
      };
      calls.push(call);
      open.set(task.task_id, (open.get(task.task_id) ?? 0) + 1);
      maxOverlap = Math.max(maxOverlap, ++overlap);
      changes.notify();
      try {
        return await answer(task);
      } finally {
        overlap--;
        const left = (open.get(task.task_id) ?? 1) - 1;
        if (left === 0) open.delete(task.task_id);
        else open.set(task.task_id, left);
        changes.notify();
      }
    },
  });

  async function answer(task: { task_id: string; input: Record<string, unknown> }): Promise<Response> {
    const { input } = task;
    if (input.mode === "sleep") await Bun.sleep(Number(input.ms));
    if (held) await held.promise;
    const seen = calls.filter((c) => c.taskId === task.task_id).length;
    switch (input.mode) {
      case "error":
        return Response.json({ error: "cannot summarize an empty text" });
      case "refuse":
        return new Response("this task is not for me", { status: 422 });
      case "flaky":
        return seen <= Number(input.failures) ? new Response("overloaded", { status: 500 }) : Response.json({ output: { after: seen } });
      case "down":
        return new Response("maintenance", { status: 503 });
      case "not-json":
        return new Response("all done, thanks");
      case "huge":
        return new Response(JSON.stringify({ output: "x".repeat(2 * 1024 * 1024) }));
      default:
        return Response.json({ output: { task_id: task.task_id, input } });
    }
  }

  return {
    url: `http://127.0.0.1:${server.port}/task`,
    calls,
    maxOverlap: () => maxOverlap,
    /** Task ids with a call in progress now. */
    inProgress: () => [...open.keys()],
    until: (ready: () => boolean) => changes.until(ready),
    /** Answers nothing until `release`. */
    hold() {
      held = Promise.withResolvers<void>();
    },
    release() {
      held?.resolve();
      held = undefined;
    },
    close: () => server.stop(true),
  };
}
