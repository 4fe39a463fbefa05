/** A post the sink answered 200: its path (one sink can stand in for several webhooks) and JSON body. */
export interface ReceivedPost {
  path: string;
  body: unknown;
}

/**
 * A local HTTP endpoint standing in for Slack's incoming webhook; records every post it answered 200.
 * `beforeAnswer` runs when a post has arrived and before it is answered; throwing from it answers 500 and
 * records nothing: for the webhook, the post did not happen.
 */
export function startWebhookSink(beforeAnswer?: (post: ReceivedPost) => void | Promise<void>) {
  const posts: ReceivedPost[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const post = { path: new URL(request.url).pathname, body: await request.json() };
      try {
        await beforeAnswer?.(post);
      } catch {
        return new Response("refused", { status: 500 });
      }
      posts.push(post);
      return new Response("ok");
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    url: `${base}/services/T000/B000/XXXX`,
    /** A webhook URL of its own on the same sink; its posts carry `path` /services/T000/{name}/XXXX. */
    urlFor: (name: string) => `${base}/services/T000/${name}/XXXX`,
    posts,
    close: () => server.stop(true),
  };
}
