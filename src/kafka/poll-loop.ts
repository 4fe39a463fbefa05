/**
 * Drives a client's librdkafka queues from the JS thread. librdkafka is never allowed to call into
 * JavaScript from its own threads, so every delivery report, message and rebalance is pulled here.
 *
 * The pace adapts: right after work was found the next turn runs at once; while something is awaited
 * (deliveries in flight, a consumer waiting for messages) it runs every `busyMs`; otherwise every
 * `idleMs` with the timer unref'd, so an idle client neither burns a core nor keeps the process alive.
 */
export interface PollTurn {
  /** Serve the queues; return how many events were handled. */
  (): number;
}

export class PollLoop {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private stopped = false;
  private emptyTurns = 0;

  constructor(
    private readonly turn: PollTurn,
    private readonly isAwaiting: () => boolean,
    private readonly options: { busyMs: number; maxBusyMs: number; idleMs: number } = {
      busyMs: 1,
      maxBusyMs: 2,
      idleMs: 100,
    },
  ) {
    this.schedule(0);
  }

  /** Runs a turn soon: called when new work starts so an idle loop does not sleep through it. */
  wake(): void {
    if (this.stopped || this.immediate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.emptyTurns = 0;
    this.immediate = setImmediate(this.run);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
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
    const awaiting = this.isAwaiting();
    // While awaiting, back off from busyMs to maxBusyMs over empty turns: quick answers stay quick, and a
    // consumer waiting on a quiet topic costs ~100 cheap polls a second rather than 1,000.
    const { busyMs, maxBusyMs, idleMs } = this.options;
    const delay = awaiting ? Math.min(maxBusyMs, busyMs * 2 ** this.emptyTurns++) : idleMs;
    this.timer = setTimeout(this.run, delay);
    if (!awaiting) this.timer.unref();
  }
}
