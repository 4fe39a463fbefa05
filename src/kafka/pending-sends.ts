/**
 * Sends handed to librdkafka and awaiting their delivery report, found again by the id each message carries
 * as its opaque. Ids are slot numbers, reused once delivered, so registering and finding a send are array
 * operations rather than a Map insert and delete per message. Ids start at 1: an opaque of 0 reads as NULL.
 */
export class PendingSends<T> {
  private readonly slots: Array<T | undefined> = [];
  private readonly free: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): number {
    const index = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    this.slots[index] = item;
    this.count++;
    return index + 1;
  }

  /** Removes and returns the send with this id; undefined for an id not (or no longer) pending. */
  take(id: number): T | undefined {
    const index = id - 1;
    const item = this.slots[index];
    if (item === undefined) return undefined;
    this.slots[index] = undefined;
    this.free.push(index);
    this.count--;
    return item;
  }
}
