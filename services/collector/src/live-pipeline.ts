import type { DetectionEngine, EngineSnapshot, Origin, SourceItem } from '@agentwatch/detections';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { Logger } from 'pino';

export interface RejectedItem {
  error: string;
  origin: Origin;
  raw?: string;
}

export interface LivePipelineOptions {
  engine: DetectionEngine;
  store: Store;
  logger?: Logger;
  /** Alerts opened, grown or closed by a batch (after they are in the store). Awaited. */
  onAlerts?: (alerts: Alert[]) => void | Promise<void>;
  /** Items that were rejected before they reached the pipeline (validation errors). Awaited. */
  onRejected?: (item: RejectedItem) => void | Promise<void>;
  /**
   * Store in larger writes instead of once per batch, for the Kafka collector, whose small paced batches would
   * otherwise each pay ClickHouse round trips (not for HTTP ingest, which answers after storing). Events are held
   * (at most this many) and written before any alert is upserted (an alert never cites an event that is not stored),
   * at {@link LivePipeline.flushPending} / {@link LivePipeline.checkpoint} (so before the source offset is committed),
   * and when this many are held. Alerts that open are upserted and handed on at once; later versions of an alert
   * already handed on (its count grew, its window closed) wait for the next batch that opens one, or for
   * {@link LivePipeline.flushPending}: the caller's checkpoint, every few seconds.
   */
  deferEventWrites?: number;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** Alerts upserted by this batch: open alerts opened/updated, then alerts whose window closed. */
  alerts: Alert[];
}

/**
 * The in-process core of live ingestion, shared by the Kafka collector and HTTP ingest. One `ingest` call is one
 * unit: its events are stored (with the caller's dedup token), run through the engine in event-time order, and
 * the alerts they opened, grew or closed are upserted into the store (by alert_id, so re-running a batch is
 * harmless) and handed to `onAlerts`.
 *
 * Ordering choice: each batch is sorted by event time (stable, so ties keep arrival order) and processed at once;
 * there is no reorder buffer held *across* batches. That keeps the engine state after a batch a complete function
 * of the events acknowledged so far, which is what makes `checkpoint()` + source offsets a correct restart point.
 * An event older than the engine's watermark is still processed (never dropped); it is only "late" for rules that
 * look at the window the watermark has already closed. With Kafka, events are keyed by agent_id, so each agent's
 * events arrive in order within a partition; only cross-partition interleaving can be out of order.
 *
 * Calls are serialised: concurrent callers (Kafka + HTTP) never interleave inside the engine.
 */
export class LivePipeline {
  readonly engine: DetectionEngine;
  readonly store: Store;
  private readonly log: Logger | undefined;
  private readonly onAlerts: LivePipelineOptions['onAlerts'];
  private readonly onRejected: LivePipelineOptions['onRejected'];
  private chain: Promise<unknown> = Promise.resolve();
  private readonly totals = { accepted: 0, rejected: 0, alerts: 0, batches: 0 };
  /** Set when a batch failed after the engine had seen its events: the in-memory state is ahead of what was acknowledged. */
  private broken: Error | null = null;
  private readonly deferEventWrites: number;
  /** Events through the engine, not yet stored ({@link LivePipelineOptions.deferEventWrites}). */
  private pending: CanonicalEvent[] = [];
  /** Later versions of alerts already handed on, not yet upserted (latest version per id). */
  private pendingAlerts = new Map<string, Alert>();
  /** Ids of open alerts this pipeline has handed on (their next versions may wait); forgotten once closed. */
  private readonly handedOn = new Set<string>();
  /** Ids among the waiting versions whose alert closed. */
  private readonly closedWaiting = new Set<string>();

  constructor(opts: LivePipelineOptions) {
    this.engine = opts.engine;
    this.store = opts.store;
    this.log = opts.logger;
    this.deferEventWrites = opts.deferEventWrites ?? 0;
    this.onAlerts = opts.onAlerts;
    this.onRejected = opts.onRejected;
  }

