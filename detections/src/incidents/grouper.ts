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
  /** Called with an incident's final state when it is let go (replay writes every incident, also those let go). */
  onFinal?: (incident: Incident) => void;
}

/** What one {@link IncidentGrouper.add} changed. */
export interface IncidentChanges {
  /** Incidents created or changed, in their new state. */
  upserts: Incident[];
  /** Incidents absorbed into another (their alerts now belong to `merged_into`); they no longer exist. */
  merged: Array<{ incident_id: string; merged_into: string }>;
}

/** What an incident's view needs of an alert (the rest, evidence above all, is not held: thousands of alerts per agent). */
type AlertCore = Pick<Alert, 'alert_id' | 'rule_id' | 'agent_id' | 'owner' | 'category' | 'severity' | 'title'>;

const core = (a: Alert): AlertCore => ({
  alert_id: a.alert_id,
  rule_id: a.rule_id,
  agent_id: a.agent_id,
  owner: a.owner,
  category: a.category,
  severity: a.severity,
  title: a.title,
});

interface Node {
  alert: AlertCore;
  firstMs: number;
  lastMs: number;
  keys: string[];
  /** Time bucket of `firstMs` in the key index ({@link IncidentGrouper.bucketOf}). */
  bucket: number;
  group: Group | null;
}

/** An incident as held: its members, its first alert (which names it) and its last event, kept as it grows. */
interface Group {
  id: string;
  members: Set<string>;
  first: Node;
  lastMs: number;
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
 * Cost (a noisy agent raises thousands of alerts, all sharing its `agent:` key): linked alerts start at most two
 * windows apart, so each key's alerts are filed by time bucket (one window wide) and only five buckets are looked at;
 * incidents merge smaller into larger (each alert moves O(log n) times); an incident's view is built once per
 * {@link addAll} call, not once per alert.
 *
 * Left out (see {@link groups}): suppressed alerts and telemetry_integrity alerts.
 */
export class IncidentGrouper {
  private readonly windowMs: number;
  private readonly retainMs: number;
  private readonly bucketMs: number;
  private readonly onFinal: ((incident: Incident) => void) | undefined;
  private readonly nodes = new Map<string, Node>();
  /** Link key, then time bucket of first_seen, then the alerts. */
  private readonly byKey = new Map<string, Map<number, Set<Node>>>();
  private readonly incidents = new Map<string, Group>();
  private watermarkMs = Number.NEGATIVE_INFINITY;
  private nextEvictMs = Number.NEGATIVE_INFINITY;

  constructor(opts: GrouperOptions) {
    if (!(opts.windowMs >= 0)) throw new Error(`incident window must be >= 0 ms, got ${opts.windowMs}`);
    this.windowMs = opts.windowMs;
    this.retainMs = opts.retainMs ?? DEFAULT_INCIDENT_RETAIN_MS;
    this.bucketMs = Math.max(1, opts.windowMs);
    this.onFinal = opts.onFinal;
  }

  /** Feeds a new alert or a later version of one already fed; returns the incidents it created, changed or merged. */
  add(alert: Alert): IncidentChanges {
    return this.addAll([alert]);
  }

  /** Feeds alerts without building what changed (a restart re-reading stored alerts whose incidents are stored). */
  feed(alerts: Iterable<Alert>): void {
    const dirty = new Set<Group>();
    const gone = new Map<string, Node>();
    for (const a of alerts) this.place(a, dirty, gone);
  }

  /** Feeds alerts (new ones or later versions) in one step; returns the incidents they created, changed or merged. */
  addAll(alerts: Iterable<Alert>): IncidentChanges {
    const dirty = new Set<Group>();
    /** Incident ids that stopped existing in this step, with the first alert each had then. */
    const gone = new Map<string, Node>();
    for (const a of alerts) this.place(a, dirty, gone);
    const upserts = [...dirty].filter((g) => this.incidents.get(g.id) === g).map((g) => this.view(g));
    const merged: IncidentChanges['merged'] = [];
    for (const [old, first] of gone) {
      if (this.incidents.has(old) || !first.group || this.incidents.get(first.group.id) !== first.group) continue;
      merged.push({ incident_id: old, merged_into: first.group.id });
    }
    merged.sort((a, b) => cmp(a.incident_id, b.incident_id));
    upserts.sort(compareIncidents);
    return { upserts, merged };
  }

  /** Every incident held, in {@link compareIncidents} order. */
  incidentsNow(): Incident[] {
    return [...this.incidents.values()].map((g) => this.view(g)).sort(compareIncidents);
  }

  /** Incidents and alerts held (for metrics and tests). */
  size(): { incidents: number; alerts: number } {
    return { incidents: this.incidents.size, alerts: this.nodes.size };
  }

