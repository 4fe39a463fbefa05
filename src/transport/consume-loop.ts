import type { StopResult } from "./subscriber.ts";

/** What the process needs of a consume loop, whichever kind (Subscriber, ParallelLoop). */
export interface ConsumeLoop {
  /** Runs the loop; settles once it has stopped. */
  start(): Promise<void>;
  /** Finishes the work in hand until `handDeadline`, gives up on the rest, and leaves the group by `deadline`. */
  stop(handDeadline: number, deadline: number): Promise<StopResult>;
  /** Joined the group and owns at least one partition. */
  readonly ready: boolean;
  /** Why work cannot be finished right now (a full disk, the broker away), or undefined. */
  readonly blocked: string | undefined;
  lag(): Array<{ topic: string; partition: number; lag: number }>;
}
