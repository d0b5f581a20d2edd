import type { IssuerKind } from './catalog.ts';
import type { Capture, Emitter, TaskCtx, TokenRec } from './emit.ts';
import type { CompiledTool, Fleet, SimAgent } from './fleet.ts';
import { matchesAny } from './glob.ts';
import type { DayCtx } from './resource.ts';
import type { Rng } from './rng.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export interface IssuerInfo {
  issuer: string;
  source: string;
  grant: string;
  mkId: (rng: Rng) => string;
}

export const ISSUERS: Record<IssuerKind, IssuerInfo> = {
  idp: { issuer: 'https://idp.corp.example/oauth2/default', source: 'okta', grant: 'client_credentials', mkId: (r) => `jti-${r.hex(20)}` },
  vault: { issuer: 'https://vault.corp.example', source: 'vault', grant: 'approle', mkId: (r) => `hvs.${r.alnum(24)}` },
  sts: { issuer: 'https://sts.amazonaws.com', source: 'cloudtrail', grant: 'assume_role', mkId: (r) => `ASIA${r.upper(16)}` },
};

const ERRORS = ['timeout', 'upstream_503', 'rate_limited', 'validation_error', 'connection_reset'];
const DENY_POLICIES: Array<[string, string]> = [
  ['agents/authz/record_ownership', 'record not owned by requesting team'],
  ['agents/authz/rate_limit', 'per-agent rate limit exceeded'],
  ['agents/authz/data_residency', 'resource outside permitted region'],
  ['agents/authz/business_rules', 'request violates business rule'],
];

/** A planned hand-off: planner -> `to`, optionally continuing to a further hop. */
export interface DelegationPlan {
  to: number;
  /** Capture every event of this delegate's sub-task (not of deeper hops). */
  cap?: Capture | undefined;
  /** Capture only the delegate's exchanged token. */
  tokenCap?: Capture | undefined;
  /** Extra scopes on the exchanged token (broader than the parent's). */
  broaden?: string[] | undefined;
  next?: DelegationPlan | undefined;
  /** Planned hop by an attack: skip the benign may-delegate/depth checks. */
  forced?: boolean;
}

/** Overrides for a task an attack schedules (its other events stay benign). */
export interface ForcedTask {
  at: number;
  nCalls?: number;
  ttlMs?: number;
  extraScopes?: string[];
  tokenCap?: Capture;
  /** Capture every event of the root task (not of delegates). */
  cap?: Capture;
  revoke?: boolean;
  delegation?: DelegationPlan | null;
  /** Human principal; `null` forces none. */
  obo?: string | null;
  /** Only use tools whose index is listed. */
  toolFilter?: number[];
}

export interface TaskResult {
  events: number;
  end: number;
  tokens: TokenRec[];
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/** Benign behaviour: tasks with just-in-time credentials, tool calls, delegation, noise. */
export class BehaviorGen {
  constructor(
    readonly fleet: Fleet,
    readonly em: Emitter,
  ) {}

  /** All of one agent's benign activity for one UTC day. */
  agentDay(a: SimAgent, dayIndex: number, dayStart: number, rng: Rng, day: DayCtx): void {
    if (a.silent || a.base <= 0) return;
    const dow = new Date(dayStart).getUTCDay();
    const weekend = dow === 0 || dow === 6;
    const budget = a.base * (weekend ? a.weekendFactor : 1) * 1.01 ** dayIndex * rng.lognormal(1, 0.15);
    if (budget <= 0) return;
    if (a.archetype === 'batch') {
      if (weekend && !a.batchDaily) return;
      for (const h of a.batchHours) {
        const calls = Math.max(5, Math.round((budget / a.batchHours.length) * 0.97));
        this.rootTask(a, dayStart + h * HOUR_MS + rng.int(0, 150_000), rng, day, undefined, calls);
      }
      return;
    }
    const weights = weekend ? a.hourWeekend : a.hourWeekday;
    let total = 0;
    for (const w of weights) total += w;
    const avgTask = a.calls + 2.5;
    let emitted = 0;
    let guard = 0;
    while (emitted < budget - avgTask / 2 && guard++ < 100_000) {
      const h = rng.weightedIndex(weights, total);
      const start = dayStart + h * HOUR_MS + rng.int(0, HOUR_MS - 1);
      emitted += this.rootTask(a, start, rng, day).events;
    }
  }

  issue(
    ctx: TaskCtx,
    a: SimAgent,
    t: number,
    scopes: string[],
    ttlMs: number,
    rng: Rng,
    cap?: Capture | null,
    extra?: { grant?: string; parent?: string; issuer?: IssuerKind },
  ): TokenRec {
    const info = ISSUERS[extra?.issuer ?? a.issuer];
    return this.em.tokenIssued(
      ctx,
      t,
      {
        token_id: info.mkId(rng),
        issuer: info.issuer,
        scopes,
        ...(info.source === 'okta' ? { audience: [`https://api.corp.example/${(scopes[0] ?? 'default').split('.')[0]}`] } : {}),
        expires: t + ttlMs,
        grant_type: extra?.grant ?? info.grant,
        ...(extra?.parent ? { parent_token_id: extra.parent } : {}),
        source: info.source,
      },
      cap,
    );
  }

