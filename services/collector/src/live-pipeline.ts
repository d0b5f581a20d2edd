import type { DetectionEngine, EngineSnapshot, Origin, SourceItem } from '@agentwatch/detections';
import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { type EventRows, type RefusedEvent, renderEventRows, type Store } from '@agentwatch/store';
import type { Logger } from 'pino';
import { type GroupCommit, WriteBehind } from './write-behind.ts';

export interface RejectedItem {
  error: string;
  origin: Origin;
  raw?: string;
}

export interface LivePipelineOptions {
  engine: DetectionEngine;
  store: Store;
  logger?: Logger;
  /**
   * Alerts opened, grown or closed by a batch (after they are in the store). Awaited. Not called in write-behind
   * mode: there the writer's alerts channel stores and hands them on.
   */
  onAlerts?: (alerts: Alert[]) => void | Promise<void>;
  /** Items that were rejected before they reached the pipeline (validation errors). Awaited. */
  onRejected?: (item: RejectedItem) => void | Promise<void>;
  /**
   * Write behind instead of storing inside each call, for the Kafka collector, whose batches would otherwise each
   * wait for ClickHouse (not for HTTP ingest, which answers after storing). Events go to the `events` channel
   * (written in large group-committed inserts) and alerts to the `alerts` channel, whose writes wait for the events
   * added before them, so an alert never cites an event that is not stored. The caller saves a
   * {@link LivePipeline.checkpoint} in a step after those channels. Alerts that open are upserted and handed on
   * at once; later versions of an alert already handed on (its count grew, its window closed) wait for the next
   * batch that opens one, or for {@link LivePipeline.flushPending}: the caller's checkpoint, every few seconds.
   */
  writeBehind?: PipelineWriteBehind;
}

/** Where a write-behind pipeline sends its writes (shared by every partition pipeline of a collector). */
export interface PipelineWriteBehind {
  writer: WriteBehind;
  events: GroupCommit<EventRows>;
  /** Upserted after the events added before them, then handed on (alerts topic, callbacks) by the channel's owner. */
  alerts: GroupCommit<Alert>;
}

export interface IngestResult {
  /** Events stored and run through the engine. */
  accepted: number;
  /** Items refused: invalid ones, and (stored directly) events the store did not keep (see `rejections`). */
  rejected: number;
  /** Events whose event_id was stored already with the same content: not stored again, not counted again. */
  duplicates: number;
  /**
   * Why each refused item was refused, by its 0-based position in the items given (stored directly: an event the
   * store could not take, or a conflicting duplicate; kept in rejected_records with the reason).
   */
  rejections: Array<{ index: number; error: string }>;
  /** Alerts upserted by this batch: open alerts opened/updated, then alerts whose window closed. */
  alerts: Alert[];
}

export interface PipelineWriteBehindOptions {
  store: Store;
  /** A write failed: every pipeline using this writer is ahead of what was stored (see WriteBehind). */
  onFailure: (error: Error) => void;
  /** After alerts were upserted: publish them (latest version per id, in order), e.g. to the alerts topic. */
  publish?: (alerts: Alert[]) => Promise<void>;
  /** After they were upserted and published. */
  onAlerts?: (alerts: Alert[]) => void | Promise<void>;
  /** Held events that start an insert without anyone waiting for it (default 20,000). */
  insertEventsAt?: number;
  /** Events held (not yet stored) above which `writer.ready()` waits (default 100,000). */
  maxHeldEvents?: number;
  /** Longest an event is held before an insert starts (default 1 s): live events are queryable soon. */
  eventsLingerMs?: number;
  /**
   * Rows the store refused (isolated from their insert; the others were stored), e.g. to the DLQ. Awaited before the
   * write counts as done, so a checkpoint after it never hides a lost row. Default: logged by the caller's logger.
   */
  onRefused?: (rows: RefusedEvent[]) => Promise<void>;
}

