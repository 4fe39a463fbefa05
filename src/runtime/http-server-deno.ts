import type { HttpServer, ServeOptions } from "./http-server.ts";

/** The part of Deno's global this file uses (the compiler here knows Bun's globals only). */
interface DenoServe {
  serve(
    options: { hostname: string; port: number; signal: AbortSignal; onListen(): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { readonly addr: { port: number }; readonly finished: Promise<void>; shutdown(): Promise<void> };
}

const { Deno } = globalThis as unknown as { Deno: DenoServe };

export function serve({ hostname, port, fetch: handle }: ServeOptions): HttpServer {
  // Aborting closes every connection at once; shutdown() lets requests in flight finish.
  const closeAll = new AbortController();
  // onListen: Deno by default prints a "Listening on" line; the program logs its own, as under Bun.
  const server = Deno.serve({ hostname, port, signal: closeAll.signal, onListen: () => {} }, (request) => handle(request));
  return {
    port: server.addr.port,
    stop: async (closeActiveConnections = false) => {
      if (!closeActiveConnections) return server.shutdown();
      closeAll.abort();
      await server.finished;
    },
  };
}