  private pickTool(a: SimAgent, rng: Rng, filter?: number[]): number {
    if (filter && filter.length > 0) {
      const ws = filter.map((i) => a.toolWeights[i] as number);
      return filter[rng.weightedIndex(ws)] as number;
    }
    return rng.weightedIndex(a.toolWeights, a.toolWeightTotal);
  }

  /** Benign delegation plan for a planner's task (respecting may_delegate_to and every max_depth). */
  private benignPlan(a: SimAgent, rng: Rng, start: number): DelegationPlan[] {
    if (a.delegates.length === 0 || !rng.chance(0.55)) return [];
    // Work is handed only to delegates on duty at that hour; the rest is queued for later (not simulated).
    const onDuty = a.delegates.filter((di) => this.onDuty(this.fleet.agents[di] as SimAgent, start));
    if (onDuty.length === 0) return [];
    const picks = rng.shuffle(onDuty).slice(0, rng.chance(0.3) ? 2 : 1);
    return picks.map((to) => {
      const d = this.fleet.agents[to] as SimAgent;
      const plan: DelegationPlan = { to };
      const depthCap = Math.min(a.maxDepth ?? Number.POSITIVE_INFINITY, d.maxDepth ?? Number.POSITIVE_INFINITY);
      if (d.delegates.length > 0 && depthCap >= 3 && rng.chance(0.4)) {
        const sub = rng.pick(d.delegates);
        const s = this.fleet.agents[sub] as SimAgent;
        if (Math.min(depthCap, s.maxDepth ?? Number.POSITIVE_INFINITY) >= 3 && sub !== a.idx && this.onDuty(s, start)) plan.next = { to: sub };
      }
      return plan;
    });
  }

  /** Whether the agent normally works at that time (24/7 agents always do). */
  private onDuty(d: SimAgent, t: number): boolean {
    if (d.archetype === 'always') return true;
    if (d.archetype === 'batch') return false;
    const date = new Date(t);
    const dow = date.getUTCDay();
    if ((dow === 0 || dow === 6) && d.weekendFactor === 0) return false;
    return (d.hourWeekday[date.getUTCHours()] ?? 0) > 0;
  }

  private planScopes(p: DelegationPlan, out: Set<string>): void {
    for (const s of (this.fleet.agents[p.to] as SimAgent).delegatable) out.add(s);
    if (p.next) this.planScopes(p.next, out);
  }

  /** Scopes limited to what the agent's registry entry allows (benign tokens never exceed it). */
  private allowedScopes(a: SimAgent, scopes: Iterable<string>): string[] {
    const declared = a.entry.scope.token_scopes;
    return [...scopes].filter((s) => matchesAny(s, declared, 'scope'));
  }

  private ensureToken(
    ctx: TaskCtx,
    a: SimAgent,
    tok: TokenRec,
    t: number,
    ttlMs: number,
    rng: Rng,
    tokens: TokenRec[],
    extra?: { grant?: string; parent?: string; issuer?: IssuerKind },
    margin = 90_000,
  ): TokenRec {
    if (t + margin < tok.exp) return tok;
    // Issued just before the call that needs it (a policy decision may precede the call by a few ms).
    const fresh = this.issue(ctx, a, t - 8, tok.scopes, ttlMs, rng, undefined, extra);
    tokens.push(fresh);
    return fresh;
  }

