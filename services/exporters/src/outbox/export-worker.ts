import { type BackoffOptions, backoffDelay, sleepUnlessAborted } from '@agentwatch/collector/backoff';
import type { Alert, Incident } from '@agentwatch/schemas';
import { type ExportCursor, type OutboxEntry, type OutboxStore, outboxKey } from '@agentwatch/store';
import { activityOf } from '../formats/delivery.ts';
import { DeliveryError, type ExportItem, type IncidentItem, type Transport } from '../transports/transport.ts';

/** Where one exporter stands, for GET /v1/exporters and the metrics. Counters survive restarts (the cursor row). */
export interface ExporterState {
  name: string;
  type: string;
  /** Where it delivers, without credentials (a URL's user info and query are cut). */
  target: string;
  state: 'starting' | 'idle' | 'delivering' | 'retrying' | 'stopped';
  delivered: number;
  failed: number;
  filtered: number;
  /** Versions skipped because this exporter had already delivered them (a version queued twice around a crash). */
  repeatsSkipped: number;
  /** Send attempts that failed and were retried, since this process started. */
  retries: number;
  lastDeliveryMs: number | null;
  lastError: string;
  lastErrorAtMs: number | null;
  /** The last outbox seq this exporter is done with. */
  cursorSeq: number;
  nextRetryAtMs: number | null;
}

export interface ExportWorkerOptions {
  name: string;
  type: string;
  target: string;
  outbox: OutboxStore;
  transport: Transport;
  /** The exporter's filter (export-filter.ts); a version it refuses is passed over and counted as filtered. */
  accepts: (alert: Alert) => boolean;
  /** The same filter for incidents (default: none pass); only a transport with `sendIncidents` gets them. */
  acceptsIncident?: (incident: Incident) => boolean;
  /** Alert versions per send (default 100). */
  batchSize?: number;
  /** Between failed attempts (default 500 ms doubling to 60 s, jittered). */
  backoff?: BackoffOptions;
  /** Idle re-read of the outbox when no queue notification came (default 1 s). */
  idlePollMs?: number;
  /** A send failing with something other than a DeliveryError this many times in a row is kept as failed (default 10). */
  maxUnexplainedFailures?: number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
  now?: () => number;
}

/** Delivered (alert, version) pairs remembered to skip a version queued twice (around a crash or a lost store ack). */
const RECALL = 100_000;
const RECALL_ON_START = 20_000;
/** Outbox rows read at once, in batches: one store read serves this many sends. */
const READ_AHEAD = 10;
/** While retrying, the cursor row (last error, counters) is saved at most this often. */
const ERROR_SAVE_EVERY_MS = 5_000;

/**
 * Delivers one exporter's alert versions from the store's outbox, in outbox order (so every alert's versions in
 * order), at least once, resuming from the cursor saved in the store after each batch. A receiver that is down is
 * retried with exponential backoff while the backlog stays in the store (memory does not grow with it); a version the
 * receiver refuses for good is kept in `export_failed` and counted. Each delivery names `<alert_id>:<version>`, so a
 * receiver drops the repeat a crash between a send and its cursor save can cause (exporters.md "exactly once as seen by
 * the receiver"); versions this worker knows it delivered are not sent again.
 */
export class ExportWorker {
  private readonly st: ExporterState;
  private readonly abort = new AbortController();
  private readonly delivered = new Map<string, number>();
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastErrorSaveMs = 0;
  /** Failed attempts in a row (the backoff exponent); 0 after a success. */
  private consecutive = 0;
  private unexplained = { key: '', count: 0 };
  private readonly now: () => number;

  constructor(private readonly opts: ExportWorkerOptions) {
    this.now = opts.now ?? Date.now;
    this.st = {
      name: opts.name,
      type: opts.type,
      target: opts.target,
      state: 'starting',
      delivered: 0,
      failed: 0,
      filtered: 0,
      repeatsSkipped: 0,
      retries: 0,
      lastDeliveryMs: null,
      lastError: '',
      lastErrorAtMs: null,
      cursorSeq: 0,
      nextRetryAtMs: null,
    };
  }

  state(): Readonly<ExporterState> {
    return { ...this.st };
  }

  /**
   * Loads the cursor (a new exporter starts at the outbox's current end: it receives what is stored from now on) and
   * starts delivering. Awaited before alerts flow, so a new exporter's first alert is never before its cursor.
   */
  async start(): Promise<void> {
    await this.retrying('load the cursor', () => this.loadCursor());
    this.unsubscribe = this.opts.outbox.onQueued(() => this.wake?.());
    this.loop = this.run();
  }

