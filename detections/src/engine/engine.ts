import { type Alert, type CanonicalEvent, DetectionConfig, type EventKind } from '@agentwatch/schemas';
import { type AgentBaseline, MAX_DISTINCT, newBaseline, observe, resourceFamily, rollTo } from '../baseline/agent-baseline.ts';
import type { CompiledAgent, CompiledRegistry } from '../registry/compiled-registry.ts';
import type { SuppressionSet } from '../suppressions/suppression-set.ts';
import { judgeEventTime, type TimeClaim, type TimeVerdict } from '../time/event-time.ts';
import { alertId } from './alert-id.ts';
import { addEventLinks, eventLinks } from './alert-links.ts';
import { addEvidenceEvent, boundAlert, boundedFindingText } from './bounded-alert.ts';
import { type HeldUse, HeldUses } from './held-uses.ts';
import { RecentIds } from './recent-ids.ts';
import { type TokenFact, type TokenLookup, TokenTable } from './token-table.ts';
import { type DetectionLimits, detectionLimits, type Finding, type FindingText, type Rule, type RuleContext } from './types.ts';

/** At most this many event ids are kept as evidence per alert; `count` still counts every match. */
export const MAX_EVIDENCE_EVENTS = 25;
/** Agent state idle this long (event time) is dropped, bounding memory under churning agent ids. */
const AGENT_IDLE_MS = 30 * 86_400_000;
/** Uses of not-yet-known tokens kept for a late fact; beyond this the oldest are let go (and counted). */
export const MAX_PARKED_USES = 20_000;
/** Ids of events with implausible times remembered, so a redelivered one is not counted twice. */
const MAX_QUARANTINED_IDS = 10_000;
/**
 * Per-agent caps (flood bounds): one agent sending any number of events keeps at most this much state, so it can
 * neither grow memory without bound nor push other agents' state out. Every time a cap is hit it is counted in
 * {@link EngineStats} (`saturation`), and an alert folded for its cap says so in its evidence: never silent.
 */
export const MAX_HELD_USES_PER_AGENT = 1_000;
/** Live tokens one agent may hold in the engine's table; further issuances are not recorded (counted). */
export const MAX_LIVE_TOKENS_PER_AGENT = 10_000;
/**
 * Open alerts one agent (alert subject) may have at once. A finding that would open one more (each distinct dedup key
 * opens its own alert, and many keys are agent-chosen: tool, action, token...) folds into one overflow alert per rule
 * and window instead, its evidence marked `saturated`.
 */
export const MAX_OPEN_ALERTS_PER_AGENT = 500;
/** Dedup key of the overflow alert of a rule for an agent at {@link MAX_OPEN_ALERTS_PER_AGENT}. */
export const OVERFLOW_DEDUP_KEY = '(more distinct findings than the per-agent cap)';

/** An event that referred to a token nobody had reported yet, kept for {@link EngineOptions} `token_fact_wait`. */
type ParkedUse = HeldUse;

