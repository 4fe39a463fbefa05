/*
 * An HTTP server, the same on every runtime: Bun.serve under Bun, Deno.serve under Deno. Each request goes
 * to `fetch` alone (no runtime's server object beside it), so handlers cannot come to depend on one.
 *
 * Left different: Bun closes a keep-alive connection idle for 10 s, Deno keeps it until the client closes it.
 */
import { runtime } from "./which.ts";

export interface ServeOptions {
  hostname: string;
  /** 0 for any free port; `port` of the server says which. */
  port: number;
  fetch(request: Request): Response | Promise<Response>;
}

export interface HttpServer {
  /** The port listened on. */
  readonly port: number;
  /**
   * Stops accepting connections and resolves once every one is closed: requests in flight are answered
   * first, or (`closeActiveConnections`) cut off at once. Idle keep-alive connections are closed at once.
   */
  stop(closeActiveConnections?: boolean): Promise<void>;
}

/** Listens at once: the port is bound when this returns. */
export const serve: (options: ServeOptions) => HttpServer =
  runtime === "bun" ? (await import("./http-server-bun.ts")).serve : (await import("./http-server-deno.ts")).serve;
