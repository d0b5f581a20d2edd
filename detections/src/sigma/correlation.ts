import type { CanonicalEvent, EventKind } from '@agentwatch/schemas';
import type { RuleContext } from '../engine/types.ts';
import type { Pred } from './condition.ts';
import { type Accessor, valueText } from './fields.ts';

/**
 * Runtime of Sigma correlation rules: a tree of match nodes. A leaf is a compiled detection rule (a
 * predicate); an inner node is a correlation that counts its children's matches per group in a sliding
 * event-time window and "fires" when its condition turns true. Chained correlations nest naturally: a
 * correlation's firing is a match for its parent.
 *
 * State is plain JSON, kept in the rule's per-agent state when the group-by includes `agent_id` (so it is
 * sharded and dropped with the agent), else in the rule's `ctx.shared`. It is bounded: entries older than
 * the timespan are dropped on every update, each group keeps at most the entries its condition needs, and
 * a store keeps at most {@link MAX_GROUPS} groups (expired ones swept once per timespan, the least recently
 * active evicted beyond that).
 */

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

/** What a correlation reports when it fires. */
export interface CorrFire {
  /** The group-by values of the group that fired, in group-by order. */
  readonly group: readonly string[];
  /** Events counted, distinct values, or referenced rules matched, at the moment of firing. */
  readonly count: number;
  /** Ids of the events in the window (oldest first; at most the group's cap). */
  readonly eventIds: readonly string[];
  readonly firstMs: number;
  /** value_count: the distinct values in the window (oldest first). */
  readonly values?: readonly string[];
  /** temporal: names of the referenced rules matched in the window. */
  readonly matched?: readonly string[];
}

/** `true`: a detection rule matched the current event; a {@link CorrFire}: a nested correlation fired. */
export type Hit = true | CorrFire;

export interface MatchNode {
  readonly kinds: readonly EventKind[];
  step(e: CanonicalEvent, ctx: RuleContext<unknown>): Hit | null;
}

export class DetectionNode implements MatchNode {
  constructor(
    readonly pred: Pred,
    readonly kinds: readonly EventKind[],
  ) {}
  step(e: CanonicalEvent): Hit | null {
    return this.pred(e) ? true : null;
  }
}

/** A count condition: every given bound must hold. */
export interface CountCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

export function conditionHolds(c: CountCondition, n: number): boolean {
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq)
  );
}

/** The smallest count from which the condition's answer no longer changes as the count grows: what a group must keep. */
export function countNeeded(c: CountCondition): number {
  return Math.max(1, c.gt !== undefined ? c.gt + 1 : 0, c.gte ?? 0, c.lt ?? 0, c.lte !== undefined ? c.lte + 1 : 0, c.eq !== undefined ? c.eq + 1 : 0);
}

/** Groups kept per store (per agent, or shared) before the least recently active are evicted. */
export const MAX_GROUPS = 10_000;

interface Store {
  /** Groups by `#` + group key (the prefix keeps keys such as `__proto__` harmless). */
  g: Record<string, Group>;
  n: number;
  sweepAt: number;
}

interface Group {
  last: number;
  active: boolean;
  /** Times, oldest first (event_count, value_count) or per referenced rule (temporal); chain starts (temporal_ordered). */
  t: Array<number | null>;
  ids: Array<string | null>;
  /** value_count: the values, parallel to t. */
  v?: string[];
  /** temporal_ordered: the event ids of the best chain completing each step. */
  chain?: string[][];
  /** temporal_ordered: the chain start already reported. */
  fired?: number | null;
}

export interface CorrelationNodeSpec {
  /** Unique key of the node's state (its rule id). */
  key: string;
  type: CorrelationType;
  children: readonly MatchNode[];
  childNames: readonly string[];
  /** Per child, the accessors of the group-by fields (aliases resolved). */
  groupBy: ReadonlyArray<readonly Accessor[]>;
  /** State per agent (group-by includes agent_id for every child) or shared. */
  perAgent: boolean;
  timespanMs: number;
  condition: CountCondition;
  /** value_count: the counted field. */
  field?: Accessor;
}

export class CorrelationNode implements MatchNode {
  readonly kinds: readonly EventKind[];
  private readonly byKind: Record<EventKind, number[]>;
  private readonly cap: number;

