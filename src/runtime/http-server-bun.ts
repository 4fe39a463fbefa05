import type { HttpServer, ServeOptions } from "./http-server.ts";

export function serve({ hostname, port, fetch: handle }: ServeOptions): HttpServer {
  const server = Bun.serve({ hostname, port, fetch: (request) => handle(request) });
  return {
    port: server.port!,
    stop: (closeActiveConnections = false) => server.stop(closeActiveConnections),
  };
}