interface AgentState {
  baseline: AgentBaseline;
  /** The rules that apply to this agent, per event kind, for registry {@link rulesForVersion}. */
  rulesFor: Record<EventKind, ActiveRule[]> | null;
  rulesForVersion: string;
  /** Per-rule state slices, indexed like the engine's rule list (ids in {@link DetectionEngine.ruleIds}). */
  slices: unknown[];
  /** Event ids seen within `duplicate_window` of the agent's newest event (duplicate suppression; capped). */
  recent: RecentIds;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A rule with its cross-agent state. */
interface ActiveRule {
  rule: Rule;
  /** Position of the rule's slice in each agent's `slices`. */
  index: number;
  shared: Record<string, unknown>;
}

interface OpenAlert {
  alert: Alert;
  windowEndMs: number;
  firstSeenMs: number;
}

/** Serialisable engine state ({@link DetectionEngine.snapshot}). */
export interface EngineSnapshot {
  version: 1;
  watermarkMs: number;
  /** `recent`: [event_id, time] pairs within duplicate_window (absent in older snapshots). */
  agents: Record<string, { baseline: AgentBaseline; slices: Record<string, unknown>; recent?: Array<[string, number]> }>;
  shared: Record<string, Record<string, unknown>>;
  tokens: Array<[string, TokenFact]>;
  open: Array<[string, { alert: Alert; windowEndMs: number; firstSeenMs: number }]>;
  /** Uses of tokens not known yet, by token id (absent in snapshots from before late token facts). */
  parked?: Array<[string, ParkedUse[]]>;
  /** Uses of known tokens by agents other than the owner, watched for a late revocation (absent in older snapshots). */
  watched?: Array<[string, HeldUse[]]>;
  stats: {
    events: number;
    alertsOpened: number;
    matches: number;
    ruleErrors: Record<string, number>;
    parkedExpired?: number;
    duplicates?: number;
    implausibleTimes?: number;
    saturation?: Saturation;
  };
  /** Ids of the latest events with implausible times (absent in older snapshots). */
  quarantined?: string[];
}

export interface EngineOptions {
  registry: CompiledRegistry;
  rules: readonly Rule[];
  config?: Partial<DetectionConfig>;
  /** Called when a rule throws; the engine carries on with the other rules. */
  onRuleError?: (ruleId: string, error: unknown, event: CanonicalEvent) => void;
  /**
   * Credential facts learned elsewhere (other partitions of this collector, other collectors through the
   * tokens topic). Consulted when this engine's own table does not know a token; not part of its snapshot.
   */
  sharedTokens?: TokenLookup;
  /**
   * Suppressions applied to every alert this engine emits, new or re-emitted (alerts.md "Suppressions"). Read at each
   * emission, so a set shared and replaced while the engine runs (live: created through the API) applies from the next
   * emission on. Not part of snapshots: open alerts are kept unjudged, and judged when they leave the engine.
   */
  suppressions?: SuppressionSet;
}

export interface EngineStats {
  events: number;
  alertsOpened: number;
  matches: number;
  ruleErrors: Record<string, number>;
  agents: number;
  tokens: number;
  openAlerts: number;
  /** Token uses waiting for their token's fact. */
  parkedUses: number;
  /** Uses of other agents' tokens (known from the shared view) kept in case their revocation is read late. */
  watchedUses: number;
  /** Parked uses whose token never showed up within `token_fact_wait` (or beyond {@link MAX_PARKED_USES}). */
  parkedExpired: number;
  /** Events skipped as duplicates of an event_id the agent had within `duplicate_window`. */
  duplicates: number;
  /** Events whose time was not believed (events.md 1.1): reported by the telemetry_integrity rules, judged by nothing else. */
  implausibleTimes: number;
  /** How often a per-agent cap was hit (flood bounds). */
  saturation: Saturation;
}

/** Sizes of the engine's state structures ({@link DetectionEngine.stateCounts}). */
export interface EngineStateCounts {
  agents: number;
  /** Event ids remembered for duplicate suppression, over all agents, and the most any one agent holds. */
  dedupIds: number;
  maxDedupIdsPerAgent: number;
  /** Completed hours kept in baselines, and first-seen tools plus resource families, over all agents. */
  baselineHours: number;
  baselineDistinct: number;
  /** Per-agent rule state slices in use. */
  ruleSlices: number;
  tokens: number;
  openAlerts: number;
  maxOpenAlertsPerAgent: number;
  parkedUses: number;
  watchedUses: number;
  quarantinedIds: number;
}

/** Counts of per-agent caps hit: what a flood cost in detection fidelity, for metrics and logs. */
export interface Saturation {
  /** Event ids forgotten before `duplicate_window` ended (MAX_RECENT_IDS_PER_AGENT): a redelivery of them counts again. */
  dedupForgotten: number;
  /** Token uses not held for a late token fact because their agent had {@link MAX_HELD_USES_PER_AGENT} held. */
  heldRefused: number;
  /** Token issuances not recorded because their agent held {@link MAX_LIVE_TOKENS_PER_AGENT} live tokens. */
  tokensRefused: number;
  /** Findings folded into an overflow alert because their agent had {@link MAX_OPEN_ALERTS_PER_AGENT} open alerts. */
  alertsFolded: number;
  /** Calls whose tool or resource family was not remembered, the agent's baseline set being full (first-seen rules skip them). */
  firstSeenSkipped: number;
}

const newSaturation = (): Saturation => ({ dedupForgotten: 0, heldRefused: 0, tokensRefused: 0, alertsFolded: 0, firstSeenSkipped: 0 });

/**
 * The detection engine: one deterministic stream processor. Feed it events in event-time order with
 * {@link process}; collect alerts whose dedup window has closed with {@link takeClosed}, and the rest at
 * end of stream with {@link flush}. No I/O and no wall clock: time is the events' own, so replay and the
 * live pipeline give identical alerts for identical input.
 */
export class DetectionEngine {
  readonly config: DetectionConfig;
  private registry: CompiledRegistry;
  readonly limits: DetectionLimits;
  /** Ids of the active rules, in slice order. */
  readonly ruleIds: string[] = [];
  private readonly rulesByKind: Record<EventKind, ActiveRule[]>;
  /** Rules that judge time claims ({@link RuleMeta.judgesTimeClaims}): only events with implausible times reach them. */
  private readonly timeClaimRules: ActiveRule[] = [];
  /** Recent event ids with implausible times, oldest first (redelivery dedup; bounded). */
  private readonly quarantined = new Set<string>();
  private readonly tokens: TokenTable;
  private readonly sharedTokens: TokenLookup | undefined;
  /** Own table first, then the shared view: what rules see as `ctx.tokens`. */
  private readonly tokenLookup: TokenLookup;
  /** Kinds some tokenDependent rule looks at: only their events are parked. */
  private readonly parkKinds = new Set<EventKind>();
  /** Uses of tokens not known yet, until the fact arrives or `token_fact_wait` passes. */
  private readonly parked = new HeldUses(MAX_PARKED_USES, MAX_HELD_USES_PER_AGENT);
  /**
   * Uses of tokens known only from the shared view (issued on another partition) by an agent other than the owner,
   * not revoked when used: the revocation is read on the owner's partition, possibly later, so they are re-checked
   * by the rules that look at revocations when it arrives (within `token_fact_wait`).
   */
  private readonly watched = new HeldUses(MAX_PARKED_USES, MAX_HELD_USES_PER_AGENT);
  /** Kinds some recheckOnRevocation rule looks at: only their events are watched. */
  private readonly watchKinds = new Set<EventKind>();
  private readonly agents = new Map<string, AgentState>();
  private readonly open = new Map<string, OpenAlert>();
  private readonly closed: Alert[] = [];
  /** Keys of open alerts opened or updated since the last {@link takeChanged}. */
  private readonly changed = new Set<string>();
  private readonly onRuleError: EngineOptions['onRuleError'];
  private readonly suppressions: SuppressionSet | undefined;
  private readonly ctx: Mutable<RuleContext<unknown>>;
  private watermarkMs = Number.NEGATIVE_INFINITY;
  /** See {@link setFactHorizon}. */
  private factHorizonMs = Number.POSITIVE_INFINITY;
  private nextCloseCheckMs = Number.NEGATIVE_INFINITY;
  private nextAgentSweepMs = Number.NEGATIVE_INFINITY;
  private readonly stats = {
    events: 0,
    alertsOpened: 0,
    matches: 0,
    ruleErrors: {} as Record<string, number>,
    parkedExpired: 0,
    duplicates: 0,
    implausibleTimes: 0,
    saturation: newSaturation(),
  };
  /** {@link rulesApplyingTo} answers by applicability signature, for registry {@link rulesForVersion}. */
  private readonly rulesForCache = new Map<string, Record<EventKind, ActiveRule[]>>();
  private rulesForVersion = '';
  /** Open alerts per subject agent, for {@link MAX_OPEN_ALERTS_PER_AGENT}. */
  private readonly openPerAgent = new Map<string, number>();

