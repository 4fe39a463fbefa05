/** A local HTTP endpoint standing in for Slack's incoming webhook; records every post it answered 200. */
export function startWebhookSink() {
  const posts: unknown[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      posts.push(await request.json());
      for (const waiter of [...waiters]) {
        if (posts.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      return new Response("ok");
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/services/T000/B000/XXXX`,
    posts,
    received(count: number): Promise<void> {
      if (posts.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => server.stop(true),
  };
}
