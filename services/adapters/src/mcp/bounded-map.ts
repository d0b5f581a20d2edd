/**
 * A Map that holds at most `max` entries, oldest insertion first out. The MCP adapter's state (pending
 * requests, answered ids, session client names) lives in these, so memory stays bounded however long
 * the input or however many requests go unanswered.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Inserts (a re-inserted key becomes the newest) and returns what fell out to make room. */
  set(key: K, value: V): [K, V][] {
    this.entries.delete(key);
    this.entries.set(key, value);
    const evicted: [K, V][] = [];
    while (this.entries.size > this.max) {
      const oldest = this.entries.entries().next().value as [K, V];
      this.entries.delete(oldest[0]);
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Everything, oldest first, and empties the map. */
  drain(): [K, V][] {
    const all = [...this.entries];
    this.entries.clear();
    return all;
  }
}