  constructor(opts: EngineOptions) {
    this.config = DetectionConfig.parse(opts.config ?? {});
    this.limits = detectionLimits(this.config);
    this.registry = opts.registry;
    this.tokens = new TokenTable(this.limits.tokenGraceMs, MAX_LIVE_TOKENS_PER_AGENT);
    this.sharedTokens = opts.sharedTokens;
    const own = this.tokens;
    const shared = this.sharedTokens;
    this.tokenLookup = shared ? { get: (id) => own.get(id) ?? shared.get(id) } : own;
    this.onRuleError = opts.onRuleError;
    this.suppressions = opts.suppressions;
    this.ctx = {
      registry: this.registry,
      agent: undefined,
      config: this.config,
      limits: this.limits,
      nowMs: 0,
      tokens: this.tokenLookup,
      baseline: newBaseline(0),
      state: undefined,
      shared: {},
      recheck: false,
      timeClaim: undefined,
    };
    const disabled = new Set(this.config.disabled_rules);
    const seen = new Set<string>();
    this.rulesByKind = { tool_call: [], token_issued: [], token_revoked: [], policy_decision: [] };
    for (const rule of opts.rules) {
      if (seen.has(rule.id)) throw new Error(`duplicate rule id "${rule.id}"`);
      seen.add(rule.id);
      if (disabled.has(rule.id)) continue;
      const active: ActiveRule = { rule, index: this.ruleIds.length, shared: {} };
      this.ruleIds.push(rule.id);
      if (rule.judgesTimeClaims) {
        this.timeClaimRules.push(active);
        continue;
      }
      for (const kind of rule.kinds) {
        this.rulesByKind[kind].push(active);
        if (rule.tokenDependent) this.parkKinds.add(kind);
        if (rule.recheckOnRevocation) this.watchKinds.add(kind);
      }
    }
  }

  /** Swaps in a new registry (hot reload); state learned so far is kept. */
  setRegistry(registry: CompiledRegistry): void {
    this.registry = registry;
  }

