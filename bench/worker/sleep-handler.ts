// The benchmark's agent: an HTTP handler that answers each task after SLEEP_MS (0: at once), on PORT.
const sleepMs = Number(process.env.SLEEP_MS ?? 100);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 0,
  async fetch(request) {
    const task = (await request.json()) as { task_id: string };
    if (sleepMs > 0) await Bun.sleep(sleepMs);
    return Response.json({ output: { task_id: task.task_id } });
  },
});
console.log(`listening ${server.port}`);
