import type { Pointer } from "../runtime/native.ts";
import { QueueWakeup } from "./queue-wakeup.ts";

export interface PollTurn {
  /** Serve the queues; return how many events were handled. */
  (): number;
}

/**
 * What the owner needs now: nothing (`idle`: the loop must not keep the process alive), results that
 * arrive on a watched queue (`awaiting`), or a change no queue signals, such as a consumer's close
 * completing (`polling`).
 */
export type Demand = "idle" | "awaiting" | "polling";

export interface PollLoopOptions {
  busyMs: number;
  maxBusyMs: number;
  idleMs: number;
}

const SAFETY_NET_MS = 1000;

/**
 * Drives a client's librdkafka queues from the JS thread. librdkafka is never allowed to call into
 * JavaScript from its own threads, so every delivery report, message and rebalance is pulled here.
 *
 * After a turn that found work the next one runs at once. After an empty turn the loop sleeps until one
 * of its watched queues signals new work (see QueueWakeup), so a result is served within a tick of its
 * arrival and an idle client costs almost nothing. A one-second timer stays as a safety net and keeps the
 * consumer's max.poll.interval.ms satisfied (at 100 ms it was half of an idle pair's CPU, 0.3 % of a core).
 * Where wake-ups are unavailable the loop polls on timers: every `busyMs`, backing off to `maxBusyMs`,
 * while something is awaited, else every `idleMs`.
 */
export class PollLoop {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private stopped = false;
  private emptyTurns = 0;
  private readonly wakeup: QueueWakeup | null;

  constructor(
    private readonly turn: PollTurn,
    private readonly demand: () => Demand,
    private readonly options: PollLoopOptions = { busyMs: 1, maxBusyMs: 2, idleMs: 100 },
  ) {
    this.wakeup = QueueWakeup.create(this.wake);
    this.schedule(0);
  }

  /** Has librdkafka wake the loop when `queue` turns non-empty; undone by stop(). */
  watch(queue: Pointer): void {
    this.wakeup?.watch(queue);
  }

  /** Runs a turn soon: called when new work starts so an idle loop does not sleep through it. */
  readonly wake = (): void => {
    if (this.stopped || this.immediate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.emptyTurns = 0;
    this.immediate = setImmediate(this.run);
  };

  /** Stops the loop and the queues' signalling; call before destroying the watched queues. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.wakeup?.close();
  }

  private readonly run = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.stopped) return;
    let handled = 0;
    try {
      handled = this.turn();
    } finally {
      this.schedule(handled);
    }
  };

  private schedule(handled: number): void {
    if (this.stopped) return;
    if (handled > 0) {
      this.emptyTurns = 0;
      this.immediate = setImmediate(this.run);
      return;
    }
    const demand = this.demand();
    const { busyMs, maxBusyMs, idleMs } = this.options;
    if (this.wakeup?.ready && demand !== "polling") {
      // The socket, referenced while a result is awaited, is what keeps the process alive; the timer is
      // only the safety net.
      this.wakeup.ref(demand === "awaiting");
      this.timer = setTimeout(this.run, SAFETY_NET_MS);
      this.timer.unref();
      return;
    }
    this.wakeup?.ref(demand !== "idle");
    // While awaiting, back off from busyMs to maxBusyMs over empty turns: quick answers stay quick, and a
    // consumer waiting on a quiet topic costs ~100 cheap polls a second rather than 1,000.
    const delay = demand === "idle" ? idleMs : Math.min(maxBusyMs, busyMs * 2 ** this.emptyTurns++);
    this.timer = setTimeout(this.run, delay);
    if (demand === "idle") this.timer.unref();
  }
}
