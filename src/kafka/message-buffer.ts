import type { ConsumedMessage } from "./message-decoder.ts";

/** A FIFO of fetched messages with O(1) take from the front; compacts lazily. */
export class MessageBuffer {
  private items: ConsumedMessage[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: ConsumedMessage): void {
    this.items.push(message);
  }

  take(max: number): ConsumedMessage[] {
    const end = Math.min(this.items.length, this.head + max);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** Removes messages matching `unwanted`, e.g. those of partitions revoked from this member. */
  drop(unwanted: (message: ConsumedMessage) => boolean): void {
    this.items = this.items.slice(this.head).filter((message) => !unwanted(message));
    this.head = 0;
  }
}
