import type { AttrValue } from './values.ts';

const MAX_KEY_CHARS = 256;
export const DROPPED_KEY = 'agentwatch.attributes_dropped';

/**
 * Collects an event's `attributes` (string -> string, events.md) within a budget: at most `maxEntries`
 * keys (one kept for the count of what did not fit), values cut at `maxChars` with a marker. First value
 * for a key wins, so callers add the most useful keys first.
 */
export class BoundedAttributes {
  /** A plain object built in place (no Map + Object.fromEntries copy); `__proto__` is defined as an own key. */
  private readonly entries: Record<string, string> = {};
  private size = 0;
  private dropped = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  add(key: string, value: AttrValue | undefined): void {
    if (value === undefined || value === null || this.has(key)) return;
    if (key.length === 0 || key.length > MAX_KEY_CHARS || this.size >= this.maxEntries - 1) {
      this.dropped++;
      return;
    }
    this.set(key, this.clip(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)));
    this.size++;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.entries, key);
  }

  /** The attributes (a `__proto__` key is an ordinary own key), or undefined when empty. Call once. */
  toObject(): Record<string, string> | undefined {
    if (this.dropped > 0) {
      if (!this.has(DROPPED_KEY)) this.size++;
      this.set(DROPPED_KEY, String(this.dropped));
    }
    return this.size > 0 ? this.entries : undefined;
  }

  private set(key: string, value: string): void {
    if (key === '__proto__') Object.defineProperty(this.entries, key, { value, enumerable: true, writable: true, configurable: true });
    else this.entries[key] = value;
  }

  private clip(s: string): string {
    return s.length <= this.maxChars ? s : `${s.slice(0, this.maxChars)}…[${s.length} chars]`;
  }
}