  constructor(readonly spec: CorrelationNodeSpec) {
    const kinds = new Set<EventKind>();
    for (const c of spec.children) for (const k of c.kinds) kinds.add(k);
    this.kinds = [...kinds];
    this.byKind = { tool_call: [], token_issued: [], token_revoked: [], policy_decision: [] };
    spec.children.forEach((c, i) => {
      for (const k of c.kinds) this.byKind[k].push(i);
    });
    // An ordered chain must not let one event complete two steps: visit later steps first.
    if (spec.type === 'temporal_ordered') for (const k of kinds) this.byKind[k].reverse();
    this.cap = countNeeded(spec.condition);
  }

  private store(ctx: RuleContext<unknown>): Store {
    const bag = this.spec.perAgent ? (ctx.state as Record<string, unknown>) : ctx.shared;
    let s = bag[this.spec.key] as Store | undefined;
    if (s === undefined) {
      s = { g: {}, n: 0, sweepAt: ctx.nowMs + this.spec.timespanMs };
      bag[this.spec.key] = s;
    }
    return s;
  }

  private groupKey(e: CanonicalEvent, child: number): string {
    const accs = this.spec.groupBy[child] as readonly Accessor[];
    if (accs.length === 0) return '';
    let k = valueText((accs[0] as Accessor)(e));
    for (let i = 1; i < accs.length; i++) k += `\u001e${valueText((accs[i] as Accessor)(e))}`;
    return k;
  }

  private group(s: Store, key: string, now: number): Group {
    const k = `#${key}`;
    let g = s.g[k];
    if (g === undefined) {
      g = { last: now, active: false, t: [], ids: [] };
      if (this.spec.type === 'value_count') g.v = [];
      if (this.spec.type === 'temporal' || this.spec.type === 'temporal_ordered') {
        const n = this.spec.children.length;
        g.t = new Array<number | null>(n).fill(null);
        g.ids = new Array<string | null>(n).fill(null);
      }
      if (this.spec.type === 'temporal_ordered') {
        g.chain = Array.from({ length: this.spec.children.length }, () => []);
        g.fired = null;
      }
      s.g[k] = g;
      s.n++;
      if (s.n > MAX_GROUPS) this.evict(s, now, k);
    }
    g.last = now;
    return g;
  }

  /** Drops groups with nothing left in the window. */
  private sweep(s: Store, now: number): void {
    const cutoff = now - this.spec.timespanMs;
    for (const k in s.g) {
      if ((s.g[k] as Group).last <= cutoff) {
        delete s.g[k];
        s.n--;
      }
    }
    s.sweepAt = now + this.spec.timespanMs;
  }

  /** Over {@link MAX_GROUPS}: sweep, then evict the least recently active tenth (never `keep`). */
  private evict(s: Store, now: number, keep: string): void {
    this.sweep(s, now);
    if (s.n <= MAX_GROUPS) return;
    const byAge = Object.keys(s.g)
      .filter((k) => k !== keep)
      .sort((a, b) => (s.g[a] as Group).last - (s.g[b] as Group).last);
    for (const k of byAge.slice(0, Math.ceil(MAX_GROUPS / 10))) {
      delete s.g[k];
      s.n--;
    }
  }

  step(e: CanonicalEvent, ctx: RuleContext<unknown>): Hit | null {
    const kids = this.byKind[e.kind];
    if (kids.length === 0) return null;
    const now = ctx.nowMs;
    let s: Store | undefined;
    let fire: CorrFire | null = null;
    let countedKey: string | undefined;
    for (let i = 0; i < kids.length; i++) {
      const idx = kids[i] as number;
      // Every child steps on every event of its kinds, so nested correlations keep their own windows.
      const hit = (this.spec.children[idx] as MatchNode).step(e, ctx);
      if (hit === null) continue;
      if (s === undefined) {
        s = this.store(ctx);
        if (now >= s.sweepAt) this.sweep(s, now);
      }
      const key = this.groupKey(e, idx);
      let f: Omit<CorrFire, 'group'> | null = null;
      switch (this.spec.type) {
        case 'event_count':
        case 'value_count':
          // One event counts once per group even when it matches several referenced rules.
          if (key === countedKey) continue;
          countedKey = key;
          f = this.spec.type === 'event_count' ? this.count(this.group(s, key, now), e, now) : this.distinct(this.group(s, key, now), e, now);
          break;
        case 'temporal':
          f = this.temporal(this.group(s, key, now), idx, e, now);
          break;
        case 'temporal_ordered':
          f = this.ordered(this.group(s, key, now), idx, e, now);
          break;
      }
      if (f !== null) fire = { ...f, group: this.groupValues(e, idx) };
    }
    return fire;
  }

