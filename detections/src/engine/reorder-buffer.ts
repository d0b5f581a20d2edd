interface Node<T> {
  t: number;
  seq: number;
  item: T;
}

/**
 * Bounded event-time reorder buffer. Items are held until the newest time seen is `latenessMs` past
 * them, then released in time order (ties in arrival order). Memory is bounded by how many items arrive
 * within the lateness window, not by the stream's length. An item older than what was already released
 * is "late": released at once and counted, never dropped.
 *
 * Most streams arrive in order, so in-order items go to a FIFO (no heap work); only items that arrive
 * earlier than their predecessor go to a min-heap, and release merges the two.
 */
export class ReorderBuffer<T> {
  private readonly fifo: Array<Node<T>> = [];
  private fifoHead = 0;
  private readonly heap: Array<Node<T>> = [];
  private seq = 0;
  private maxSeenMs = Number.NEGATIVE_INFINITY;
  private releasedUpToMs = Number.NEGATIVE_INFINITY;
  late = 0;

  constructor(private readonly latenessMs: number) {}

  /** Adds an item; appends the items now ready to `out`, in order (late items immediately). */
  push(t: number, item: T, out: T[]): void {
    if (t < this.releasedUpToMs) {
      this.late++;
      out.push(item);
      return;
    }
    const node = { t, seq: this.seq++, item };
    if (t >= this.maxSeenMs) {
      this.fifo.push(node);
      this.maxSeenMs = t;
    } else {
      this.heapPush(node);
    }
    this.release(this.maxSeenMs - this.latenessMs, out);
  }

  /** Releases everything left, in order. */
  drain(out: T[]): void {
    this.release(Number.POSITIVE_INFINITY, out);
  }

  get size(): number {
    return this.fifo.length - this.fifoHead + this.heap.length;
  }

  private release(horizon: number, out: T[]): void {
    for (;;) {
      const f = this.fifoHead < this.fifo.length ? (this.fifo[this.fifoHead] as Node<T>) : undefined;
      const h = this.heap[0];
      let next: Node<T> | undefined;
      if (f && (!h || less(f, h))) next = f;
      else next = h;
      if (!next || next.t > horizon) break;
      if (next === f) this.fifoHead++;
      else this.heapPop();
      if (next.t > this.releasedUpToMs) this.releasedUpToMs = next.t;
      out.push(next.item);
    }
    // Compact the FIFO now and then so released nodes do not pile up.
    if (this.fifoHead > 4096 && this.fifoHead * 2 > this.fifo.length) {
      this.fifo.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
  }

  private heapPush(node: Node<T>): void {
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

  private heapPop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
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
}

const less = <T>(a: Node<T>, b: Node<T>): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);
