import { type Alert, type Category, type Incident, severityRank } from '@agentwatch/schemas';
import { incidentId } from './incident-id.ts';
import { incidentRisk } from './risk.ts';
import { incidentTitle } from './title.ts';

const DAY_MS = 86_400_000;
/** Default {@link GrouperOptions.retainMs}: longer than the longest dedup window of the built-in rules (30 days). */
export const DEFAULT_INCIDENT_RETAIN_MS = 31 * DAY_MS;

export interface GrouperOptions {
  /** `detection.incident_window` in ms: the largest gap in event time between linked alerts of one incident. */
  windowMs: number;
  /**
   * An incident whose last alert is this much (plus the window) older than the newest alert seen is let go from
   * memory (it is final). Must exceed the longest dedup window: an alert is handed on when its window closes, up to
   * that long after its events, and must still find the incidents it belongs to.
   */
  retainMs?: number;
}

/** What one {@link IncidentGrouper.add} changed. */
export interface IncidentChanges {
  /** Incidents created or changed, in their new state. */
  upserts: Incident[];
  /** Incidents absorbed into another (their alerts now belong to `merged_into`); they no longer exist. */
  merged: Array<{ incident_id: string; merged_into: string }>;
}

interface Node {
  alert: Alert;
  firstMs: number;
  lastMs: number;
  keys: string[];
  incident: string;
}

/**
 * Groups alerts into incidents (alerts.md 1.1), incrementally, in memory, without I/O or clock.
 *
 * Two alerts are linked when they share a link key and their event-time spans are at most `windowMs` apart; an alert's
 * span is [first_seen, last_seen], cut at one window after first_seen (see {@link endOf}). Link keys: `agent:<agent_id>` of the alert, `agent:<id>` of each agent its evidence ties it to
 * (`linked_agent_ids`: delegation chain, owner of a token it used) and `token:<id>` of each token its evidence names
 * (`token_ids`, `token_id`). An incident is a connected group of linked alerts (single linkage, like a session
 * window with gap `windowMs`): an alert may thus join two incidents, which then merge.
 *
 * The grouping depends only on the set of alerts (their final versions), never on the order they are fed in: links
 * appear as alerts grow (spans widen, link lists grow), and when an alert's first_seen moves earlier (its span may
 * then end sooner) its incident is regrouped from scratch, so the live pipeline (alerts as they open and grow,
 * from several partitions) and replay (alerts as their windows close) end with the same incidents. Its id comes
 * from its first alert (earliest first_seen, then smallest alert_id): when alerts join or incidents merge, the
 * incident keeps or takes the id of the earliest first alert, and the others are reported in `merged`.
 *
 * Left out (see {@link groups}): suppressed alerts and telemetry_integrity alerts.
 */
export class IncidentGrouper {
  private readonly windowMs: number;
  private readonly retainMs: number;
  private readonly nodes = new Map<string, Node>();
  private readonly byKey = new Map<string, Set<string>>();
  private readonly incidents = new Map<string, Set<string>>();
  private watermarkMs = Number.NEGATIVE_INFINITY;
  private nextEvictMs = Number.NEGATIVE_INFINITY;

  constructor(opts: GrouperOptions) {
    if (!(opts.windowMs >= 0)) throw new Error(`incident window must be >= 0 ms, got ${opts.windowMs}`);
    this.windowMs = opts.windowMs;
    this.retainMs = opts.retainMs ?? DEFAULT_INCIDENT_RETAIN_MS;
  }

