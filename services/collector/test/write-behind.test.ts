import { describe, expect, it } from 'vitest';
import { WriteBehind, WriteBehindFailedError } from '../src/write-behind.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

/** A write that completes when the test says so, recording what it was given. */
function gatedWrite<T>(log: string[], name: string) {
  const gates: Array<() => void> = [];
  const batches: T[][] = [];
  return {
    batches,
    open: () => gates.shift()?.(),
    write: (items: T[]) =>
      new Promise<void>((resolve) => {
        batches.push(items);
        log.push(`${name}:${items.join(',')}`);
        gates.push(resolve);
      }),
  };
}

describe('WriteBehind', () => {
  it('runs a step only after the channel items added before it are written, and steps in order', async () => {
    const log: string[] = [];
    const w = new WriteBehind({ onFailure: () => {} });
    const ev = gatedWrite<number>(log, 'events');
    const events = w.channel('events', ev.write, { flushAt: 1_000, maxHeld: 10_000 });
    events.add([1, 2]);
    const s1 = w.step(() => void log.push('step1'), [events]);
    events.add([3]);
    const s2 = w.step(() => void log.push('step2'));
    await tick();
    // step1 waits for the write of 1,2 (flushTo started it); step2 waits behind step1.
    expect(log).toEqual(['events:1,2,3']);
    ev.open();
    await s1;
    await s2;
    expect(log).toEqual(['events:1,2,3', 'step1', 'step2']);
  });

  it('group-commits: everything added while a write is in flight goes in the next single write', async () => {
    const log: string[] = [];
    const w = new WriteBehind({ onFailure: () => {} });
    const ev = gatedWrite<number>(log, 'events');
    const events = w.channel('events', ev.write, { flushAt: 2, maxHeld: 10_000 });
    events.add([1, 2]); // reaches flushAt: a write starts
    for (let i = 3; i <= 10; i++) events.add([i]);
    ev.open();
    await tick();
    await tick();
    expect(ev.batches).toEqual([
      [1, 2],
      [3, 4, 5, 6, 7, 8, 9, 10],
    ]);
    ev.open();
    await w.drain();
    expect(events.stats()).toMatchObject({ writes: 2, items: 10, largest: 8, held: 0 });
  });

  it('a channel with `after` writes only once the other channel has written what was added before', async () => {
    const log: string[] = [];
    const w = new WriteBehind({ onFailure: () => {} });
    const ev = gatedWrite<string>(log, 'events');
    const events = w.channel('events', ev.write, { flushAt: 1_000, maxHeld: 10_000 });
    const alerts = w.channel('alerts', async (a: string[]) => void log.push(`alerts:${a.join(',')}`), { flushAt: 0, maxHeld: 100, after: [events] });
    events.add(['e1']);
    alerts.add(['a1']);
    await tick();
    expect(log).toEqual(['events:e1']);
    ev.open();
    await w.drain();
    expect(log).toEqual(['events:e1', 'alerts:a1']);
  });

  it('writes what lingered, without anyone waiting, after lingerMs', async () => {
    const written: number[][] = [];
    const w = new WriteBehind({ onFailure: () => {} });
    const events = w.channel('events', async (items: number[]) => void written.push(items), { flushAt: 1_000, maxHeld: 10_000, lingerMs: 20 });
    events.add([1]);
    events.add([2]);
    await new Promise((r) => setTimeout(r, 5));
    expect(written).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(written).toEqual([[1, 2]]);
  });

  it('after a failed write: onFailure once, later steps skipped, held items dropped; reset lets new work run', async () => {
    const failures: Error[] = [];
    const w = new WriteBehind({ onFailure: (e) => failures.push(e) });
    let fail = true;
    const written: number[][] = [];
    const events = w.channel(
      'events',
      async (items: number[]) => {
        if (fail) throw new Error('store down');
        written.push(items);
      },
      { flushAt: 1_000, maxHeld: 10_000 },
    );
    let ran = 0;
    events.add([1]);
    const s1 = w.step(() => void ran++, [events]);
    const s2 = w.step(() => void ran++);
    await expect(s1).rejects.toBeInstanceOf(WriteBehindFailedError);
    await expect(s2).rejects.toBeInstanceOf(WriteBehindFailedError);
    expect(ran).toBe(0);
    expect(failures.map((e) => e.message)).toEqual(['store down']);
    expect(w.failure?.message).toBe('store down');
    // Dropped while failed (their source will be re-read).
    events.add([2]);
    expect(events.stats().held).toBe(0);
    fail = false;
    w.reset();
    events.add([3]);
    await w.step(() => void ran++, [events]);
    expect(ran).toBe(1);
    expect(written).toEqual([[3]]);
    expect(w.stats()).toMatchObject({ failures: 1 });
  });

  it('one failure is reported once, even when its owner resets at once and another channel was waiting on it', async () => {
    const failures: Error[] = [];
    let w: WriteBehind;
    // The collector's way: drop the engines and reset synchronously inside onFailure.
    w = new WriteBehind({
      onFailure: (e) => {
        failures.push(e);
        w.reset();
      },
    });
    const events = w.channel(
      'events',
      async () => {
        throw new Error('events table unavailable');
      },
      { flushAt: 1_000, maxHeld: 10_000 },
    );
    const alerts = w.channel('alerts', async () => {}, { flushAt: 0, maxHeld: 100, after: [events] });
    events.add([1]);
    alerts.add(['a1']); // its write waits for event 1, whose write fails
    for (let i = 0; i < 5; i++) await tick();
    expect(failures.map((e) => e.message)).toEqual(['events table unavailable']);
    expect(w.failure).toBeNull();
  });

  it('a failing step stops the steps after it too', async () => {
    const failures: Error[] = [];
    const w = new WriteBehind({ onFailure: (e) => failures.push(e) });
    const s1 = w.step(() => {
      throw new Error('checkpoint topic down');
    });
    let ran = false;
    const s2 = w.step(() => {
      ran = true;
    });
    await expect(s1).rejects.toThrow('checkpoint topic down');
    await expect(s2).rejects.toBeInstanceOf(WriteBehindFailedError);
    expect(ran).toBe(false);
    expect(failures).toHaveLength(1);
  });

  it('ready() holds the source while more than maxHeld items wait, and lets it go once written', async () => {
    const log: string[] = [];
    const w = new WriteBehind({ onFailure: () => {} });
    const ev = gatedWrite<number>(log, 'events');
    const events = w.channel('events', ev.write, { flushAt: 3, maxHeld: 4 });
    events.add([1, 2, 3]); // write in flight: 3 held
    events.add([4, 5]); // 5 > 4
    let ready = false;
    const r = w.ready().then(() => {
      ready = true;
    });
    await tick();
    expect(ready).toBe(false);
    ev.open(); // 1..3 written; 4,5 (below flushAt) wait: 2 held
    await r;
    expect(ready).toBe(true);
  });
});
