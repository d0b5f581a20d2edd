/** A Map that forgets its least recently written keys beyond `limit` entries (0 = remembers nothing). */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Sets `key`, returning the entries evicted to stay within the limit. */
  set(key: K, value: V): Array<[K, V]> {
    const evicted: Array<[K, V]> = [];
    if (this.limit <= 0) {
      evicted.push([key, value]);
      return evicted;
    }
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.limit) {
      const oldest = this.map.entries().next().value as [K, V];
      this.map.delete(oldest[0]);
      evicted.push(oldest);
    }
    return evicted;
  }

  delete(key: K): V | undefined {
    const v = this.map.get(key);
    this.map.delete(key);
    return v;
  }

  /** Removes and returns everything, oldest first. */
  drain(): Array<[K, V]> {
    const all = [...this.map];
    this.map.clear();
    return all;
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * What this adapter has learned about tokens from the stream itself: which accessor belongs to an HMAC'd
 * client token (both appear together in every authenticated entry and in `response.auth`), and which
 * agent a token was issued to. It lets a revocation by token, or a request with a token Vault no longer
 * accepts (no `auth.accessor`), be attributed. Values stay opaque HMAC strings: nothing is un-HMAC'd.
 */
export class TokenMemory {
  private readonly accessorByClientToken: BoundedMap<string, string>;
  private readonly agentByAccessor: BoundedMap<string, string>;

  constructor(limit: number) {
    this.accessorByClientToken = new BoundedMap(limit);
    this.agentByAccessor = new BoundedMap(limit);
  }

  link(clientToken: string | undefined, accessor: string | undefined): void {
    if (clientToken !== undefined && accessor !== undefined) this.accessorByClientToken.set(clientToken, accessor);
  }

  issuedTo(accessor: string, agentId: string): void {
    this.agentByAccessor.set(accessor, agentId);
  }

  accessorOf(clientToken: string | undefined): string | undefined {
    return clientToken === undefined ? undefined : this.accessorByClientToken.get(clientToken);
  }

  agentOf(accessor: string | undefined): string | undefined {
    return accessor === undefined ? undefined : this.agentByAccessor.get(accessor);
  }
}