  /**
   * Processes one event (`timeMs` = its time, when the caller parsed it already). Events must come in non-decreasing
   * time order (the pipeline's reorder buffer sees to it). With `arrivalMs` (when it was received; see
   * time/event-time.ts) the time is a claim: an event dated implausibly far from its arrival goes only to the
   * time-claim rules, at its arrival, and moves no clock, window, token, baseline or duplicate memory.
   */
  process(event: CanonicalEvent, timeMs?: number, arrivalMs?: number): void {
    const nowMs = timeMs ?? Date.parse(event.time);
    if (arrivalMs !== undefined) {
      const verdict = this.judge(nowMs, arrivalMs);
      if (verdict !== 'plausible') {
        this.quarantine(event, { verdict, claimedMs: nowMs, arrivalMs });
        return;
      }
    }
    let agentState = this.agents.get(event.agent_id);
    if (agentState?.recent.has(event.event_id, nowMs, this.limits.duplicateWindowMs)) {
      this.stats.duplicates++;
      return;
    }
    this.stats.events++;
    if (nowMs > this.watermarkMs) this.watermarkMs = nowMs;
    if (this.watermarkMs >= this.nextCloseCheckMs) this.housekeeping();

    if (!agentState) {
      agentState = { baseline: newBaseline(nowMs), slices: [], rulesFor: null, rulesForVersion: '', recent: new RecentIds() };
      this.agents.set(event.agent_id, agentState);
    }
    this.stats.saturation.dedupForgotten += agentState.recent.remember(event.event_id, nowMs);
    rollTo(agentState.baseline, nowMs);
    this.runRules(this.enter(agentState, event, nowMs), agentState, event, nowMs, 'all');
    if (this.parkKinds.has(event.kind)) {
      const ref = tokenReference(event);
      if (ref !== undefined) {
        const fact = this.tokenLookup.get(ref);
        if (fact === undefined) this.park(ref, event, nowMs);
        else this.watchIfForeign(ref, fact, { event, nowMs });
      }
    }
    this.updateTokens(event, nowMs);
    const b = agentState.baseline;
    observe(b, event, nowMs);
    if (event.kind === 'tool_call' && (b.toolCount >= MAX_DISTINCT || b.resourceCount >= MAX_DISTINCT)) {
      const family = event.resource === undefined ? undefined : resourceFamily(event.resource);
      if (!Object.hasOwn(b.tools, event.tool) || (family !== undefined && !Object.hasOwn(b.resources, family))) this.stats.saturation.firstSeenSkipped++;
    }
  }

  /** What this engine's limits say of an event time against its arrival (none: plausible). */
  judge(timeMs: number, arrivalMs: number | undefined): TimeVerdict {
    return judgeEventTime(timeMs, arrivalMs, this.limits);
  }

  /** An event whose time is not believed: reported by the time-claim rules at its arrival, nothing else. */
  private quarantine(event: CanonicalEvent, claim: TimeClaim): void {
    if (this.quarantined.has(event.event_id)) {
      this.stats.duplicates++;
      return;
    }
    this.quarantined.add(event.event_id);
    if (this.quarantined.size > MAX_QUARANTINED_IDS) this.quarantined.delete(this.quarantined.values().next().value as string);
    this.stats.implausibleTimes++;
    const ctx = this.ctx;
    ctx.registry = this.registry;
    ctx.agent = this.registry.agent(event.agent_id);
    ctx.nowMs = claim.arrivalMs;
    ctx.baseline = this.agents.get(event.agent_id)?.baseline ?? newBaseline(claim.arrivalMs);
    ctx.recheck = false;
    ctx.timeClaim = claim;
    try {
      for (const { rule, shared } of this.timeClaimRules) {
        if (!rule.kinds.includes(event.kind)) continue;
        ctx.state = undefined;
        ctx.shared = shared;
        this.apply(rule, event, claim.arrivalMs);
      }
    } finally {
      ctx.timeClaim = undefined;
    }
  }

  /** Evaluates `rules` for one event of the agent in `ctx` (filled by the caller); a subset for late token facts. */
  private runRules(rules: readonly ActiveRule[], agentState: AgentState, event: CanonicalEvent, nowMs: number, which: 'all' | 'token' | 'revocation'): void {
    const ctx = this.ctx;
    ctx.recheck = which !== 'all';
    for (let i = 0; i < rules.length; i++) {
      const { rule, shared, index } = rules[i] as ActiveRule;
      if (which === 'token' && !rule.tokenDependent) continue;
      if (which === 'revocation' && !rule.recheckOnRevocation) continue;
      let slice = agentState.slices[index];
      if (slice === undefined && rule.initState) {
        slice = rule.initState();
        agentState.slices[index] = slice;
      }
      ctx.state = slice;
      ctx.shared = shared;
      this.apply(rule, event, nowMs);
    }
  }

  /** Runs one rule in the filled context: its findings are folded at `nowMs`; a throw is counted, reported, survived. */
  private apply(rule: Rule, event: CanonicalEvent, nowMs: number): void {
    let result: ReturnType<Rule['evaluate']>;
    try {
      result = rule.evaluate(event, this.ctx);
    } catch (error) {
      this.stats.ruleErrors[rule.id] = (this.stats.ruleErrors[rule.id] ?? 0) + 1;
      this.onRuleError?.(rule.id, error, event);
      return;
    }
    if (!result) return;
    if (Array.isArray(result)) for (const f of result) this.fold(rule, f, event, nowMs);
    else this.fold(rule, result as Finding, event, nowMs);
  }

  /** Keeps a use of an unknown token until its fact arrives ({@link tokenFactArrived}) or `token_fact_wait` passes. */
  private park(tokenId: string, event: CanonicalEvent, nowMs: number): void {
    const { evicted, refused } = this.parked.add(tokenId, { event, nowMs });
    this.stats.parkedExpired += evicted + (refused ? 1 : 0);
    if (refused) this.stats.saturation.heldRefused++;
  }

