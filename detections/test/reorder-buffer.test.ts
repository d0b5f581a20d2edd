import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../src/engine/reorder-buffer.ts';

describe('ReorderBuffer', () => {
  it('releases items in time order once the newest time is `lateness` past them', () => {
    const b = new ReorderBuffer<string>(10);
    const out: string[] = [];
    b.push(100, 'a', out);
    b.push(95, 'b', out); // earlier, within lateness: reordered
    b.push(105, 'c', out);
    expect(out).toEqual(['b']); // horizon 95
    b.push(120, 'd', out); // horizon 110
    expect(out).toEqual(['b', 'a', 'c']);
    b.drain(out);
    expect(out).toEqual(['b', 'a', 'c', 'd']);
    expect(b.late).toBe(0);
  });

  it('keeps arrival order for equal times', () => {
    const b = new ReorderBuffer<number>(0);
    const out: number[] = [];
    for (let i = 0; i < 50; i++) b.push(7, i, out);
    b.drain(out);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('releases an item older than what was already released at once and counts it late, never drops it', () => {
    const b = new ReorderBuffer<string>(5);
    const out: string[] = [];
    b.push(100, 'a', out);
    b.push(200, 'b', out); // releases a
    b.push(50, 'old', out);
    expect(out).toEqual(['a', 'old']);
    expect(b.late).toBe(1);
    b.drain(out);
    expect(out).toEqual(['a', 'old', 'b']);
  });

  it('sorts a shuffled stream within the lateness window, holding only that window', () => {
    const b = new ReorderBuffer<number>(1000);
    const out: number[] = [];
    let maxHeld = 0;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let t = 0; t < 100_000; t += 10) {
      const jitter = Math.floor(rand() * 900);
      b.push(t + jitter, t + jitter, out);
      maxHeld = Math.max(maxHeld, b.size);
    }
    b.drain(out);
    expect(out.length).toBe(10_000);
    for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThanOrEqual(out[i - 1] as number);
    expect(maxHeld).toBeLessThan(250);
    expect(b.late).toBe(0);
  });
});
