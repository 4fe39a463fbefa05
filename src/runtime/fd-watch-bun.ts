import type { FdHandlers, WatchedFd } from "./fd-watch.ts";

export async function watchFdBun(fd: number, handlers: FdHandlers): Promise<WatchedFd> {
  // Bun.connect adopts an fd (FdSocketOptions), though its typed overloads only name host and unix.
  const options = { fd, socket: { data: handlers.data, error: handlers.lost, close: handlers.lost } };
  const socket = await Bun.connect(options as unknown as Parameters<typeof Bun.connect>[0]);
  return { ref: () => socket.ref(), unref: () => socket.unref(), close: () => socket.terminate() };
}
