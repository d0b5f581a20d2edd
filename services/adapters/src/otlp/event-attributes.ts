import type { AttrValue } from './values.ts';

const MAX_KEY_CHARS = 256;
export const DROPPED_KEY = 'agentwatch.attributes_dropped';

/**
 * Collects an event's `attributes` (string -> string, events.md) within a budget: at most `maxEntries`
 * keys (one kept for the count of what did not fit), values cut at `maxChars` with a marker. First value
 * for a key wins, so callers add the most useful keys first.
 */
export class BoundedAttributes {
  private readonly entries = new Map<string, string>();
  private dropped = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  add(key: string, value: AttrValue | undefined): void {
    if (value === undefined || value === null || this.entries.has(key)) return;
    if (key.length === 0 || key.length > MAX_KEY_CHARS || this.entries.size >= this.maxEntries - 1) {
      this.dropped++;
      return;
    }
    this.entries.set(key, this.clip(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)));
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The attributes (built with Object.fromEntries, so a `__proto__` key is an ordinary key), or undefined when empty. */
  toObject(): Record<string, string> | undefined {
    if (this.dropped > 0) this.entries.set(DROPPED_KEY, String(this.dropped));
    return this.entries.size > 0 ? Object.fromEntries(this.entries) : undefined;
  }

  private clip(s: string): string {
    return s.length <= this.maxChars ? s : `${s.slice(0, this.maxChars)}…[${s.length} chars]`;
  }
}
