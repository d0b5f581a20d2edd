/**
 * Bounded event-time reorder buffer (a min-heap on time, ties broken by arrival order). Items are held
 * until the newest time seen is `latenessMs` past them, then released in time order. Memory is bounded
 * by how many items arrive within the lateness window, not by the stream's length. An item older than
 * what was already released is "late": released at once and counted, never dropped.
 */
export class ReorderBuffer<T> {
  private readonly heap: Array<{ t: number; seq: number; item: T }> = [];
  private seq = 0;
  private maxSeenMs = Number.NEGATIVE_INFINITY;
  private releasedUpToMs = Number.NEGATIVE_INFINITY;
  late = 0;

  constructor(private readonly latenessMs: number) {}

  /** Adds an item; returns the items now ready, in order (late items are returned immediately). */
  push(t: number, item: T, out: T[]): void {
    if (t < this.releasedUpToMs) {
      this.late++;
      out.push(item);
      return;
    }
    this.insert({ t, seq: this.seq++, item });
    if (t > this.maxSeenMs) this.maxSeenMs = t;
    const horizon = this.maxSeenMs - this.latenessMs;
    while (this.heap.length > 0 && (this.heap[0] as { t: number }).t <= horizon) out.push(this.pop());
  }

  /** Releases everything left, in order. */
  drain(out: T[]): void {
    while (this.heap.length > 0) out.push(this.pop());
  }

  get size(): number {
    return this.heap.length;
  }

  private insert(node: { t: number; seq: number; item: T }): void {
    const h = this.heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): T {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    if (top.t > this.releasedUpToMs) this.releasedUpToMs = top.t;
    return top.item;
  }
}

const less = (a: { t: number; seq: number }, b: { t: number; seq: number }): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);