  /** Feeds a new alert or a later version of one already fed; returns the incidents it created, changed or merged. */
  add(alert: Alert): IncidentChanges {
    if (!groups(alert) && !this.nodes.has(alert.alert_id)) return { upserts: [], merged: [] };
    const firstMs = Date.parse(alert.first_seen);
    const lastMs = Date.parse(alert.last_seen);
    let node = this.nodes.get(alert.alert_id);
    let shrunk = false;
    if (!node) {
      node = { alert, firstMs, lastMs, keys: [], incident: '' };
      this.nodes.set(alert.alert_id, node);
    } else {
      const endBefore = this.endOf(node);
      node.alert = alert;
      node.firstMs = Math.min(node.firstMs, firstMs);
      node.lastMs = Math.max(node.lastMs, lastMs);
      shrunk = this.endOf(node) < endBefore;
    }
    for (const key of linkKeys(alert)) {
      if (node.keys.includes(key)) continue;
      node.keys.push(key);
      const set = this.byKey.get(key);
      if (set) set.add(alert.alert_id);
      else this.byKey.set(key, new Set([alert.alert_id]));
    }
    const joined = new Set<string>();
    if (node.incident) joined.add(node.incident);
    for (const other of this.neighbours(node)) joined.add(other.incident);
    const members = new Set<string>([alert.alert_id]);
    for (const id of joined) for (const m of this.incidents.get(id) ?? []) members.add(m);
    // Links only appear as alerts grow, so the incidents joined are one; except when an alert's first_seen moved
    // earlier (an earlier finding folded late) and its link span ended sooner: then the group may fall apart.
    const parts = shrunk ? this.components(members) : [members];
    const changes: IncidentChanges = { upserts: [], merged: [] };
    const kept = new Map<string, Set<string>>();
    for (const g of parts) {
      const id = incidentId(this.firstAlert(g).alert.alert_id);
      kept.set(id, g);
      this.incidents.set(id, g);
      for (const m of g) (this.nodes.get(m) as Node).incident = id;
      changes.upserts.push(this.view(id, g));
    }
    for (const old of joined) {
      if (kept.has(old)) continue;
      this.incidents.delete(old);
      changes.merged.push({ incident_id: old, merged_into: this.successor(old, kept) });
    }
    changes.merged.sort((a, b) => cmp(a.incident_id, b.incident_id));
    changes.upserts.sort(compareIncidents);
    if (lastMs > this.watermarkMs) this.watermarkMs = lastMs;
    if (this.watermarkMs >= this.nextEvictMs) this.evict();
    return changes;
  }

  /** Every incident held, in {@link compareIncidents} order. */
  incidentsNow(): Incident[] {
    return [...this.incidents.entries()].map(([id, m]) => this.view(id, m)).sort(compareIncidents);
  }

  /** Incidents and alerts held (for metrics and tests). */
  size(): { incidents: number; alerts: number } {
    return { incidents: this.incidents.size, alerts: this.nodes.size };
  }

  /**
   * Where an alert's link span ends: its last event, but at most one window after its first. A standing condition
   * (an overdue review folds every event of its agent for 30 days) must not glue that agent's unrelated findings of
   * weeks into one incident; it links what happened around its start.
   */
  private endOf(n: Node): number {
    return Math.min(n.lastMs, n.firstMs + this.windowMs);
  }

  private linked(a: Node, b: Node): boolean {
    const gap = Math.max(0, b.firstMs - this.endOf(a), a.firstMs - this.endOf(b));
    return gap <= this.windowMs;
  }

  /** The alerts linked to `node` (sharing a key, spans within the window). */
  private *neighbours(node: Node): Generator<Node> {
    for (const key of node.keys) {
      for (const otherId of this.byKey.get(key) ?? []) {
        if (otherId === node.alert.alert_id) continue;
        const other = this.nodes.get(otherId) as Node;
        if (this.linked(node, other)) yield other;
      }
    }
  }

