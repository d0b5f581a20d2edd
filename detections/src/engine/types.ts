import { type CanonicalEvent, type Category, type DetectionConfig, durationToMs, type EventKind, type Severity } from '@agentwatch/schemas';
import type { AgentBaseline } from '../baseline/agent-baseline.ts';
import type { CompiledAgent, CompiledRegistry } from '../registry/compiled-registry.ts';
import type { TimeClaim } from '../time/event-time.ts';
import type { TokenLookup } from './token-table.ts';

/** Declared metadata of a rule: what an analyst and a detection engineer read without opening the logic. */
export interface RuleMeta {
  /** Stable id, `<area>.<what>`; also the rule's folder name. */
  readonly id: string;
  readonly version: string;
  readonly category: Category;
  readonly severity: Severity;
  /** 0..100, default for the rule's alerts; a finding may raise or lower it. */
  readonly riskScore: number;
  /** Short name of the rule (not the alert title, which a finding writes). */
  readonly name: string;
  readonly description: string;
  /** Framework mappings: `owasp-nhi:NHIx`, `owasp-agentic:ASIxx`, `mitre-attack:Txxxx`, `mitre-atlas:AML.Txxxx`. */
  readonly tags: readonly string[];
  /** Event kinds the rule looks at; the engine only calls it for those. */
  readonly kinds: readonly EventKind[];
  /** Matches for the same agent and dedup key within one window fold into one alert. */
  readonly dedupWindowMs: number;
  readonly falsePositives: readonly string[];
  readonly knownGaps: readonly string[];
  /**
   * The rule's finding depends only on the event and the token it refers to (`token_id`, or a token_issued's
   * `parent_token_id`), and it finds nothing while that token is unknown. The engine then re-runs it when the
   * token's fact arrives after the event (another partition, another collector or another source was
   * slower), so the alert does not depend on which stream was read first.
   */
  readonly tokenDependent?: boolean;
  /**
   * The finding also depends on the token's revocation. In scale-out the revocation of a token issued on another
   * partition can be read after a use of it by another agent; the engine then runs this rule (only) on that use
   * again, at its own time.
   */
  readonly recheckOnRevocation?: boolean;
  /**
   * A `telemetry_integrity` rule that judges time claims: the engine runs it only on events whose time it did not
   * believe (`ctx.timeClaim` set, `ctx.nowMs` = their arrival), and never on others; no other rule sees those events.
   */
  readonly judgesTimeClaims?: boolean;
}

/** The words and context of an alert: what happened and against what. */
export interface FindingText {
  readonly title: string;
  readonly summary: string;
  /** Rule-specific context: declared scope, baseline figures, chain... (`event_ids` is added by the engine). */
  readonly evidence?: Record<string, unknown>;
}

interface FindingBase {
  /** Distinguishes separate alerts of this rule for one agent in one window (e.g. the tool name). */
  readonly dedupKey: string;
  readonly severity?: Severity;
  readonly riskScore?: number;
  /** The agent concerned when it is not the event's actor (e.g. an unregistered delegation actor). */
  readonly agentId?: string;
  /** Extra event ids beyond the current one (e.g. the token issuance a misuse refers to). */
  readonly relatedEventIds?: readonly string[];
}

/**
 * What a rule reports for one event; the engine turns findings into (folded) alerts. The text can be
 * given directly or through `describe()`, which the engine calls only when the finding opens a new alert:
 * a rule that matches every event of a steadily misbehaving agent then builds its text once per window.
 * `describe()` runs synchronously, right after `evaluate` returns, so it may read the event and context.
 */
export type Finding = FindingBase & (FindingText | { describe(): FindingText });

/** Everything a rule may read while judging one event. Rules never do I/O and never read the clock. */
export interface RuleContext<S> {
  readonly registry: CompiledRegistry;
  /** The registry entry of the acting agent, if listed. */
  readonly agent: CompiledAgent | undefined;
  readonly config: DetectionConfig;
  /** The config's durations, parsed once. */
  readonly limits: DetectionLimits;
  /** Event time in epoch ms (the only clock a rule has). */
  readonly nowMs: number;
  /** Credentials seen so far: this engine's own, then the instance-wide shared view (live scale-out). */
  readonly tokens: TokenLookup;
  /** The acting agent's learned baseline, as it was before this event. */
  readonly baseline: AgentBaseline;
  /** This rule's own per-agent state; plain JSON data, bounded by the rule. */
  readonly state: S;
  /** This rule's state shared across agents (for group-bys not keyed by agent); plain JSON, bounded by the rule. */
  readonly shared: Record<string, unknown>;
  /**
   * True when the engine runs this (tokenDependent or recheckOnRevocation) rule again on an event it already saw,
   * because a token fact arrived late: a rule with findings that do not depend on the token must not repeat them.
   */
  readonly recheck: boolean;
  /** Set only for {@link RuleMeta.judgesTimeClaims} rules: the event's claimed time and the arrival it was judged by. */
  readonly timeClaim: TimeClaim | undefined;
}

/** Durations of {@link DetectionConfig} in milliseconds, parsed once per engine. */
export interface DetectionLimits {
  readonly reviewIntervalMs: number;
  readonly clockSkewMs: number;
  readonly learningPeriodMs: number;
  readonly tokenGraceMs: number;
  readonly allowedLatenessMs: number;
  readonly tokenFactWaitMs: number;
  readonly duplicateWindowMs: number;
  readonly maxFutureSkewMs: number;
  readonly maxEventAgeMs: number;
}

/** Parses the durations of a config. */
export function detectionLimits(c: DetectionConfig): DetectionLimits {
  return {
    reviewIntervalMs: durationToMs(c.review_interval),
    clockSkewMs: durationToMs(c.clock_skew),
    learningPeriodMs: durationToMs(c.learning_period),
    tokenGraceMs: durationToMs(c.token_grace),
    allowedLatenessMs: durationToMs(c.allowed_lateness),
    tokenFactWaitMs: durationToMs(c.token_fact_wait),
    duplicateWindowMs: durationToMs(c.duplicate_window),
    maxFutureSkewMs: durationToMs(c.max_future_skew),
    maxEventAgeMs: durationToMs(c.max_event_age),
  };
}

/** A detection: metadata plus a pure evaluate function over one event at a time. */
export interface Rule<S = unknown> extends RuleMeta {
  /** Fresh per-agent state; omit for stateless rules. */
  initState?(): S;
  /**
   * Whether the rule can fire at all for this agent's registry entry (undefined = unregistered). Asked
   * once per agent and registry version; a rule that answers false is not called for that agent, so
   * e.g. scope rules cost nothing for agents without that restriction. Must depend on the entry only.
   */
  appliesTo?(agent: CompiledAgent | undefined): boolean;
  evaluate(event: CanonicalEvent, ctx: RuleContext<S>): Finding | readonly Finding[] | null | undefined;
}

/** Helper so a rule module is type-checked against its own state type. */
export const defineRule = <S = undefined>(rule: Rule<S>): Rule<S> => rule;
