import type { ConsumedMessage } from "./message-decoder.ts";

/** What a message holds in JS memory: its key and value (headers are small and not counted). */
export function messageBytes(message: ConsumedMessage): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0);
}

/** A FIFO of fetched messages with O(1) take from the front; compacts lazily. Counts the bytes it holds. */
export class MessageBuffer {
  private items: ConsumedMessage[] = [];
  private head = 0;
  private size = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** Key and value bytes held. */
  get bytes(): number {
    return this.size;
  }

  push(message: ConsumedMessage): void {
    this.items.push(message);
    this.size += messageBytes(message);
  }

  /**
   * Up to `maxMessages` from the front whose bytes add up to at most `maxBytes`, but always the first one,
   * so a message larger than `maxBytes` still comes out (alone).
   */
  take(maxMessages: number, maxBytes = Number.POSITIVE_INFINITY): ConsumedMessage[] {
    const limit = Math.min(this.items.length, this.head + maxMessages);
    let end = this.head;
    let taken = 0;
    while (end < limit) {
      const bytes = messageBytes(this.items[end]!);
      if (end > this.head && taken + bytes > maxBytes) break;
      taken += bytes;
      end++;
    }
    const batch = this.items.slice(this.head, end);
    this.head = end;
    this.size -= taken;
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
    this.size = this.items.reduce((sum, message) => sum + messageBytes(message), 0);
  }
}
