/**
 * Write-behind for the Kafka collector: batches run through the engines on the main thread while their outputs
 * (events to ClickHouse, token facts and alerts to Kafka, checkpoints) are written in the background, in order.
 *
 * Why: with every write awaited inside the batch, the consumer stood still for each ClickHouse insert and each Kafka
 * round trip (~35 ms per batch of ~850 events), and the CPU sat idle while it waited. Written behind, one insert
 * carries the events of many batches (group commit) and the engine goes on with the next batch meanwhile.
 *
 * What keeps it correct:
 * - A channel's writes go in the order items were added; a channel with `after` writes only once what was added to
 *   those channels before is written (alerts after the events they cite).
 * - {@link step}s run one at a time in the order they were queued, and each first waits until what it depends on is
 *   durable: everything added to the listed {@link GroupCommit} channels before the step was queued (a checkpoint is
 *   saved after the events, token facts and alerts it reflects).
 * - The first failure stops everything after it (the failed write's data is gone, so nothing that depends on it may
 *   run, and no later checkpoint may be saved): queued steps are skipped, held items dropped, and `onFailure` is told
 *   once, so the owner can drop its engines and re-read from the last saved checkpoints, then {@link reset}.
 * - {@link ready} holds the source back while too much is held (memory stays bounded, and so does what a crash re-reads).
 */
export class WriteBehind {
  private chain: Promise<unknown> = Promise.resolve();
  private queuedSteps = 0;
  private epoch = 0;
  private failed: Error | null = null;
  private readonly channels: Channel[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly counters = { steps: 0, skipped: 0, failures: 0 };

  constructor(
    private readonly opts: {
      /** Told once per failure (the first one); further steps are skipped until {@link reset}. */
      onFailure: (error: Error) => void;
      /** Steps queued and not yet done above which {@link ready} waits (default 256). */
      maxQueuedSteps?: number;
    },
  ) {}

  /**
   * A group-committed channel: items are added at once and written by `write` in the background, at most one write
   * in flight; a write takes everything held when it starts (capped at `maxPerWrite`). `flushAt`: held items that
   * start a write without anyone waiting (0: a write starts as soon as something is held, for low latency);
   * `lingerMs`: nothing is held longer than this before a write starts; `after`: channels whose items added so far
   * are written before each write of this one starts (alerts after the events they cite). `maxHeld`: above this,
   * {@link ready} waits.
   */
  channel<T>(name: string, write: (items: T[]) => Promise<void>, opts: ChannelOptions<T>): GroupCommit<T> {
    const ch = new GroupCommit<T>(name, write, opts, {
      failed: () => this.failed,
      epoch: () => this.epoch,
      fail: (e) => this.fail(e),
      changed: () => this.wake(),
    });
    this.channels.push(ch);
    return ch;
  }

  /**
   * Queues `fn` after every step queued before it, once everything added so far to each of `after` is written.
   * The returned promise settles when it ran (or was skipped after a failure); callers that do not wait for it need
   * not handle its rejection: failures go to `onFailure`.
   */
  step(fn: () => Promise<void> | void, after: readonly Channel[] = []): Promise<void> {
    const epoch = this.epoch;
    const marks = after.map((ch) => [ch, ch.mark()] as const);
    this.queuedSteps++;
    const run = async () => {
      try {
        if (this.failed || epoch !== this.epoch) {
          this.counters.skipped++;
          throw new WriteBehindFailedError(this.failed);
        }
        await Promise.all(marks.map(([ch, mark]) => ch.flushTo(mark)));
        if (this.failed || epoch !== this.epoch) throw new WriteBehindFailedError(this.failed);
        await fn();
        this.counters.steps++;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (!(err instanceof WriteBehindFailedError) && epoch === this.epoch) this.fail(err);
        throw err;
      } finally {
        this.queuedSteps--;
        this.wake();
      }
    };
    const next = this.chain.then(run);
    this.chain = next.catch(() => undefined);
    next.catch(() => undefined);
    return next;
  }

  /** Resolves once the held items and queued steps are below their limits (backpressure for the source). */
  async ready(): Promise<void> {
    const maxSteps = this.opts.maxQueuedSteps ?? 256;
    while (!this.failed && (this.queuedSteps > maxSteps || this.channels.some((c) => c.overfull()))) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Everything added and queued so far is written (rejects if a write failed). */
  async drain(): Promise<void> {
    await this.step(() => undefined, this.channels);
  }

  /** The failure that stopped the writes, if any. */
  get failure(): Error | null {
    return this.failed;
  }

  /** After a failure was handled (engines dropped, sources rewound): new items and steps run again. */
  reset(): void {
    this.epoch++;
    this.failed = null;
    for (const ch of this.channels) ch.clear();
    this.wake();
  }

  stats(): { steps: number; skipped: number; failures: number; queuedSteps: number; channels: Record<string, ChannelStats> } {
    return { ...this.counters, queuedSteps: this.queuedSteps, channels: Object.fromEntries(this.channels.map((c) => [c.name, c.stats()])) };
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.counters.failures++;
    for (const ch of this.channels) ch.clear();
    this.wake();
    this.opts.onFailure(error);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export interface ChannelOptions<T = unknown> {
  flushAt: number;
  maxHeld: number;
  maxPerWrite?: number;
  lingerMs?: number;
  after?: readonly Channel[];
  /** What one item counts for in flushAt, maxHeld and maxPerWrite (default 1; e.g. the events in a pre-rendered chunk). */
  weight?: (item: T) => number;
}

/** What a step can wait for, whatever the channel's item type. */
export interface Channel {
  readonly name: string;
  mark(): number;
  flushTo(mark: number): Promise<void>;
  overfull(): boolean;
  clear(): void;
  stats(): ChannelStats;
}

/** Counted in item weights (e.g. events, for pre-rendered chunks of events). */
export interface ChannelStats {
  writes: number;
  items: number;
  largest: number;
  held: number;
}

/**
 * Items written in the background, many adds per write (group commit). Items are numbered as they are added;
 * {@link flushTo} waits until every item up to a number is written, starting a write if none is in flight.
 */
export class GroupCommit<T> implements Channel {
  private held: T[] = [];
  /** Weight of the held items, and of the write in flight. */
  private heldWeight = 0;
  private inFlightWeight = 0;
  /** Items added so far / written so far (numbers, not indexes: held items are dropped on failure). */
  private added = 0;
  private written = 0;
  private inFlight: Promise<void> | null = null;
  private linger: NodeJS.Timeout | null = null;
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly counters = { writes: 0, items: 0, largest: 0 };

  constructor(
    readonly name: string,
    private readonly write: (items: T[]) => Promise<void>,
    private readonly opts: ChannelOptions<T>,
    private readonly owner: { failed: () => Error | null; epoch: () => number; fail: (e: Error) => void; changed: () => void },
  ) {}

  /** Holds `items` for the next write (dropped at once if the writes have failed: their source will be re-read). */
  add(items: readonly T[]): void {
    if (items.length === 0 || this.owner.failed()) return;
    for (const i of items) {
      this.held.push(i);
      this.heldWeight += this.weigh(i);
    }
    this.added += items.length;
    if (this.heldWeight >= this.opts.flushAt) this.kick();
    else this.lingerThenWrite();
  }

  /** The number of the last item added so far (what a step queued now depends on). */
  mark(): number {
    return this.added;
  }

  /** Resolves once every item up to `mark` is written; rejects if the writes failed. */
  flushTo(mark: number): Promise<void> {
    if (this.written >= mark) return Promise.resolve();
    const failed = this.owner.failed();
    if (failed) return Promise.reject(new WriteBehindFailedError(failed));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ upTo: mark, resolve, reject });
      this.kick();
    });
  }

