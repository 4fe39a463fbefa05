/** A set of the most recently added ids; past `capacity` the oldest is forgotten. */
export class RecentIds {
  private readonly ids = new Set<string>();
  // Insertion order in a ring. Deleting a Set's first element instead is O(deleted so far) in JavaScriptCore,
  // whose iterator walks over the holes deletions leave: that made 200,000 appends quadratic.
  private readonly order: Array<string | undefined>;
  private next = 0;

  constructor(capacity: number) {
    this.order = new Array(capacity);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    const oldest = this.order[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.order[this.next] = id;
    this.next = (this.next + 1) % this.order.length;
    this.ids.add(id);
  }
}