  /** Group-by values of the event as seen through the given child (aliases resolved). */
  groupValues(e: CanonicalEvent, child: number): string[] {
    return (this.spec.groupBy[child] as readonly Accessor[]).map((a) => valueText(a(e)));
  }

  /** Drops entries at or before the window start (entries are oldest first). */
  private expire(g: Group, now: number): void {
    const cutoff = now - this.spec.timespanMs;
    let drop = 0;
    while (drop < g.t.length && (g.t[drop] as number) <= cutoff) drop++;
    if (drop > 0) this.dropFront(g, drop);
  }

  private dropFront(g: Group, n: number): void {
    g.t.splice(0, n);
    g.ids.splice(0, n);
    g.v?.splice(0, n);
  }

  /** Fires when the condition turns true; stays quiet while it holds; re-arms once it no longer does. */
  private edge(g: Group, n: number, make: () => Omit<CorrFire, 'group'>): Omit<CorrFire, 'group'> | null {
    const holds = conditionHolds(this.spec.condition, n);
    const fire = holds && !g.active ? make() : null;
    g.active = holds;
    return fire;
  }

  private count(g: Group, e: CanonicalEvent, now: number): Omit<CorrFire, 'group'> | null {
    this.expire(g, now);
    g.t.push(now);
    g.ids.push(e.event_id);
    if (g.t.length > this.cap) this.dropFront(g, g.t.length - this.cap);
    return this.edge(g, g.t.length, () => ({ count: g.t.length, eventIds: g.ids.slice() as string[], firstMs: g.t[0] as number }));
  }

  private distinct(g: Group, e: CanonicalEvent, now: number): Omit<CorrFire, 'group'> | null {
    const raw = (this.spec.field as Accessor)(e);
    if (raw === undefined) return null;
    const value = valueText(raw);
    this.expire(g, now);
    const v = g.v as string[];
    const at = v.indexOf(value);
    if (at >= 0) {
      // Seen again: move to the newest position so the window keeps it.
      v.splice(at, 1);
      g.t.splice(at, 1);
      g.ids.splice(at, 1);
    }
    v.push(value);
    g.t.push(now);
    g.ids.push(e.event_id);
    if (v.length > this.cap) this.dropFront(g, v.length - this.cap);
    return this.edge(g, v.length, () => ({ count: v.length, eventIds: g.ids.slice() as string[], firstMs: g.t[0] as number, values: v.slice() }));
  }

  private temporal(g: Group, idx: number, e: CanonicalEvent, now: number): Omit<CorrFire, 'group'> | null {
    g.t[idx] = now;
    g.ids[idx] = e.event_id;
    const cutoff = now - this.spec.timespanMs;
    let n = 0;
    for (const t of g.t) if (t !== null && t > cutoff) n++;
    return this.edge(g, n, () => {
      const inWindow = g.t.map((t, i) => (t !== null && t > cutoff ? i : -1)).filter((i) => i >= 0);
      inWindow.sort((a, b) => (g.t[a] as number) - (g.t[b] as number));
      return {
        count: n,
        eventIds: inWindow.map((i) => g.ids[i] as string),
        firstMs: g.t[inWindow[0] as number] as number,
        matched: inWindow.map((i) => this.spec.childNames[i] as string),
      };
    });
  }

  /** Latest feasible chain start per step; fires once per chain start when the last step completes in time. */
  private ordered(g: Group, idx: number, e: CanonicalEvent, now: number): Omit<CorrFire, 'group'> | null {
    const chain = g.chain as string[][];
    if (idx === 0) {
      g.t[0] = now;
      chain[0] = [e.event_id];
    } else {
      const start = g.t[idx - 1] as number | null;
      if (start === null || start <= now - this.spec.timespanMs) return null;
      const current = g.t[idx] as number | null;
      if (current !== null && current > start) return null;
      g.t[idx] = start;
      chain[idx] = [...(chain[idx - 1] as string[]), e.event_id];
    }
    const last = this.spec.children.length - 1;
    if (idx !== last || g.fired === g.t[last]) return null;
    g.fired = g.t[last] as number;
    return { count: this.spec.children.length, eventIds: (chain[last] as string[]).slice(), firstMs: g.fired, matched: this.spec.childNames };
  }
}
