import { runtime } from "./which.ts";

/** A file descriptor the event loop watches for readable data (epoll on both runtimes). */
export interface WatchedFd {
  /** Whether a pending read keeps the process alive. */
  ref(): void;
  unref(): void;
  /** Stops watching and closes the fd. */
  close(): void;
}

export interface FdHandlers {
  /** Bytes arrived (they are read and dropped: only their arrival matters). */
  data(): void;
  /** The fd failed or closed: nothing more will be signalled. */
  lost(): void;
}

type WatchFd = (fd: number, handlers: FdHandlers) => Promise<WatchedFd>;

/** Adopts a socket fd (it must be a socket: Bun adopts only those). Rejects if the runtime cannot. */
export const watchFd: WatchFd =
  runtime === "bun" ? (await import("./fd-watch-bun.ts")).watchFdBun : (await import("./fd-watch-deno.ts")).watchFdDeno;