  /** A root task: a just-in-time token, tool calls, maybe delegation, maybe a revocation. */
  rootTask(a: SimAgent, start: number, rng: Rng, day: DayCtx, forced?: ForcedTask, batchCalls?: number): TaskResult {
    const before = this.em.total;
    const env = a.envs.length === 1 ? (a.envs[0] as string) : (a.envs[rng.weightedIndex(a.envWeights)] as string);
    let obo: string | undefined;
    if (forced?.obo !== undefined) obo = forced.obo ?? undefined;
    else if (!a.service && a.archetype !== 'batch') obo = rng.pick(a.requesters);
    const isPlanner = a.delegates.length > 0 || (forced?.delegation ?? null) !== null;
    const ctx: TaskCtx = {
      agentId: a.id,
      ai: a.idx,
      env,
      session: `sess-${rng.hex(12)}`,
      task: `task-${rng.hex(10)}`,
      obo,
      chain: isPlanner && obo ? [`user:${obo}`, a.id] : undefined,
      ip: a.ip,
      source: a.source,
      cap: forced?.cap ?? null,
    };
    const batch = batchCalls !== undefined;
    const nCalls = forced?.nCalls ?? batchCalls ?? clamp(Math.round(rng.lognormal(a.calls, 0.6)), 1, 60);
    const seq: number[] = [];
    for (let i = 0; i < nCalls; i++) seq.push(this.pickTool(a, rng, forced?.toolFilter));
    const plans = forced?.delegation !== undefined ? (forced.delegation ? [forced.delegation] : []) : this.benignPlan(a, rng, start);
    const scopeSet = new Set<string>();
    for (const i of seq) scopeSet.add((a.tools[i] as CompiledTool).spec.scope);
    for (const p of plans) this.planScopes(p, scopeSet);
    const scopes = this.allowedScopes(a, scopeSet);
    if (forced?.extraScopes) scopes.push(...forced.extraScopes);
    const ttl = forced?.ttlMs ?? a.ttlMs;
    const tokens: TokenRec[] = [];
    let tok = this.issue(ctx, a, start, scopes, ttl, rng, forced?.tokenCap ?? ctx.cap);
    tokens.push(tok);
    let t = start + rng.int(40, 900);
    const delegateAt = plans.map(() => rng.int(0, Math.max(0, nCalls - 1)));
    let end = t;
    for (let i = 0; i < nCalls; i++) {
      for (let p = 0; p < plans.length; p++) {
        if (delegateAt[p] !== i) continue;
        tok = this.ensureToken(ctx, a, tok, t, a.ttlMs, rng, tokens, undefined, Math.min(900_000, a.ttlMs * 0.8));
        const plan = plans[p] as DelegationPlan;
        const chainAgents = [a.idx];
        const depthCap = a.maxDepth ?? Number.POSITIVE_INFINITY;
        const dEnd = this.delegated(ctx, a, tok, chainAgents, depthCap, plan, t + rng.int(200, 2_000), rng, day);
        end = Math.max(end, dEnd);
        t = dEnd + rng.int(300, 4_000);
      }
      const tool = a.tools[seq[i] as number] as CompiledTool;
      tok = this.ensureToken(ctx, a, tok, t, a.ttlMs, rng, tokens);
      const dur = this.call(a, ctx, tool, t, tok, rng, day);
      end = Math.max(end, t + dur);
      t += dur + (batch ? Math.round(clamp(rng.lognormal(120, 0.7), 10, 5_000)) : Math.round(clamp(rng.lognormal(2_500, 0.9), 150, 90_000)));
    }
    if (forced?.revoke || rng.chance(a.revokeRate)) {
      const rt = end + rng.int(100, 3_000);
      this.em.tokenRevoked(ctx, rt, tok, 'task_complete');
      end = rt;
    }
    return { events: this.em.total - before, end, tokens };
  }

  /** A delegated sub-task: token exchange from the parent's token, a few calls, maybe a further hop. */
  delegated(
    parentCtx: TaskCtx,
    parent: SimAgent,
    parentTok: TokenRec,
    chainAgents: number[],
    depthCap: number,
    plan: DelegationPlan,
    start: number,
    rng: Rng,
    day: DayCtx,
  ): number {
    const d = this.fleet.agents[plan.to] as SimAgent;
    const chain = [...(parentCtx.chain ?? [parent.id]), d.id];
    const env = parentCtx.env !== undefined && d.envs.includes(parentCtx.env) ? parentCtx.env : (d.envs[0] as string);
    const ctx: TaskCtx = {
      agentId: d.id,
      ai: d.idx,
      env,
      session: parentCtx.session,
      task: parentCtx.task,
      obo: parentCtx.obo,
      chain,
      ip: d.ip,
      source: d.source,
      cap: plan.cap ?? null,
    };
    const wanted = new Set<string>(d.delegatable);
    if (plan.next) this.planScopes(plan.next, wanted);
    let scopes = [...wanted].filter((s) => parentTok.scopes.includes(s));
    if (scopes.length === 0) scopes = d.delegatable.slice();
    if (plan.broaden) scopes = [...scopes, ...plan.broaden.filter((s) => !scopes.includes(s))];
    // An exchanged token never outlives the token it was exchanged for.
    const ttl = Math.max(60_000, Math.min(d.maxTtlMs, Math.max(d.ttlMs, 900_000), parentTok.exp - start));
    const issuerKind = parent.issuer;
    const tok = this.issue(ctx, d, start, scopes, ttl, rng, plan.tokenCap ?? ctx.cap, { grant: TOKEN_EXCHANGE, parent: parentTok.id, issuer: issuerKind });
    const usable = d.readTools.filter((i) => scopes.includes((d.tools[i] as CompiledTool).spec.scope));
    const pool = usable.length > 0 ? usable : d.readTools;
    const n = clamp(1 + rng.poisson(d.calls * 0.6), 1, 12);
    let t = start + rng.int(40, 600);
    let end = t;
    const nextAt = plan.next ? rng.int(0, n - 1) : -1;
    for (let i = 0; i < n; i++) {
      if (i === nextAt && plan.next) {
        const sub = this.fleet.agents[plan.next.to] as SimAgent;
        const agentsNow = [...chainAgents, d.idx];
        const cap = Math.min(depthCap, d.maxDepth ?? Number.POSITIVE_INFINITY, sub.maxDepth ?? Number.POSITIVE_INFINITY);
        if (plan.next.forced || (d.delegates.includes(sub.idx) && agentsNow.length + 1 <= cap)) {
          const subEnd = this.delegated(
            ctx,
            d,
            tok,
            agentsNow,
            Math.min(depthCap, d.maxDepth ?? Number.POSITIVE_INFINITY),
            plan.next,
            t + rng.int(200, 1_500),
            rng,
            day,
          );
          end = Math.max(end, subEnd);
          t = subEnd + rng.int(200, 2_000);
        }
      }
      // The hand-off ends before the delegated credential expires (it cannot be renewed past its parent).
      if (t + 60_000 > tok.exp) break;
      const tool = d.tools[rng.pick(pool)] as CompiledTool;
      const dur = this.call(d, ctx, tool, t, tok, rng, day);
      end = Math.max(end, t + dur);
      t += dur + Math.round(clamp(rng.lognormal(1_500, 0.8), 100, 30_000));
    }
    if (rng.chance(0.25)) {
      const rt = end + rng.int(100, 2_000);
      this.em.tokenRevoked(ctx, rt, tok, 'delegation_complete');
      end = rt;
    }
    return end;
  }

