import type { EventEnvelope } from "../events/index.ts";
import type { Published, Publisher } from "./types.ts";

/** A Publisher that keeps events in memory, for unit tests of handlers. */
export class MemoryPublisher implements Publisher {
  readonly published: EventEnvelope[] = [];
  /** Set to make the next publish calls fail. */
  failWith: Error | undefined;

  async publish(event: EventEnvelope): Promise<Published> {
    if (this.failWith) throw this.failWith;
    this.published.push(event);
    return { topic: "memory", partition: 0, offset: this.published.length - 1 };
  }

  async close(): Promise<void> {}
}