  /** Re-checks every parked use whose token is known by now (after a restore, facts may have arrived meanwhile). */
  recheckParked(): void {
    for (const tokenId of [...this.parked.tokenIds(), ...this.watched.tokenIds()]) this.tokenFactArrived(tokenId);
  }

  /**
   * Event time up to which every stream that can still deliver token facts has been read (live scale-out: the
   * slowest partition of the group that has a backlog; +Infinity when none has). Held uses expire only once this,
   * as well as the engine's own time, is `token_fact_wait` past them, so a partition may run ahead of a slow one
   * by more than `token_fact_wait` without losing late facts. A runtime input, not part of snapshots.
   */
  setFactHorizon(ms: number): void {
    this.factHorizonMs = ms;
  }

  /**
   * Whether processing events between `firstMs` and `newestMs` (event time) could let go of a held token use: one
   * held now, or one parked on the way, reaching `token_fact_wait` before the engine's time passes `newestMs`. A
   * collector asks before paying for a fresher fact horizon: when nothing can be let go, the horizon cannot matter.
   */
  mayLetGoHeldUses(firstMs: number, newestMs: number): boolean {
    const oldest = Math.min(this.parked.oldestMs(), this.watched.oldestMs(), firstMs);
    return oldest + this.limits.tokenFactWaitMs <= Math.max(this.watermarkMs, newestMs);
  }

  /** Whether uses of this token are parked (waiting for its fact) or watched (for its revocation). */
  waitsForToken(tokenId: string): boolean {
    return this.parked.has(tokenId) || this.watched.has(tokenId);
  }

  /**
   * A token's fact became known after uses of it were processed (it arrived in the shared view, or its
   * issuance came later in this stream): re-runs the token-dependent rules on those uses, at their own
   * event time, so the alerts are the ones an in-order stream would have raised.
   */
  tokenFactArrived(tokenId: string): void {
    const fact = this.tokenLookup.get(tokenId);
    if (fact === undefined) return;
    // Watched uses whose token turns out revoked before them: only the revocation rules run again (the others saw
    // the token already and must not count those uses twice).
    if (fact.revokedMs !== null && this.watched.has(tokenId)) {
      for (const use of this.watched.take(tokenId) ?? []) this.recheck(use, 'revocation');
    }
    for (const use of this.parked.take(tokenId) ?? []) {
      this.recheck(use, 'token');
      this.watchIfForeign(tokenId, fact, use);
    }
  }

  /** Watches a use of another agent's token known only from the shared view, unrevoked so far (see {@link watched}). */
  private watchIfForeign(tokenId: string, fact: TokenFact, use: HeldUse): void {
    if (!this.watchKinds.has(use.event.kind) || fact.revokedMs !== null || fact.agentId === use.event.agent_id) return;
    if (this.tokens.get(tokenId) !== undefined) return; // issued on this partition: its revocation is read in order
    if (this.watched.add(tokenId, use).refused) this.stats.saturation.heldRefused++;
  }

  /** Runs the token-dependent (or only the revocation) rules again on a held use, at its own event time. */
  private recheck({ event, nowMs }: HeldUse, which: 'token' | 'revocation'): void {
    const agentState = this.agents.get(event.agent_id);
    if (agentState) this.runRules(this.enter(agentState, event, nowMs), agentState, event, nowMs, which);
  }

  /**
   * Fills the rule context for one event of an agent (one context object for the engine's life, refilled per event
   * and rule: no garbage per event) and returns the rules that apply to that agent for the event's kind.
   */
  private enter(agentState: AgentState, event: CanonicalEvent, nowMs: number): readonly ActiveRule[] {
    const ctx = this.ctx;
    const agent = this.registry.agent(event.agent_id);
    ctx.registry = this.registry;
    ctx.agent = agent;
    ctx.nowMs = nowMs;
    ctx.baseline = agentState.baseline;
    if (agentState.rulesFor === null || agentState.rulesForVersion !== this.registry.version) {
      agentState.rulesFor = this.rulesApplyingTo(agent);
      agentState.rulesForVersion = this.registry.version;
    }
    return agentState.rulesFor[event.kind];
  }

  /** Alerts whose dedup window closed (by event time) since the last call, in closing order. */
  takeClosed(): Alert[] {
    return this.judged(this.closed.splice(0, this.closed.length));
  }

  /** End of stream: closes every open alert and returns all not yet taken, deterministically ordered. */
  flush(): Alert[] {
    this.closeUntil(Number.POSITIVE_INFINITY);
    return this.takeClosed();
  }

  /**
   * Open alerts opened or updated since the last call (copies), for the live pipeline, which shows alerts
   * as they open and upserts them by id as they grow; replay only writes them once closed.
   */
  takeChanged(): Alert[] {
    const out: Alert[] = [];
    for (const key of this.changed) {
      const o = this.open.get(key);
      if (o) out.push(structuredClone(o.alert));
    }
    this.changed.clear();
    return this.judged(out);
  }