  /** One benign tool call (with the occasional failure, denial and policy decision). Returns its duration. */
  call(a: SimAgent, ctx: TaskCtx, tool: CompiledTool, t: number, tok: TokenRec, rng: Rng, day: DayCtx): number {
    const spec = tool.spec;
    const r = rng.next();
    // Scheduled jobs run well-trodden paths: far fewer denials and errors than interactive agents.
    const deny = a.archetype === 'batch' ? 0.0008 : 0.005;
    const fail = a.archetype === 'batch' ? 0.006 : 0.015;
    const outcome = r < deny ? 'denied' : r < deny + fail ? 'failure' : 'success';
    const resource = tool.gen(rng, day);
    let dur: number;
    let bytesOut = 0;
    let records = 0;
    let attributes: Record<string, string> | undefined;
    if (outcome === 'success') {
      dur = Math.round(clamp(rng.lognormal(spec.dur, 0.55), 2, spec.dur * 30));
      bytesOut = Math.round(clamp(rng.lognormal(spec.bytes, 0.9), 0, spec.bytes * 25));
      records = Math.round(clamp(rng.lognormal(spec.recs, 0.8), 1, spec.recs * 20 + 1));
    } else if (outcome === 'failure') {
      const err = rng.pick(ERRORS);
      dur = err === 'timeout' ? 30_000 : rng.int(5, 400);
      attributes = { 'error.type': err };
    } else {
      dur = rng.int(2, 40);
      const [policy, reason] = rng.pick(DENY_POLICIES);
      attributes = { deny_reason: reason };
      if (rng.chance(0.5)) {
        this.em.policy(ctx, t - rng.int(1, 4), { decision: 'deny', policy, tool: spec.tool, resource, action: spec.action, token_id: tok.id });
      }
    }
    let approval: { by: string; at: string } | undefined;
    let trust: 'trusted' | 'untrusted' | undefined;
    if (tool.hc) {
      approval = { by: rng.pick(a.approvers), at: new Date(t - rng.int(45_000, 7_200_000)).toISOString() };
      if (rng.chance(0.5)) trust = 'trusted';
      if (outcome !== 'denied' && rng.chance(0.6)) {
        this.em.policy(ctx, t - rng.int(1, 4), {
          decision: 'allow',
          policy: 'agents/authz/high_consequence',
          tool: spec.tool,
          resource,
          action: spec.action,
          token_id: tok.id,
        });
      }
    } else if (spec.action === 'read' && a.untrusted > 0 && rng.chance(a.untrusted)) trust = 'untrusted';
    else if (rng.chance(0.08)) trust = 'trusted';
    this.em.toolCall(ctx, t, {
      tool: spec.tool,
      action: spec.action,
      resource,
      outcome,
      token_id: tok.id,
      bytes_in: Math.round(rng.lognormal(380, 0.6)),
      bytes_out: bytesOut,
      ...(outcome === 'success' ? { records } : {}),
      duration_ms: dur,
      ...(approval ? { approval } : {}),
      ...(trust ? { context_trust: trust } : {}),
      ...(attributes ? { attributes } : {}),
    });
    return dur;
  }
}