  /** Runs `fn` after every earlier call has finished (one batch at a time through the engine). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * `meta.holdAll` (deferred mode): hold even alerts that open, until {@link flushPending}, e.g. while catching up
   * on a backlog, where the data is old anyway and fewer, larger writes matter more than seconds of latency.
   */
  ingest(items: readonly SourceItem[], meta: { dedupToken: string; holdAll?: boolean }): Promise<IngestResult> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      const valid: Array<{ event: CanonicalEvent; timeMs: number }> = [];
      let rejected = 0;
      for (const item of items) {
        if ('error' in item) {
          rejected++;
          if (this.onRejected) await this.onRejected(item);
          else this.log?.warn({ origin: item.origin, error: item.error }, 'event rejected');
          continue;
        }
        valid.push(item);
      }
      if (valid.length > 0) {
        // Stored first (or held, and written before any alert): an alert never cites an event that is not stored.
        if (this.deferEventWrites > 0) for (const v of valid) this.pending.push(v.event);
        else
          await this.store.insertEvents(
            valid.map((v) => v.event),
            meta.dedupToken,
          );
        // Stable sort by event time.
        valid.sort((a, b) => a.timeMs - b.timeMs);
      }
      const alerts = await this.afterEngine(async () => {
        for (const v of valid) this.engine.process(v.event, v.timeMs);
        const now = this.holdUpdates(this.engine.takeChanged(), this.engine.takeClosed(), meta.holdAll === true);
        if (this.pending.length >= this.deferEventWrites) await this.writePending();
        await this.emit(now);
        return now;
      });
      this.totals.accepted += valid.length;
      this.totals.rejected += rejected;
      this.totals.batches++;
      return { accepted: valid.length, rejected, alerts };
    });
  }

  /**
   * Runs events that are already stored through the engine again (after a restore: what came in after the
   * checkpoint), upserting the alerts they open or grow; nothing is stored twice. Returns those alerts.
   */
  reprocess(items: ReadonlyArray<{ event: CanonicalEvent; timeMs: number }>): Promise<Alert[]> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      return this.afterEngine(async () => {
        for (const v of [...items].sort((a, b) => a.timeMs - b.timeMs)) this.engine.process(v.event, v.timeMs);
        return this.emitAll();
      });
    });
  }

  /**
   * A token's fact arrived from elsewhere (another partition or collector): the engine re-checks the uses it
   * parked for it (`null`: every parked use whose token is known by now), and the alerts that opened or grew are
   * upserted like a batch's. Returns those alerts.
   */
  resolveToken(tokenId: string | null): Promise<Alert[]> {
    return this.serial(async () => {
      if (this.broken) return [];
      return this.afterEngine(async () => {
        if (tokenId === null) this.engine.recheckParked();
        else this.engine.tokenFactArrived(tokenId);
        return this.emitAll();
      });
    });
  }

  /** End of a finite stream (tests, one-shot loads): closes every open alert and upserts them. Not used by the long-running collector. */
  flush(): Promise<Alert[]> {
    return this.serial(async () => {
      const alerts = this.takeAll(this.engine.takeChanged(), this.engine.flush());
      await this.emit(alerts);
      return alerts;
    });
  }

  /**
   * Writes what {@link LivePipelineOptions.deferEventWrites} held: events, then the alert versions that waited.
   * Returns those alerts (already upserted and handed to `onAlerts`) for the caller to publish. Call before
   * {@link checkpoint}: a checkpoint must only reflect what was published.
   */
  flushPending(): Promise<Alert[]> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      const alerts = this.takePendingAlerts();
      await this.afterEngine(async () => {
        await this.writePending();
        await this.emit(alerts);
      });
      return alerts;
    });
  }

  /**
   * The engine snapshot as JSON: together with the source offsets of the batches ingested so far, a restart point.
   * Held events are stored first, so whatever a checkpoint reflects is in the store.
   */
  checkpoint(): Promise<string> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      await this.writePending();
      return JSON.stringify(this.engine.snapshot());
    });
  }

  /** Loads a {@link checkpoint} into the (fresh) engine; also clears a {@link PipelineBrokenError} state. */
  restore(snapshotJson: string): Promise<void> {
    return this.serial(async () => {
      this.engine.restore(JSON.parse(snapshotJson) as EngineSnapshot);
      this.broken = null;
    });
  }

  /** True after a batch failed past the engine step (see {@link PipelineBrokenError}). */
  get isBroken(): boolean {
    return this.broken !== null;
  }

  stats(): { accepted: number; rejected: number; alerts: number; batches: number } {
    return { ...this.totals };
  }

  /** Records a step's alert versions as waiting (latest per id); closed ones are forgotten once handed on. */
  private hold(changed: Alert[], closed: Alert[]): void {
    for (const a of changed) this.pendingAlerts.set(a.alert_id, a);
    for (const a of closed) {
      this.pendingAlerts.set(a.alert_id, a);
      this.closedWaiting.add(a.alert_id);
    }
  }

  /**
   * In deferred mode: of a batch's changed and closed alerts, versions of alerts already handed on wait (unless the
   * batch opened an alert and `holdAll` is off: then everything goes now). Returns the alerts to upsert and hand on now.
   */
  private holdUpdates(changed: Alert[], closed: Alert[], holdAll: boolean): Alert[] {
    if (this.deferEventWrites <= 0) return [...changed, ...closed];
    const opened = changed.some((a) => !this.handedOn.has(a.alert_id)) || closed.some((a) => !this.handedOn.has(a.alert_id));
    this.hold(changed, closed);
    return opened && !holdAll ? this.takePendingAlerts() : [];
  }

  /** Upserts and hands on the engine's changed and closed alerts, and every waiting version, now. */
  private async emitAll(): Promise<Alert[]> {
    const alerts = this.takeAll(this.engine.takeChanged(), this.engine.takeClosed());
    await this.emit(alerts);
    return alerts;
  }

  /** Everything goes now, waiting versions included (merged by id, so an older version never follows a newer one). */
  private takeAll(changed: Alert[], closed: Alert[]): Alert[] {
    if (this.deferEventWrites <= 0) return [...changed, ...closed];
    this.hold(changed, closed);
    return this.takePendingAlerts();
  }

  /** Every waiting alert version, in the order they were held; marks them handed on (closed ones forgotten). */
  private takePendingAlerts(): Alert[] {
    const alerts = [...this.pendingAlerts.values()];
    this.pendingAlerts = new Map();
    for (const a of alerts) {
      if (this.closedWaiting.has(a.alert_id)) this.handedOn.delete(a.alert_id);
      else this.handedOn.add(a.alert_id);
    }
    this.closedWaiting.clear();
    return alerts;
  }

  /**
   * Runs a step that follows the engine's (the engine has seen its events): a failure breaks the pipeline, since
   * retrying would feed the engine twice; only a restore from a checkpoint goes on.
   */
  private async afterEngine<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      this.broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    }
  }

  /** Stores the held events. A failure breaks the pipeline: they are in the engine, so only a restore re-reads them. */
  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    // No token given: the store derives one from the event ids, so re-writing the same set is deduplicated.
    await this.afterEngine(() => this.store.insertEvents(events));
  }

  private async emit(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.writePending();
    await this.store.insertAlerts(alerts);
    this.totals.alerts += alerts.length;
    if (this.onAlerts) await this.onAlerts(alerts);
  }
}

/**
 * A batch failed after the engine had processed its events (e.g. the alert upsert failed). The engine is now ahead
 * of what the source acknowledged, so the pipeline refuses further batches until {@link LivePipeline.restore} from a
 * checkpoint (or a process restart, which does that).
 */
export class PipelineBrokenError extends Error {
  override name = 'PipelineBrokenError';
  constructor(override readonly cause: Error) {
    super(`live pipeline stopped after a failed batch (${cause.message}); restore from a checkpoint`);
  }
}