  /** Stops after the send in flight (if any) ends; the cursor is saved after every batch, so nothing more is needed. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    this.unsubscribe?.();
    await this.loop;
    this.st.state = 'stopped';
    await this.opts.transport.close().catch(() => undefined);
  }

  private async loadCursor(): Promise<void> {
    const c = await this.opts.outbox.cursor(this.opts.name);
    if (c) {
      Object.assign(this.st, {
        cursorSeq: c.seq,
        delivered: c.delivered,
        failed: c.failed,
        filtered: c.filtered,
        lastDeliveryMs: c.lastDeliveryMs,
        lastError: c.lastError,
        lastErrorAtMs: c.lastErrorAtMs,
      });
      for (const e of (await this.opts.outbox.readBefore(c.seq, RECALL_ON_START)).reverse()) this.remember(e);
    } else {
      this.st.cursorSeq = await this.opts.outbox.head();
      await this.saveCursor();
    }
    for (const id of (await this.opts.transport.alreadyDelivered?.()) ?? []) {
      const i = id.lastIndexOf(':');
      const alertId = id.slice(0, i);
      const version = Number(id.slice(i + 1));
      if (Number.isInteger(version)) this.remember({ id: alertId, version });
    }
  }

  private async run(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 100;
    while (!this.abort.signal.aborted) {
      let page: OutboxEntry[];
      try {
        // A read serves several sends (a store round trip costs more than a loopback send); every send saves the cursor.
        page = await this.opts.outbox.read(this.st.cursorSeq, batchSize * READ_AHEAD);
      } catch (err) {
        await this.failed(`store: ${(err as Error).message}`, undefined);
        continue;
      }
      if (page.length === 0) {
        this.st.state = 'idle';
        await this.idle();
        continue;
      }
      this.st.state = this.st.state === 'retrying' ? 'retrying' : 'delivering';
      for (const batch of batches(page, batchSize)) {
        // A failure re-reads from the cursor: what follows the failed version was not sent.
        if (this.abort.signal.aborted || !(await this.deliver(batch))) break;
      }
    }
  }

  /**
   * Sends one batch; on return the cursor has moved past what is done (delivered, filtered, repeated, kept as failed).
   * False when the batch did not go through whole.
   */
  private async deliver(page: OutboxEntry[]): Promise<boolean> {
    const toSend: OutboxEntry[] = [];
    for (const e of page) {
      if (this.isRepeat(e)) this.st.repeatsSkipped++;
      else if (!this.wants(e)) this.st.filtered++;
      else toSend.push(e);
    }
    if (toSend.length === 0) {
      this.st.cursorSeq = (page.at(-1) as OutboxEntry).seq;
      await this.saveCursorQuietly();
      return true;
    }
    try {
      await this.send(toSend);
      this.done(toSend);
      this.st.cursorSeq = (page.at(-1) as OutboxEntry).seq;
      this.st.state = 'delivering';
      this.st.nextRetryAtMs = null;
      this.consecutive = 0;
      this.unexplained = { key: '', count: 0 };
      await this.saveCursorQuietly();
      return true;
    } catch (err) {
      const de = err instanceof DeliveryError ? err : null;
      const n = Math.min(Math.max(de?.delivered ?? 0, 0), toSend.length);
      this.done(toSend.slice(0, n));
      const first = toSend[n] as OutboxEntry;
      // Everything before the first undelivered version is done (sent, filtered or repeated).
      this.st.cursorSeq = Math.max(this.st.cursorSeq, ...page.filter((e) => e.seq < first.seq).map((e) => e.seq));
      const message = (err as Error).message;
      if (de?.permanent || this.tooManyUnexplained(first, de)) await this.keepFailed(first, message);
      else await this.failed(`${outboxKey(first)}: ${message}`, de?.opts.retryAfterMs);
      return false;
    }
  }

  private done(entries: OutboxEntry[]): void {
    if (entries.length === 0) return;
    this.st.delivered += entries.length;
    this.st.lastDeliveryMs = this.now();
    for (const e of entries) this.remember(e);
  }

  /** A version the receiver refused for good: kept in export_failed with the reason, counted, and passed over. */
  private async keepFailed(e: OutboxEntry, message: string): Promise<void> {
    const atMs = this.now();
    const id = e.kind === 'alert' ? e.alertId : e.incidentId;
    const error = `${outboxKey(e)}: ${message}`;
    this.opts.log?.error(
      { exporter: this.opts.name, [e.kind === 'alert' ? 'alert_id' : 'incident_id']: id, version: e.version, error: message },
      `exporter: receiver refused an ${e.kind} version; kept as failed`,
    );
    await this.retrying('keep a refused version', () =>
      this.opts.outbox.recordFailed([{ exporter: this.opts.name, seq: e.seq, alertId: id, version: e.version, failedAtMs: atMs, error: message }]),
    );
    this.st.failed++;
    this.st.lastError = error;
    this.st.lastErrorAtMs = atMs;
    this.st.cursorSeq = e.seq;
    this.consecutive = 0;
    this.unexplained = { key: '', count: 0 };
    await this.saveCursorQuietly();
  }