  /** Every emission goes through here: the suppressions' verdict is set on each alert (in place) as it leaves. */
  private judged(alerts: Alert[]): Alert[] {
    if (this.suppressions) for (const a of alerts) this.suppressions.apply(a);
    return alerts;
  }

  /** Alerts still open (their window has not closed), e.g. for a live view. */
  openAlerts(): Alert[] {
    return [...this.open.values()].map((o) => o.alert);
  }

  /**
   * All detection state as plain JSON data: per-agent baselines and rule slices (by rule id), rule shared
   * state, the token table, open alerts, the watermark. With the source offsets it reflects, this is a
   * checkpoint: {@link restore} on a fresh engine continues exactly where this one stopped.
   */
  snapshot(): EngineSnapshot {
    const agents: EngineSnapshot['agents'] = {};
    for (const [id, s] of this.agents) {
      const slices: Record<string, unknown> = {};
      s.slices.forEach((slice, i) => {
        if (slice !== undefined) slices[this.ruleIds[i] as string] = slice;
      });
      agents[id] = { baseline: s.baseline, slices, recent: s.recent.entries() };
    }
    const shared: Record<string, Record<string, unknown>> = {};
    for (const list of Object.values(this.rulesByKind)) for (const r of list) shared[r.rule.id] = r.shared;
    return structuredClone({
      version: 1,
      watermarkMs: this.watermarkMs,
      agents,
      shared,
      tokens: this.tokens.snapshot(),
      open: [...this.open.entries()],
      parked: this.parked.entries(),
      watched: this.watched.entries(),
      stats: this.stats,
      quarantined: [...this.quarantined],
    });
  }

  /** Loads a {@link snapshot} into this (fresh) engine. State of rules no longer active is dropped. */
  restore(snap: EngineSnapshot): void {
    if (snap.version !== 1) throw new Error(`unsupported engine snapshot version ${String(snap.version)}`);
    const s = structuredClone(snap);
    // JSON turns -Infinity into null.
    this.watermarkMs = typeof s.watermarkMs === 'number' ? s.watermarkMs : Number.NEGATIVE_INFINITY;
    this.nextCloseCheckMs = Number.NEGATIVE_INFINITY;
    this.agents.clear();
    for (const [id, a] of Object.entries(s.agents)) {
      const slices: unknown[] = [];
      this.ruleIds.forEach((ruleId, i) => {
        if (a.slices[ruleId] !== undefined) slices[i] = a.slices[ruleId];
      });
      // First-seen sets are prototype-less so any tool name is a plain key; JSON and clones lose that.
      a.baseline.tools = Object.assign(Object.create(null) as Record<string, number>, a.baseline.tools);
      a.baseline.resources = Object.assign(Object.create(null) as Record<string, number>, a.baseline.resources);
      this.agents.set(id, { baseline: a.baseline, slices, rulesFor: null, rulesForVersion: '', recent: new RecentIds(a.recent ?? []) });
    }
    for (const list of Object.values(this.rulesByKind))
      for (const r of list) {
        const saved = s.shared[r.rule.id];
        if (saved) {
          for (const k of Object.keys(r.shared)) delete r.shared[k];
          Object.assign(r.shared, saved);
        }
      }
    this.tokens.restore(s.tokens);
    this.open.clear();
    this.openPerAgent.clear();
    for (const [k, o] of s.open) {
      this.open.set(k, o);
      this.countOpen(o.alert.agent_id, 1);
    }
    this.parked.load(s.parked ?? []);
    this.watched.load(s.watched ?? []);
    Object.assign(this.stats, s.stats);
    this.stats.parkedExpired ??= 0;
    this.stats.duplicates ??= 0;
    this.stats.implausibleTimes ??= 0;
    this.stats.saturation = { ...newSaturation(), ...this.stats.saturation };
    this.quarantined.clear();
    for (const id of s.quarantined ?? []) this.quarantined.add(id);
  }

  getStats(): EngineStats {
    return {
      ...this.stats,
      ruleErrors: { ...this.stats.ruleErrors },
      saturation: { ...this.stats.saturation },
      agents: this.agents.size,
      tokens: this.tokens.size,
      openAlerts: this.open.size,
      parkedUses: this.parked.size,
      watchedUses: this.watched.size,
    };
  }