  overfull(): boolean {
    return this.heldWeight + this.inFlightWeight > this.opts.maxHeld;
  }

  stats(): ChannelStats {
    return { ...this.counters, held: this.heldWeight + this.inFlightWeight };
  }

  /** Drops what is held (after a failure, or on reset): those items' sources are re-read. */
  clear(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.held = [];
    this.heldWeight = 0;
    this.written = this.added;
    const err = new WriteBehindFailedError(this.owner.failed());
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private weigh(item: T): number {
    return this.opts.weight ? this.opts.weight(item) : 1;
  }

  /** Starts a write of what is held once `lingerMs` passed (unless one starts before). */
  private lingerThenWrite(): void {
    if (this.held.length === 0 || this.opts.lingerMs === undefined || this.linger) return;
    this.linger = setTimeout(() => {
      this.linger = null;
      this.kick();
    }, this.opts.lingerMs);
    this.linger.unref();
  }

  /** Starts a write of what is held, unless one is in flight (it starts the next one when done). */
  private kick(): void {
    if (this.inFlight || this.held.length === 0 || this.owner.failed()) return;
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    // Everything held, or the oldest items up to maxPerWrite (at least one).
    const max = this.opts.maxPerWrite ?? Number.POSITIVE_INFINITY;
    let n = 0;
    let weight = 0;
    while (n < this.held.length && (n === 0 || weight + this.weigh(this.held[n] as T) <= max)) weight += this.weigh(this.held[n++] as T);
    const items = n === this.held.length ? this.held : this.held.slice(0, n);
    this.held = n === this.held.length ? [] : this.held.slice(n);
    this.heldWeight -= weight;
    const upTo = this.added - this.held.length;
    this.inFlightWeight = weight;
    const after = (this.opts.after ?? []).map((ch) => [ch, ch.mark()] as const);
    const epoch = this.owner.epoch();
    this.inFlight = (async () => {
      try {
        if (after.length > 0) await Promise.all(after.map(([ch, mark]) => ch.flushTo(mark)));
        await this.write(items);
        this.counters.writes++;
        this.counters.items += weight;
        if (weight > this.counters.largest) this.counters.largest = weight;
        if (upTo > this.written) this.written = upTo;
        const done = this.waiters.filter((w) => w.upTo <= this.written);
        this.waiters = this.waiters.filter((w) => w.upTo > this.written);
        for (const w of done) w.resolve();
      } catch (e) {
        // Only a failure of its own: not the skip that an earlier failure caused (waiting on a cleared channel), nor
        // a write from before a reset (its failure was already handled).
        if (!(e instanceof WriteBehindFailedError) && epoch === this.owner.epoch()) this.owner.fail(e instanceof Error ? e : new Error(String(e)));
      } finally {
        this.inFlight = null;
        this.inFlightWeight = 0;
        this.owner.changed();
      }
      // More was added meanwhile: write it if someone waits for it or enough is held (else the linger timer will).
      if (this.waiters.length > 0 || this.heldWeight >= this.opts.flushAt) this.kick();
      else this.lingerThenWrite();
    })();
  }
}

/** A write-behind step or flush that did not run because an earlier write failed. */
export class WriteBehindFailedError extends Error {
  override name = 'WriteBehindFailedError';
  constructor(cause: Error | null) {
    super(`an earlier background write failed${cause ? ` (${cause.message})` : ''}; waiting for the source to be re-read`);
  }
}