  /** The connected groups of linked alerts among `members`, in the order of their first member. */
  private components(members: Set<string>): Array<Set<string>> {
    const seen = new Set<string>();
    const out: Array<Set<string>> = [];
    for (const start of members) {
      if (seen.has(start)) continue;
      const group = new Set<string>([start]);
      seen.add(start);
      const todo = [start];
      for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
        for (const other of this.neighbours(this.nodes.get(id) as Node)) {
          const oid = other.alert.alert_id;
          if (!members.has(oid) || seen.has(oid)) continue;
          seen.add(oid);
          group.add(oid);
          todo.push(oid);
        }
      }
      out.push(group);
    }
    return out;
  }

  /** The incident that holds the first alert of incident `old` (whose id came from it) after a regrouping. */
  private successor(old: string, kept: Map<string, Set<string>>): string {
    for (const [id, g] of kept) for (const m of g) if (incidentId(m) === old) return id;
    return kept.keys().next().value as string;
  }

  private firstAlert(members: Iterable<string>): Node {
    let best: Node | undefined;
    for (const id of members) {
      const n = this.nodes.get(id) as Node;
      if (!best || n.firstMs < best.firstMs || (n.firstMs === best.firstMs && id < best.alert.alert_id)) best = n;
    }
    return best as Node;
  }

  private view(id: string, members: Set<string>): Incident {
    const nodes = [...members].map((m) => this.nodes.get(m) as Node).sort((a, b) => a.firstMs - b.firstMs || cmp(a.alert.alert_id, b.alert.alert_id));
    const alerts = nodes.map((n) => n.alert);
    const agents = new Set<string>();
    const owners = new Set<string>();
    const categories = new Set<Category>();
    let firstMs = Number.POSITIVE_INFINITY;
    let lastMs = Number.NEGATIVE_INFINITY;
    let severity = alerts[0]?.severity ?? 'info';
    for (const n of nodes) {
      const a = n.alert;
      agents.add(a.agent_id);
      if (a.owner !== null) owners.add(a.owner);
      categories.add(a.category);
      firstMs = Math.min(firstMs, n.firstMs);
      lastMs = Math.max(lastMs, n.lastMs);
      if (severityRank(a.severity) > severityRank(severity)) severity = a.severity;
    }
    const agentIds = [...agents].sort(cmp);
    const risk = incidentRisk({ severities: alerts.map((a) => a.severity), categoryCount: categories.size, firstSeenMs: firstMs, lastSeenMs: lastMs });
    return {
      incident_id: id,
      agent_ids: agentIds,
      owners: [...owners].sort(cmp),
      alert_ids: alerts.map((a) => a.alert_id),
      alert_count: alerts.length,
      first_seen: new Date(firstMs).toISOString(),
      last_seen: new Date(lastMs).toISOString(),
      risk_score: risk.score,
      risk_explanation: risk.explanation,
      severity,
      categories: [...categories].sort(cmp),
      title: incidentTitle(agentIds, alerts),
      status: 'new',
    };
  }

  /** Lets go of incidents that can no longer grow (see {@link GrouperOptions.retainMs}); at most once an hour of event time. */
  private evict(): void {
    this.nextEvictMs = this.watermarkMs + 3_600_000;
    const horizon = this.watermarkMs - this.retainMs - this.windowMs;
    for (const [id, members] of this.incidents) {
      let last = Number.NEGATIVE_INFINITY;
      for (const m of members) last = Math.max(last, (this.nodes.get(m) as Node).lastMs);
      if (last >= horizon) continue;
      this.incidents.delete(id);
      for (const m of members) {
        const n = this.nodes.get(m) as Node;
        for (const k of n.keys) {
          const set = this.byKey.get(k);
          set?.delete(m);
          if (set?.size === 0) this.byKey.delete(k);
        }
        this.nodes.delete(m);
      }
    }
  }
}

/**
 * Whether an alert joins incidents. Not when it is `suppressed` (a known-benign pattern an engineer silenced,
 * alerts.md) when first fed, nor when it is `telemetry_integrity`: those are dated by arrival, not event time (the
 * server's clock live, the recorded stream's position in replay), so grouping them would make live and replay
 * disagree, and the event they report carries a time nobody believes. They stay in the alert queue.
 */
export function groups(alert: Alert): boolean {
  return alert.status !== 'suppressed' && alert.category !== 'telemetry_integrity';
}

/** The keys by which an alert links to others (see {@link IncidentGrouper}). */
export function linkKeys(alert: Alert): string[] {
  const keys = [`agent:${alert.agent_id}`];
  const ev = alert.evidence;
  for (const id of stringList(ev['linked_agent_ids'])) keys.push(`agent:${id}`);
  for (const id of stringList(ev['token_ids'])) keys.push(`token:${id}`);
  if (typeof ev['token_id'] === 'string') keys.push(`token:${ev['token_id']}`);
  return [...new Set(keys)];
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Deterministic order of incidents (replay's NDJSON): first_seen, then incident_id. */
export function compareIncidents(a: Incident, b: Incident): number {
  return cmp(a.first_seen, b.first_seen) || cmp(a.incident_id, b.incident_id);
}
