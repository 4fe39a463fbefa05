import { ptr, type Pointer } from "../runtime/native.ts";
import { watchFd, type WatchedFd } from "../runtime/fd-watch.ts";
import { AF_UNIX, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM } from "./ffi.ts";
import { libc, librdkafka } from "./library.ts";

const payload = new Uint8Array([1]);

/**
 * Lets librdkafka say "this queue has work" without calling into JavaScript. With
 * rd_kafka_queue_io_event_enable a queue writes one byte to a socket when it turns non-empty (once until the
 * queue is polled again, which re-arms it); the runtime watches the other end of the socket pair on its own event
 * loop (epoll), and the data handler runs on the JS thread like any socket's. A poll loop can then sleep
 * until there is work: low latency without busy polling, and no CPU while idle.
 *
 * A socket pair rather than a pipe because both runtimes adopt a socket fd with ref/unref (see
 * runtime/fd-watch.ts), so an idle client does not keep the process alive.
 */
export class QueueWakeup {
  private socket: WatchedFd | undefined;
  private readonly queues = new Set<Pointer>();
  private referenced = false;
  private closed = false;

  private constructor(
    ours: number,
    private readonly theirs: number,
    onWake: () => void,
  ) {
    // Should the socket fail, the loop falls back to polling on timers rather than waiting for nothing.
    const lost = () => {
      this.socket = undefined;
      onWake();
    };
    watchFd(ours, { data: () => onWake(), lost }).then(
      (socket) => {
        if (this.closed) return socket.close();
        this.socket = socket;
        if (!this.referenced) socket.unref();
        // The loop polled on timers until now; one turn covers whatever arrived meanwhile.
        onWake();
      },
      () => libc()?.close(ours),
    );
  }

  /** A wake-up source, or null where the platform has none (then the loop polls on timers). */
  static create(onWake: () => void): QueueWakeup | null {
    const c = libc();
    if (!c) return null;
    const fds = new Int32Array(2);
    if (c.socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ptr(fds)) !== 0) return null;
    return new QueueWakeup(fds[0]!, fds[1]!, onWake);
  }

  /** True once the event loop watches the socket: only then may a loop sleep without a timer. */
  get ready(): boolean {
    return this.socket !== undefined;
  }

  /** Has `queue` signal this wake-up; must be undone (close) before the queue handle is destroyed. */
  watch(queue: Pointer): void {
    if (this.closed) return;
    librdkafka().rd_kafka_queue_io_event_enable(queue, this.theirs, ptr(payload), 1);
    this.queues.add(queue);
  }

  /** Whether a pending wake-up keeps the process alive: yes while a caller awaits a result. */
  ref(referenced: boolean): void {
    if (this.referenced === referenced) return;
    this.referenced = referenced;
    if (referenced) this.socket?.ref();
    else this.socket?.unref();
  }

  /** Stops every queue's signalling first, so librdkafka never writes to a closed (or reused) fd. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const lib = librdkafka();
    for (const queue of this.queues) lib.rd_kafka_queue_io_event_enable(queue, -1, null, 0);
    this.queues.clear();
    libc()?.close(this.theirs);
    // Not yet adopted: the adoption callback above closes it.
    this.socket?.close();
  }
}