  private place(alert: Alert, dirty: Set<Group>, gone: Map<string, Node>): void {
    if (!groups(alert) && !this.nodes.has(alert.alert_id)) return;
    const firstMs = Date.parse(alert.first_seen);
    const lastMs = Date.parse(alert.last_seen);
    let node = this.nodes.get(alert.alert_id);
    let shrunk = false;
    if (!node) {
      node = { alert: core(alert), firstMs, lastMs, keys: [], bucket: this.bucketOf(firstMs), group: null };
      this.nodes.set(alert.alert_id, node);
    } else {
      const endBefore = this.endOf(node);
      node.alert = core(alert);
      if (firstMs < node.firstMs) {
        this.unindex(node);
        node.firstMs = firstMs;
        node.bucket = this.bucketOf(firstMs);
        this.index(node, node.keys);
      }
      node.lastMs = Math.max(node.lastMs, lastMs);
      shrunk = this.endOf(node) < endBefore;
    }
    const added = linkKeys(alert).filter((k) => !node.keys.includes(k));
    node.keys.push(...added);
    this.index(node, added);

    const joined = new Set<Group>();
    if (node.group) joined.add(node.group);
    for (const other of this.neighbours(node)) joined.add(other.group as Group);
    const before = [...joined].map((g) => [g.id, g.first] as const);
    for (const g of joined) this.incidents.delete(g.id);
    // Links only appear as alerts grow, so the incidents joined become one; except when an alert's first_seen moved
    // earlier (an earlier finding folded late) and its link span ended sooner: then the group may fall apart.
    const parts = shrunk ? this.regroup(node, joined) : [this.union(node, joined)];
    for (const g of parts) {
      g.id = incidentId(g.first.alert.alert_id);
      this.incidents.set(g.id, g);
      dirty.add(g);
    }
    for (const [id, first] of before) if (!this.incidents.has(id) && !gone.has(id)) gone.set(id, first);
    if (lastMs > this.watermarkMs) this.watermarkMs = lastMs;
    if (this.watermarkMs >= this.nextEvictMs) this.evict();
  }

  /** Merges the joined incidents (smaller into the largest) and `node` into one. */
  private union(node: Node, joined: Set<Group>): Group {
    let base: Group | undefined;
    for (const g of joined) if (!base || g.members.size > base.members.size) base = g;
    base ??= { id: '', members: new Set(), first: node, lastMs: node.lastMs };
    for (const g of joined) {
      if (g === base) continue;
      for (const m of g.members) {
        base.members.add(m);
        (this.nodes.get(m) as Node).group = base;
      }
      base.lastMs = Math.max(base.lastMs, g.lastMs);
      if (earlier(g.first, base.first)) base.first = g.first;
    }
    base.members.add(node.alert.alert_id);
    node.group = base;
    base.lastMs = Math.max(base.lastMs, node.lastMs);
    if (earlier(node, base.first)) base.first = node;
    return base;
  }

  /** Regroups the members of the joined incidents and `node` from scratch into their connected groups. */
  private regroup(node: Node, joined: Set<Group>): Group[] {
    const all = new Set<string>([node.alert.alert_id]);
    for (const g of joined) for (const m of g.members) all.add(m);
    return this.components(all).map((members) => {
      const nodes = [...members].map((m) => this.nodes.get(m) as Node);
      let first = nodes[0] as Node;
      let lastMs = Number.NEGATIVE_INFINITY;
      for (const n of nodes) {
        if (earlier(n, first)) first = n;
        lastMs = Math.max(lastMs, n.lastMs);
      }
      const g: Group = { id: '', members, first, lastMs };
      for (const n of nodes) n.group = g;
      return g;
    });
  }

  private bucketOf(ms: number): number {
    return Math.floor(ms / this.bucketMs);
  }

  private index(node: Node, keys: readonly string[]): void {
    for (const key of keys) {
      let buckets = this.byKey.get(key);
      if (!buckets) {
        buckets = new Map();
        this.byKey.set(key, buckets);
      }
      const set = buckets.get(node.bucket);
      if (set) set.add(node);
      else buckets.set(node.bucket, new Set([node]));
    }
  }

  private unindex(node: Node): void {
    for (const key of node.keys) {
      const buckets = this.byKey.get(key);
      const set = buckets?.get(node.bucket);
      set?.delete(node);
      if (set?.size === 0) buckets?.delete(node.bucket);
      if (buckets?.size === 0) this.byKey.delete(key);
    }
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

  /**
   * The alerts linked to `node` (sharing a key, spans within the window). A span ends at most one window after its
   * start, so linked alerts start at most two windows apart: two buckets either side hold every candidate.
   */
  private *neighbours(node: Node): Generator<Node> {
    for (const key of node.keys) {
      const buckets = this.byKey.get(key);
      if (!buckets) continue;
      for (let b = node.bucket - 2; b <= node.bucket + 2; b++) {
        for (const other of buckets.get(b) ?? []) if (other !== node && this.linked(node, other)) yield other;
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

  private view(g: Group): Incident {
    const nodes = [...g.members].map((m) => this.nodes.get(m) as Node).sort((a, b) => a.firstMs - b.firstMs || cmp(a.alert.alert_id, b.alert.alert_id));
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
      incident_id: g.id,
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
    for (const [id, g] of this.incidents) {
      if (g.lastMs >= horizon) continue;
      this.onFinal?.(this.view(g));
      this.incidents.delete(id);
      for (const m of g.members) {
        const n = this.nodes.get(m) as Node;
        this.unindex(n);
        this.nodes.delete(m);
      }
    }
  }
}

/** Whether `a` comes before `b` as an incident's first alert: earlier first_seen, then smaller alert_id. */
const earlier = (a: Node, b: Node): boolean => a.firstMs < b.firstMs || (a.firstMs === b.firstMs && a.alert.alert_id < b.alert.alert_id);

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