/** A writer with the two channels write-behind pipelines use: events (large inserts) and alerts (after their events). */
export function pipelineWriteBehind(opts: PipelineWriteBehindOptions): PipelineWriteBehind {
  const writer = new WriteBehind({ onFailure: opts.onFailure });
  const maxHeld = opts.maxHeldEvents ?? 100_000;
  // No dedup token given: the store derives one from the chunks' keys (the batches' dedup tokens), so re-writing the
  // same batches is deduplicated. Chunks are weighed by their events.
  const events = writer.channel<EventRows>(
    'events',
    async (e) => {
      const r = await opts.store.insertEventRows(e);
      if (r.refused.length > 0) await opts.onRefused?.(r.refused);
    },
    {
      flushAt: opts.insertEventsAt ?? 20_000,
      lingerMs: opts.eventsLingerMs ?? 1_000,
      maxHeld,
      maxPerWrite: maxHeld,
      weight: (c) => c.count,
    },
  );
  // Upserted once the events they cite are stored, then published, then handed on; many versions per write.
  const alerts = writer.channel<Alert>(
    'alerts',
    async (list) => {
      await opts.store.insertAlerts(list);
      await opts.publish?.(latestPerId(list));
      await opts.onAlerts?.(list);
    },
    // At most 200 per write: they are published in one send (see KAFKA_MESSAGES_PER_SEND in kafka-collector.ts).
    { flushAt: 0, maxHeld: 50_000, maxPerWrite: 200, after: [events] },
  );
  return { writer, events, alerts };
}

/** The last version of each alert id, in the order of those last versions (what an alerts topic needs). */
function latestPerId(alerts: readonly Alert[]): Alert[] {
  const last = new Map<string, Alert>();
  for (const a of alerts) {
    last.delete(a.alert_id);
    last.set(a.alert_id, a);
  }
  return [...last.values()];
}