  /** How much state the engine holds, by structure. O(agents): for benchmarks, tests and occasional metrics. */
  stateCounts(): EngineStateCounts {
    let dedupIds = 0;
    let maxDedupIdsPerAgent = 0;
    let baselineHours = 0;
    let baselineDistinct = 0;
    let ruleSlices = 0;
    for (const s of this.agents.values()) {
      dedupIds += s.recent.size;
      if (s.recent.size > maxDedupIdsPerAgent) maxDedupIdsPerAgent = s.recent.size;
      baselineHours += s.baseline.history.length;
      baselineDistinct += s.baseline.toolCount + s.baseline.resourceCount;
      for (const slice of s.slices) if (slice !== undefined) ruleSlices++;
    }
    return {
      agents: this.agents.size,
      dedupIds,
      maxDedupIdsPerAgent,
      baselineHours,
      baselineDistinct,
      ruleSlices,
      tokens: this.tokens.size,
      openAlerts: this.open.size,
      maxOpenAlertsPerAgent: [...this.openPerAgent.values()].reduce((m, n) => (n > m ? n : m), 0),
      parkedUses: this.parked.size,
      watchedUses: this.watched.size,
      quarantinedIds: this.quarantined.size,
    };
  }

  /**
   * The rules that apply to an agent, per kind. Shared by every agent to which the same rules apply (interned by that
   * set, per registry version): a few distinct answers for a whole fleet instead of four arrays per agent.
   */
  private rulesApplyingTo(agent: CompiledAgent | undefined): Record<EventKind, ActiveRule[]> {
    const all = this.ruleIds.length;
    let signature = '';
    const applies: boolean[] = new Array<boolean>(all).fill(false);
    for (const list of Object.values(this.rulesByKind)) for (const r of list) applies[r.index] = !r.rule.appliesTo || r.rule.appliesTo(agent);
    for (let i = 0; i < all; i++) signature += applies[i] ? '1' : '0';
    if (this.rulesForVersion !== this.registry.version) {
      this.rulesForCache.clear();
      this.rulesForVersion = this.registry.version;
    }
    const cached = this.rulesForCache.get(signature);
    if (cached) return cached;
    const pick = (list: ActiveRule[]) => list.filter((r) => applies[r.index]);
    const picked = {
      tool_call: pick(this.rulesByKind.tool_call),
      token_issued: pick(this.rulesByKind.token_issued),
      token_revoked: pick(this.rulesByKind.token_revoked),
      policy_decision: pick(this.rulesByKind.policy_decision),
    };
    this.rulesForCache.set(signature, picked);
    return picked;
  }

  private updateTokens(event: CanonicalEvent, nowMs: number): void {
    if (event.kind === 'token_issued') {
      const recorded = this.tokens.issue(event.token_id, {
        agentId: event.agent_id,
        issuer: event.issuer,
        scopes: event.scopes,
        issuedMs: nowMs,
        expiresMs: Date.parse(event.expires_at),
        revokedMs: null,
        parentTokenId: event.parent_token_id ?? null,
        eventId: event.event_id,
      });
      if (!recorded) this.stats.saturation.tokensRefused++;
      if (this.parked.has(event.token_id)) this.tokenFactArrived(event.token_id);
    } else if (event.kind === 'token_revoked') {
      this.tokens.revoke(event.token_id, nowMs);
    }
  }

  private fold(rule: Rule, finding: Finding, event: CanonicalEvent, nowMs: number): void {
    this.stats.matches++;
    let f = finding;
    const agentId = f.agentId ?? event.agent_id;
    const windowStartMs = Math.floor(nowMs / rule.dedupWindowMs) * rule.dedupWindowMs;
    let key = `${rule.id}\u0000${agentId}\u0000${f.dedupKey}\u0000${windowStartMs}`;
    let existing = this.open.get(key);
    if (!existing && (this.openPerAgent.get(agentId) ?? 0) >= MAX_OPEN_ALERTS_PER_AGENT) {
      this.stats.saturation.alertsFolded++;
      f = overflowFinding(f);
      key = `${rule.id}\u0000${agentId}\u0000${f.dedupKey}\u0000${windowStartMs}`;
      existing = this.open.get(key);
    }
    if (existing) {
      const a = existing.alert;
      a.count++;
      if (nowMs < existing.firstSeenMs) {
        // An earlier finding folded late (a re-check after a late token fact, or a late event): the alert reads as
        // if it had come first, as in-order input gives (its words, evidence and first time lead).
        const text: FindingText = boundedFindingText(f);
        const ids = [...(f.relatedEventIds ?? []), event.event_id];
        for (const id of a.evidence.event_ids) if (!ids.includes(id)) ids.push(id);
        const links = eventLinks(a.evidence);
        a.title = text.title;
        a.summary = text.summary;
        a.evidence = boundAlert({ ...a, evidence: { event_ids: ids.slice(0, MAX_EVIDENCE_EVENTS), ...text.evidence, ...links } }).evidence;
        a.first_seen = new Date(nowMs).toISOString();
        existing.firstSeenMs = nowMs;
      } else {
        if (nowMs > Date.parse(a.last_seen)) a.last_seen = new Date(nowMs).toISOString();
        addEvidenceEvent(a.evidence, event.event_id, MAX_EVIDENCE_EVENTS);
      }
      this.link(a, event);
      this.changed.add(key);
      return;
    }
    this.stats.alertsOpened++;
    const owner = this.registry.agent(agentId)?.entry.owner ?? null;
    const eventIds = [...(f.relatedEventIds ?? []), event.event_id].slice(0, MAX_EVIDENCE_EVENTS);
    const text: FindingText = boundedFindingText(f);
    const alert: Alert = {
      alert_id: alertId(rule.id, agentId, f.dedupKey, windowStartMs),
      rule_id: rule.id,
      rule_version: rule.version,
      category: rule.category,
      severity: f.severity ?? rule.severity,
      risk_score: f.riskScore ?? rule.riskScore,
      agent_id: agentId,
      owner,
      title: text.title,
      summary: text.summary,
      first_seen: new Date(nowMs).toISOString(),
      last_seen: new Date(nowMs).toISOString(),
      count: 1,
      evidence: { event_ids: eventIds, ...text.evidence },
      tags: [...rule.tags],
      status: 'new',
    };
    this.link(alert, event);
    this.open.set(key, { alert: boundAlert(alert), windowEndMs: windowStartMs + rule.dedupWindowMs, firstSeenMs: nowMs });
    this.countOpen(agentId, 1);
    this.changed.add(key);
  }

