import { DEFAULT_INCIDENT_RETAIN_MS, type IncidentChanges, IncidentGrouper } from '@agentwatch/detections';
import type { Alert, Incident } from '@agentwatch/schemas';
import type { Store } from '@agentwatch/store';
import type { Logger } from 'pino';

export interface LiveIncidentsOptions {
  store: Store;
  /** `detection.incident_window` in ms. */
  windowMs: number;
  logger?: Logger;
}

/**
 * Incidents of the live pipeline (alerts.md 1.1): the alerts `up` stores (as they open, grow and close, from every
 * partition) go through the same {@link IncidentGrouper} as `replay --incidents`, and what it changes is upserted into
 * `store.incidents`. Grouping does not depend on the order alerts come in, so live and replay agree.
 *
 * A failed incident write does not stop alert ingestion: the changes are kept (latest per incident) and written with
 * the next alerts, and logged meanwhile. After a restart {@link rebuild} feeds the grouper the stored alerts that
 * incidents can still grow from, so new alerts join the incidents they belong to.
 */
export class LiveIncidents {
  private readonly grouper: IncidentGrouper;
  private readonly store: Store;
  private readonly windowMs: number;
  private readonly log: Logger | undefined;
  private readonly pending = new Map<string, Incident>();
  private readonly merged = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: LiveIncidentsOptions) {
    this.grouper = new IncidentGrouper({ windowMs: opts.windowMs });
    this.store = opts.store;
    this.windowMs = opts.windowMs;
    this.log = opts.logger;
  }

  /**
   * Start-up: feeds the grouper every stored alert whose last event is at most the grouper's retention (plus the
   * window) older than the newest stored alert, in one pass (store.alertsSince). Their incidents are in the store already, so nothing is
   * written. Returns how many alerts were read.
   */
  async rebuild(): Promise<number> {
    const newest = (await this.store.queryAlerts({ limit: 1 })).alerts[0];
    if (!newest) return 0;
    // Newest by first_seen; last_seen of others may be later, which only widens what is read.
    const since = Date.parse(newest.first_seen) - DEFAULT_INCIDENT_RETAIN_MS - this.windowMs;
    let n = 0;
    // One pass over the stored alerts (grouping does not depend on their order).
    for await (const batch of this.store.alertsSince(since)) {
      this.grouper.feed(batch);
      n += batch.length;
    }
    return n;
  }

  /** Groups alerts the pipeline stored and upserts the incidents they changed. Never throws (see the class note). */
  add(alerts: readonly Alert[]): Promise<void> {
    const run = async (): Promise<void> => {
      this.note(this.grouper.addAll(alerts));
      await this.flush();
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Incidents changed but not yet written (after a failed write). */
  pendingCount(): number {
    return this.pending.size + this.merged.size;
  }

  private note(changes: IncidentChanges): void {
    for (const m of changes.merged) {
      this.pending.delete(m.incident_id);
      this.merged.set(m.incident_id, m.merged_into);
    }
    for (const i of changes.upserts) this.pending.set(i.incident_id, i);
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0 && this.merged.size === 0) return;
    const upserts = [...this.pending.values()];
    const merged = [...this.merged].map(([incident_id, merged_into]) => ({ incident_id, merged_into }));
    try {
      await this.store.incidents.upsert({ upserts, merged });
      for (const i of upserts) if (this.pending.get(i.incident_id) === i) this.pending.delete(i.incident_id);
      for (const m of merged) if (this.merged.get(m.incident_id) === m.merged_into) this.merged.delete(m.incident_id);
    } catch (err) {
      this.log?.error({ err, pending: this.pendingCount() }, 'incidents could not be stored; kept and written with the next alerts');
    }
  }
}