  /** A send or store failure to retry: backoff (or the receiver's Retry-After), the error recorded. */
  private async failed(message: string, retryAfterMs: number | undefined): Promise<void> {
    const atMs = this.now();
    const attempt = this.consecutive++;
    this.st.retries++;
    const wait = Math.max(retryAfterMs ?? 0, backoffDelay(attempt, { initialMs: 500, maxMs: 60_000, ...this.opts.backoff }));
    if (this.st.state !== 'retrying') this.opts.log?.warn({ exporter: this.opts.name, error: message }, 'exporter: delivery failed; retrying with backoff');
    this.st.state = 'retrying';
    this.st.lastError = message;
    this.st.lastErrorAtMs = atMs;
    this.st.nextRetryAtMs = atMs + wait;
    if (atMs - this.lastErrorSaveMs >= ERROR_SAVE_EVERY_MS) {
      this.lastErrorSaveMs = atMs;
      await this.saveCursorQuietly();
    }
    await sleepUnlessAborted(wait, this.abort.signal);
  }

  private tooManyUnexplained(first: OutboxEntry, de: DeliveryError | null): boolean {
    if (de) return false;
    const key = outboxKey(first);
    this.unexplained = this.unexplained.key === key ? { key, count: this.unexplained.count + 1 } : { key, count: 1 };
    return this.unexplained.count >= (this.opts.maxUnexplainedFailures ?? 10);
  }

  /** Whether this exporter takes the entry: its filter, and for an incident a transport that can send one. */
  private wants(e: OutboxEntry): boolean {
    if (e.kind === 'alert') return this.opts.accepts(e.alert);
    return this.opts.transport.sendIncidents !== undefined && (this.opts.acceptsIncident?.(e.incident) ?? false);
  }

  /** One batch of one kind (see {@link batches}) through the transport. */
  private async send(entries: OutboxEntry[]): Promise<void> {
    const delivery = (e: OutboxEntry, status: Alert['status']) => ({
      exporter: this.opts.name,
      version: e.version,
      activity: activityOf(status, e.version),
      time: new Date(e.queuedAtMs).toISOString(),
    });
    const alerts: ExportItem[] = [];
    const incidents: IncidentItem[] = [];
    for (const e of entries) {
      if (e.kind === 'alert') alerts.push({ alert: e.alert, delivery: delivery(e, e.alert.status) });
      else incidents.push({ incident: e.incident, delivery: delivery(e, e.incident.status) });
    }
    if (alerts.length > 0) await this.opts.transport.send(alerts);
    else await this.opts.transport.sendIncidents?.(incidents);
  }

  private isRepeat(e: OutboxEntry): boolean {
    return (this.delivered.get(subjectId(e)) ?? 0) >= e.version;
  }

  /** Remembers a delivered version by its subject id (the id part of `<id>:<version>`, as receivers see it). */
  private remember(e: OutboxEntry | { id: string; version: number }): void {
    const id = 'id' in e ? e.id : subjectId(e);
    const prev = this.delivered.get(id) ?? 0;
    this.delivered.delete(id);
    this.delivered.set(id, Math.max(prev, e.version));
    if (this.delivered.size > RECALL) this.delivered.delete(this.delivered.keys().next().value as string);
  }

  private cursorRow(): ExportCursor {
    const s = this.st;
    return {
      exporter: s.name,
      writer: this.opts.outbox.writer,
      seq: s.cursorSeq,
      delivered: s.delivered,
      failed: s.failed,
      filtered: s.filtered,
      lastDeliveryMs: s.lastDeliveryMs,
      lastError: s.lastError,
      lastErrorAtMs: s.lastErrorAtMs,
    };
  }

  private saveCursor(): Promise<void> {
    return this.opts.outbox.saveCursor(this.cursorRow(), this.now());
  }

  /** A cursor save that fails is retried with the next one (at worst a batch is sent again after a crash). */
  private async saveCursorQuietly(): Promise<void> {
    try {
      await this.saveCursor();
    } catch (err) {
      this.opts.log?.warn({ exporter: this.opts.name, err }, 'exporter: cursor not saved; saved with the next batch');
    }
  }

  /** Runs a store step until it succeeds (backoff between tries) or the worker stops. */
  private async retrying(what: string, step: () => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      try {
        await step();
        return;
      } catch (err) {
        const message = `store: ${what}: ${(err as Error).message}`;
        this.st.lastError = message;
        this.st.lastErrorAtMs = this.now();
        if (attempt === 0) this.opts.log?.warn({ exporter: this.opts.name, error: message }, 'exporter: store step failed; retrying');
        await sleepUnlessAborted(backoffDelay(attempt, { initialMs: 500, maxMs: 30_000, ...this.opts.backoff }), this.abort.signal);
      }
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.opts.idlePollMs ?? 1_000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

const subjectId = (e: OutboxEntry): string => (e.kind === 'alert' ? e.alertId : e.incidentId);

/** A page cut into batches of at most `size` entries of one kind each (a transport sends alerts or incidents). */
function* batches(page: OutboxEntry[], size: number): Generator<OutboxEntry[]> {
  let cur: OutboxEntry[] = [];
  for (const e of page) {
    if (cur.length === size || (cur.length > 0 && (cur[0] as OutboxEntry).kind !== e.kind)) {
      yield cur;
      cur = [];
    }
    cur.push(e);
  }
  if (cur.length > 0) yield cur;
}
