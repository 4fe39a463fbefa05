import { Socket } from "node:net";
import type { FdHandlers, WatchedFd } from "./fd-watch.ts";

// Deno has no API of its own to adopt an fd; its node:net Socket does, onto the same event loop, with
// ref/unref. (A nonblocking FFI poll() would keep the process alive while it waits.)
export async function watchFdDeno(fd: number, handlers: FdHandlers): Promise<WatchedFd> {
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on("data", handlers.data);
  socket.on("error", handlers.lost);
  socket.on("close", handlers.lost);
  return { ref: () => socket.ref(), unref: () => socket.unref(), close: () => socket.destroy() };
}