  /**
   * Notes in the alert's evidence the agents and tokens its event ties it to (alert-links.ts), for incidents. Not for
   * events whose time was not believed: everything they claim is suspect, so their alerts group by their agent only.
   */
  private link(alert: Alert, event: CanonicalEvent): void {
    if (this.ctx.timeClaim !== undefined) return;
    addEventLinks(alert.evidence, alert.agent_id, event, this.tokenLookup, (id) => this.registry.agent(id) !== undefined);
  }

  /** Runs at most once a minute of event time: closes finished windows, drops expired tokens and (hourly) idle agents. */
  private housekeeping(): void {
    const now = this.watermarkMs;
    this.nextCloseCheckMs = Math.floor(now / 60_000) * 60_000 + 60_000;
    this.closeUntil(now);
    this.tokens.sweep(now);
    const factNow = Math.min(now, this.factHorizonMs);
    this.stats.parkedExpired += this.parked.expire(factNow - this.limits.tokenFactWaitMs);
    this.watched.expire(factNow - this.limits.tokenFactWaitMs);
    if (now >= this.nextAgentSweepMs) {
      this.nextAgentSweepMs = now + 3_600_000;
      for (const [id, s] of this.agents) if (now - s.baseline.lastSeenMs > AGENT_IDLE_MS) this.agents.delete(id);
    }
  }

  private countOpen(agentId: string, delta: number): void {
    const n = (this.openPerAgent.get(agentId) ?? 0) + delta;
    if (n > 0) this.openPerAgent.set(agentId, n);
    else this.openPerAgent.delete(agentId);
  }

  private closeUntil(nowMs: number): void {
    const done: OpenAlert[] = [];
    for (const [key, o] of this.open) {
      if (o.windowEndMs <= nowMs) {
        done.push(o);
        this.open.delete(key);
        this.countOpen(o.alert.agent_id, -1);
        this.changed.delete(key);
      }
    }
    done.sort(compareClosed);
    for (const o of done) this.closed.push(o.alert);
  }
}

/**
 * A finding past {@link MAX_OPEN_ALERTS_PER_AGENT}: folded under one dedup key per rule and window, its text the first
 * such finding's, its evidence marked `saturated` so the analyst knows distinct findings were merged.
 */
function overflowFinding(f: Finding): Finding {
  return {
    ...(f.severity !== undefined ? { severity: f.severity } : {}),
    ...(f.riskScore !== undefined ? { riskScore: f.riskScore } : {}),
    ...(f.agentId !== undefined ? { agentId: f.agentId } : {}),
    ...(f.relatedEventIds !== undefined ? { relatedEventIds: f.relatedEventIds } : {}),
    dedupKey: OVERFLOW_DEDUP_KEY,
    describe: () => {
      const text = boundedFindingText(f);
      return {
        title: text.title,
        summary: `${text.summary} (The agent had ${MAX_OPEN_ALERTS_PER_AGENT} open alerts: further distinct findings of this rule in this window are counted in this alert.)`,
        evidence: { ...text.evidence, saturated: { open_alerts_per_agent: MAX_OPEN_ALERTS_PER_AGENT } },
      };
    },
  };
}

/** The token an event refers to, for late-fact parking: the credential used, or the parent of an exchanged token. */
function tokenReference(event: CanonicalEvent): string | undefined {
  if (event.kind === 'tool_call' || event.kind === 'policy_decision') return event.token_id;
  if (event.kind === 'token_issued') return event.parent_token_id;
  return undefined;
}

/** Deterministic output order: by window end, then first match time, then id. */
function compareClosed(a: OpenAlert, b: OpenAlert): number {
  if (a.windowEndMs !== b.windowEndMs) return a.windowEndMs - b.windowEndMs;
  if (a.firstSeenMs !== b.firstSeenMs) return a.firstSeenMs - b.firstSeenMs;
  return a.alert.alert_id < b.alert.alert_id ? -1 : a.alert.alert_id > b.alert.alert_id ? 1 : 0;
}