/**
 * The in-process core of live ingestion, shared by the Kafka collector and HTTP ingest. One `ingest` call is one
 * unit: its events are stored (with the caller's dedup token), run through the engine in event-time order, and
 * the alerts they opened, grew or closed are upserted into the store (by alert_id, so re-running a batch is
 * harmless) and handed to `onAlerts`. Each item's `arrivalMs` (detections time/event-time.ts) goes to the engine with
 * it: an event dated implausibly far from its arrival is stored like any other but moves no clock (events.md 1.1).
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
  private readonly behind: PipelineWriteBehind | null;
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
    this.behind = opts.writeBehind ?? null;
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
   * `meta.holdAll` (write-behind mode): hold even alerts that open, until {@link flushPending}, e.g. while catching up
   * on a backlog, where the data is old anyway and fewer, larger writes matter more than seconds of latency.
   */
  ingest(items: readonly SourceItem[], meta: { dedupToken: string; holdAll?: boolean; source?: string }): Promise<IngestResult> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      let valid: Array<Extract<SourceItem, { event: unknown }>> = [];
      /** Position in `items` of each valid item (a store refusal is answered by it); no copy of the item per event. */
      let positions: number[] = [];
      let rejected = 0;
      let duplicates = 0;
      const rejections: IngestResult['rejections'] = [];
      for (let index = 0; index < items.length; index++) {
        const item = items[index] as SourceItem;
        if ('error' in item) {
          rejected++;
          if (this.onRejected) await this.onRejected(item);
          else this.log?.warn({ origin: item.origin, error: item.error }, 'event rejected');
          continue;
        }
        valid.push(item);
        positions.push(index);
      }
      if (valid.length > 0) {
        // Stored first (or written behind, before any alert step): an alert never cites an event that is not stored.
        if (this.behind) {
          const texts: Array<string | Uint8Array> = new Array(valid.length);
          const times: number[] = new Array(valid.length);
          for (let i = 0; i < valid.length; i++) {
            const v = valid[i] as (typeof valid)[number];
            texts[i] = v.json ?? JSON.stringify(v.event);
            times[i] = v.timeMs;
          }
          this.behind.events.add([renderEventRows(texts, meta.dedupToken, times)]);
        } else {
          // The engine sees only what the store kept: a duplicate is not counted twice, a refused event not at all.
          const r = await this.store.insertEvents(
            valid.map((v) => v.event),
            meta.dedupToken,
          );
          if (r.duplicates.length > 0 || r.refused.length > 0) {
            const dropped = new Set([...r.duplicates, ...r.refused.map((x) => x.index)]);
            duplicates = r.duplicates.length;
            rejected += r.refused.length;
            for (const x of r.refused) rejections.push({ index: positions[x.index] as number, error: x.reason });
            await this.keepRefused(r.refused, meta.source ?? 'ingest');
            valid = valid.filter((_, i) => !dropped.has(i));
            positions = positions.filter((_, i) => !dropped.has(i));
          }
        }
        // Stable sort by event time.
        valid.sort((a, b) => a.timeMs - b.timeMs);
      }
      const alerts = await this.afterEngine(async () => {
        for (const v of valid) this.engine.process(v.event, v.timeMs, v.arrivalMs);
        const now = this.holdUpdates(this.engine.takeChanged(), this.engine.takeClosed(), meta.holdAll === true);
        await this.emit(now);
        return now;
      });
      this.totals.accepted += valid.length;
      this.totals.rejected += rejected;
      this.totals.batches++;
      rejections.sort((a, b) => a.index - b.index);
      return { accepted: valid.length, rejected, duplicates, rejections, alerts };
    });
  }

  /** Events the store refused, kept in rejected_records with the reason (before the batch is answered). */
  private async keepRefused(refused: readonly RefusedEvent[], source: string): Promise<void> {
    if (refused.length === 0) return;
    const receivedAtMs = Date.now();
    await this.store.insertRejectedRecords(refused.map((r) => ({ source, format: 'canonical', reason: r.reason, raw: r.raw, receivedAtMs })));
    for (const r of refused) this.log?.warn({ source, reason: r.reason }, 'event refused by the store; kept in rejected_records');
  }

  /**
   * Runs events that are already stored through the engine again (after a restore: what came in after the
   * checkpoint), upserting the alerts they open or grow; nothing is stored twice. Returns those alerts.
   */
  reprocess(items: ReadonlyArray<{ event: CanonicalEvent; timeMs: number; arrivalMs?: number }>): Promise<Alert[]> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      return this.afterEngine(async () => {
        for (const v of [...items].sort((a, b) => a.timeMs - b.timeMs)) this.engine.process(v.event, v.timeMs, v.arrivalMs);
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
   * The alert versions that waited (write-behind mode) go to the alerts channel now; returns them. Call before
   * {@link checkpoint}: a checkpoint must only reflect what was published.
   */
  flushPending(): Promise<Alert[]> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
      const alerts = this.takePendingAlerts();
      await this.afterEngine(() => this.emit(alerts));
      return alerts;
    });
  }

  /**
   * The engine snapshot as JSON: together with the source offsets of the batches ingested so far, a restart point.
   * Directly stored events are in the store already; in write-behind mode the caller saves it in a step after the
   * events channel, so whatever a saved checkpoint reflects is in the store.
   */
  checkpoint(): Promise<string> {
    return this.serial(async () => {
      if (this.broken) throw new PipelineBrokenError(this.broken);
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

  /** Refuses further calls until {@link restore}: a write behind it failed, so its state is ahead of what was stored. */
  markBroken(cause: Error): void {
    this.broken ??= cause;
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
   * In write-behind mode: of a batch's changed and closed alerts, versions of alerts already handed on wait (unless the
   * batch opened an alert and `holdAll` is off: then everything goes now). Returns the alerts to upsert and hand on now.
   */
  private holdUpdates(changed: Alert[], closed: Alert[], holdAll: boolean): Alert[] {
    if (!this.behind) return [...changed, ...closed];
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
    if (!this.behind) return [...changed, ...closed];
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

  /** Upserts the alerts and hands them on: now, or (write-behind) through the alerts channel, after the events before them. */
  private async emit(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    this.totals.alerts += alerts.length;
    // A failed write goes to the writer's onFailure (its owner drops this pipeline and re-reads from the checkpoint).
    if (this.behind) this.behind.alerts.add(alerts);
    else {
      await this.store.insertAlerts(alerts);
      if (this.onAlerts) await this.onAlerts(alerts);
    }
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
