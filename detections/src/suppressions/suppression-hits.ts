import type { Alert } from '@agentwatch/schemas';

/** Hits of one suppression: alerts it hid and the event time of the latest. */
export interface SuppressionHitCount {
  hits: number;
  /** Greatest `last_seen` (epoch ms) among the emissions it suppressed; null before the first hit. */
  lastHitMs: number | null;
}

/**
 * Counts hits per suppression from emitted alerts. A hit is one alert (one `alert_id`) a suppression set to
 * `suppressed`, counted once however often the alert is emitted again (it grew, its window closed, a restart re-read
 * its events); the last hit is the latest event time (`last_seen`) of a suppressed emission. The store keeps the
 * same count for the live pipeline (suppression-store.ts); replay prints this one.
 */
export class SuppressionHits {
  private readonly seen = new Map<string, { alerts: Set<string>; lastHitMs: number }>();

  record(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      if (a.status !== 'suppressed' || a.suppression_id === undefined) continue;
      let s = this.seen.get(a.suppression_id);
      if (!s) {
        s = { alerts: new Set(), lastHitMs: Number.NEGATIVE_INFINITY };
        this.seen.set(a.suppression_id, s);
      }
      s.alerts.add(a.alert_id);
      s.lastHitMs = Math.max(s.lastHitMs, Date.parse(a.last_seen));
    }
  }

  get(suppressionId: string): SuppressionHitCount {
    const s = this.seen.get(suppressionId);
    return s ? { hits: s.alerts.size, lastHitMs: s.lastHitMs } : { hits: 0, lastHitMs: null };
  }
}
