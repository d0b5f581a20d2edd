import type { CanonicalEvent } from '@agentwatch/schemas';
import { type RobustSummary, summarise } from './robust-stats.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Completed active hours kept per agent: about four weeks of a business-hours agent. */
export const HOURLY_HISTORY = 240;
/** Distinct tools / resource families remembered per agent; past this, first-seen checks stop. */
export const MAX_DISTINCT = 2_000;

/** One hour of an agent's activity. */
export interface HourBucket {
  hourStartMs: number;
  events: number;
  bytesOut: number;
  records: number;
  denied: number;
}

/**
 * An agent's learned behaviour, updated by the engine after the rules have judged each event (so an
 * event is always compared with what came before it). Plain JSON data; bounded: fixed-size histories,
 * capped sets. Mirrors the per-agent hourly aggregates the live store keeps.
 */
export interface AgentBaseline {
  firstSeenMs: number;
  lastSeenMs: number;
  /** Distinct UTC days with activity (count only). */
  activeDays: number;
  lastActiveDay: number;
  /** Events per hour of day (UTC). */
  hourOfDay: number[];
  totalEvents: number;
  current: HourBucket;
  /** Completed hours with activity, oldest first, at most {@link HOURLY_HISTORY}. */
  history: HourBucket[];
  tools: Record<string, number>;
  toolCount: number;
  resources: Record<string, number>;
  resourceCount: number;
  /** Robust summaries of `history`, computed at most once per hour (see {@link hourlyStats}). */
  stats: HourlyStats | null;
}

/** Robust summaries of the completed hours, per measure. */
export interface HourlyStats {
  hours: number;
  events: RobustSummary;
  bytesOut: RobustSummary;
  records: RobustSummary;
  denied: RobustSummary;
}

/** Summaries of the agent's completed active hours; null until there are any. Memoised until the hour rolls. */
export function hourlyStats(b: AgentBaseline): HourlyStats | null {
  if (b.stats) return b.stats;
  const h = b.history;
  if (h.length === 0) return null;
  b.stats = {
    hours: h.length,
    events: summarise(h.map((x) => x.events)) as RobustSummary,
    bytesOut: summarise(h.map((x) => x.bytesOut)) as RobustSummary,
    records: summarise(h.map((x) => x.records)) as RobustSummary,
    denied: summarise(h.map((x) => x.denied)) as RobustSummary,
  };
  return b.stats;
}

export function newBaseline(nowMs: number): AgentBaseline {
  return {
    firstSeenMs: nowMs,
    lastSeenMs: nowMs,
    activeDays: 0,
    lastActiveDay: -1,
    hourOfDay: new Array<number>(24).fill(0),
    totalEvents: 0,
    current: emptyHour(Math.floor(nowMs / HOUR_MS) * HOUR_MS),
    history: [],
    tools: Object.create(null) as Record<string, number>,
    toolCount: 0,
    resources: Object.create(null) as Record<string, number>,
    resourceCount: 0,
    stats: null,
  };
}

const emptyHour = (hourStartMs: number): HourBucket => ({ hourStartMs, events: 0, bytesOut: 0, records: 0, denied: 0 });

/** Whether the baseline has seen enough to judge: long enough and on enough distinct days. */
export function isWarm(b: AgentBaseline, nowMs: number, learningMs: number, minActiveDays: number): boolean {
  return nowMs - b.firstSeenMs >= learningMs && b.activeDays >= minActiveDays;
}

/**
 * A resource's family: scheme plus first path segment (`erp://invoices/2026-118` -> `erp://invoices`,
 * `s3://bucket/key` -> `s3://bucket`, `/var/data/x` -> `/var`), so "new resource" means a new kind of
 * target, not a new record id.
 */
export function resourceFamily(resource: string): string {
  const sep = resource.indexOf('://');
  if (sep >= 0) {
    const rest = resource.slice(sep + 3);
    const slash = rest.indexOf('/');
    return slash < 0 ? resource : resource.slice(0, sep + 3 + slash);
  }
  if (resource.startsWith('arn:')) return resource.split(':').slice(0, 6).join(':').split('/')[0] as string;
  const slash = resource.indexOf('/', 1);
  return slash < 0 ? resource : resource.slice(0, slash);
}

/** Whether an event counts as a denial (a denied call or a policy deny). */
export const isDenial = (e: CanonicalEvent): boolean =>
  (e.kind === 'tool_call' && e.outcome === 'denied') || (e.kind === 'policy_decision' && e.decision === 'deny');

/**
 * Moves the current-hour bucket forward to the hour of `nowMs`, archiving the finished hour. The engine
 * calls it before the rules run, so `current` always holds this hour's activity so far.
 */
export function rollTo(b: AgentBaseline, nowMs: number): void {
  const hourStart = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  if (hourStart <= b.current.hourStartMs) return;
  if (b.current.events > 0) {
    b.history.push(b.current);
    if (b.history.length > HOURLY_HISTORY) b.history.shift();
  }
  b.current = emptyHour(hourStart);
  b.stats = null;
}

/** Folds the event at `nowMs` into the baseline (after the rules have judged it). */
export function observe(b: AgentBaseline, e: CanonicalEvent, nowMs: number): void {
  rollTo(b, nowMs);
  const day = Math.floor(nowMs / DAY_MS);
  if (day !== b.lastActiveDay) {
    b.activeDays++;
    b.lastActiveDay = day;
  }
  b.lastSeenMs = Math.max(b.lastSeenMs, nowMs);
  b.totalEvents++;
  b.hourOfDay[Math.floor(nowMs / HOUR_MS) % 24]! += 1;
  const cur = b.current;
  cur.events++;
  if (isDenial(e)) cur.denied++;
  if (e.kind === 'tool_call') {
    cur.bytesOut += e.bytes_out ?? 0;
    cur.records += e.records ?? 0;
    if (b.toolCount < MAX_DISTINCT && !Object.hasOwn(b.tools, e.tool)) {
      b.tools[e.tool] = nowMs;
      b.toolCount++;
    }
    if (e.resource !== undefined) {
      const fam = resourceFamily(e.resource);
      if (b.resourceCount < MAX_DISTINCT && !Object.hasOwn(b.resources, fam)) {
        b.resources[fam] = nowMs;
        b.resourceCount++;
      }
    }
  }
}
