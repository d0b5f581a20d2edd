import type { Action, Category } from '@agentwatch/schemas';
import { durationToMs, formatDuration } from '@agentwatch/schemas';
import { type BehaviorGen, DAY_MS, HOUR_MS, ISSUERS, TOKEN_EXCHANGE } from './behavior.ts';
import { FOREIGN_RESOURCES, FOREIGN_SCOPES, FOREIGN_TOOLS, SHADOW_AGENTS, SHADOW_ORCHESTRATORS, TEMPLATES, type ToolSpec } from './catalog.ts';
import { type Capture, type Emitter, newCapture, type TaskCtx, type TokenRec } from './emit.ts';
import { AGENT_PREFIX, type CompiledTool, type Fleet, type SimAgent } from './fleet.ts';
import { matchesAny } from './glob.ts';
import { compileResource, type DayCtx } from './resource.ts';
import { Rng } from './rng.ts';

/** One line of labels.ndjson: an injected attack and exactly the events that constitute it. */
export interface AttackLabel {
  attack_id: string;
  category: Category;
  technique: string;
  agent_id: string;
  event_ids: string[];
  start: string;
  end: string;
  description: string;
}

export interface AttackRunCtx {
  gen: BehaviorGen;
  em: Emitter;
  fleet: Fleet;
  rng: Rng;
  dayStart: number;
  day: DayCtx;
}

interface AttackOutcome {
  agentId: string;
  cap: Capture;
  description: string;
}

export interface PlannedAttack {
  id: string;
  category: Category;
  technique: string;
  day: number;
  /** Fleet agents the attack involves (for spreading attacks over agents and days). */
  agents: number[];
  /** Needs the agent's normal weekday activity on the attack day. */
  needsWorkday: boolean;
  run: (x: AttackRunCtx) => AttackOutcome | null;
}

const short = (id: string): string => (id.startsWith(AGENT_PREFIX) ? id.slice(AGENT_PREFIX.length) : id);
const iso = (ms: number): string => new Date(ms).toISOString();
const HC_ACTIONS: ReadonlySet<Action> = new Set<Action>(['transfer', 'delete', 'admin']);

/** A plausible moment in the agent's normal working pattern on that day. */
function workTime(a: SimAgent, dayStart: number, rng: Rng): number {
  if (a.silent) return dayStart + rng.int(9, 16) * HOUR_MS + rng.int(60_000, 3_000_000);
  if (a.archetype === 'batch') return dayStart + (a.batchHours[0] as number) * HOUR_MS + rng.int(240_000, 1_200_000);
  const h = rng.weightedIndex(a.hourWeekday);
  return dayStart + h * HOUR_MS + rng.int(60_000, 3_000_000);
}

/** The agent's own still-valid token at `t` (issued today), if any. */
function liveToken(x: AttackRunCtx, a: SimAgent, t: number, minLeftMs = 600_000): TokenRec | null {
  const st = x.em.stats[a.idx];
  if (!st) return null;
  let best: TokenRec | null = null;
  for (const tk of st.tokens) {
    if (tk.t < x.dayStart || tk.t >= t - 1_000 || tk.exp <= t + minLeftMs) continue;
    if (tk.revoked !== null && tk.revoked <= t + minLeftMs) continue;
    if (tk.ctx.chain && tk.ctx.chain.length > 2) continue;
    if (!best || tk.t > best.t) best = tk;
  }
  return best;
}

function attackCtx(a: SimAgent, cap: Capture, rng: Rng, over?: Partial<TaskCtx>): TaskCtx {
  return {
    agentId: a.id,
    ai: a.idx,
    env: a.envs[0],
    session: `sess-${rng.hex(12)}`,
    task: `task-${rng.hex(10)}`,
    obo: a.service || a.archetype === 'batch' ? undefined : rng.pick(a.requesters),
    ip: a.ip,
    source: a.source,
    cap,
    ...over,
  };
}

/** A token for the attack's own activity: within the agent's declared scopes and TTL unless told otherwise. */
function ownToken(x: AttackRunCtx, a: SimAgent, ctx: TaskCtx, t: number, tools: ToolSpec[], cap: Capture): TokenRec {
  const declared = a.entry.scope.token_scopes;
  const scopes = [...new Set(tools.map((s) => s.scope))].filter((s) => matchesAny(s, declared, 'scope'));
  return x.gen.issue(ctx, a, t, scopes, a.ttlMs, x.rng, cap);
}

/** A token to use at `t`: the live benign one when there is one (hijacked session), else a fresh one. */
function tokenFor(x: AttackRunCtx, a: SimAgent, t: number, tools: ToolSpec[], cap: Capture, rng: Rng): { tok: TokenRec; ctx: TaskCtx } {
  const live = rng.chance(0.5) ? liveToken(x, a, t) : null;
  if (live) return { tok: live, ctx: { ...live.ctx, cap } };
  const ctx = attackCtx(a, cap, rng);
  return { tok: ownToken(x, a, ctx, t - rng.int(500, 4_000), tools, cap), ctx };
}

interface CallOpts {
  outcome?: 'success' | 'failure' | 'denied';
  bytes?: number;
  records?: number;
  duration?: number;
  approval?: { by: string; at?: string } | null;
  trust?: 'trusted' | 'untrusted';
  action?: Action;
  resource?: string;
  attributes?: Record<string, string>;
}

function attackCall(x: AttackRunCtx, ctx: TaskCtx, spec: ToolSpec, t: number, tokenId: string | undefined, o: CallOpts = {}): string {
  const rng = x.rng;
  const outcome = o.outcome ?? 'success';
  const resource = o.resource ?? compileResource(spec.res)(rng, x.day);
  return x.em.toolCall(ctx, t, {
    tool: spec.tool,
    action: o.action ?? spec.action,
    resource,
    outcome,
    ...(tokenId ? { token_id: tokenId } : {}),
    bytes_in: Math.round(rng.lognormal(380, 0.6)),
    bytes_out: outcome === 'success' ? (o.bytes ?? Math.round(rng.lognormal(spec.bytes, 0.7))) : 0,
    ...(outcome === 'success' ? { records: o.records ?? Math.max(1, Math.round(rng.lognormal(spec.recs, 0.6))) } : {}),
    duration_ms: o.duration ?? (outcome === 'denied' ? rng.int(2, 40) : Math.round(rng.lognormal(spec.dur, 0.5))),
    ...(o.approval ? { approval: o.approval } : {}),
    ...(o.trust ? { context_trust: o.trust } : {}),
    ...(o.attributes ? { attributes: o.attributes } : {}),
  });
}

/** Tools the agent has actually used (so a drift attack changes one thing only). */
function usedTools(x: AttackRunCtx, a: SimAgent): CompiledTool[] {
  const seen = x.em.stats[a.idx]?.tools;
  const list = a.tools.filter((t) => seen?.has(t.spec.tool) && !t.hc);
  return list.length > 0 ? list : a.tools.filter((t) => !t.hc);
}

/**
 * Plans the injected attacks: which technique, which agent, which day. Parameters that depend on what
 * the agent has done so far (its volume, tokens, hours) are chosen when the attack runs.
 */
export function planAttacks(fleet: Fleet, seed: string, days: number, startDayOfWeek: number): PlannedAttack[] {
  const rng = new Rng(seed, 'attack-plan');
  const agents = fleet.agents;
  const acting = agents.filter((a) => !a.silent);
  const usage = new Map<number, number>();
  const behaviorUsed = new Set<number>();
  const plans: PlannedAttack[] = [];
  let n = 0;
  const nextId = (): string => `atk-${String(++n).padStart(3, '0')}`;

  const choose = (pool: SimAgent[], pred: (a: SimAgent) => boolean, score?: (a: SimAgent) => number): SimAgent | null => {
    const cands = rng.shuffle(pool.filter(pred));
    if (cands.length === 0) return null;
    cands.sort((p, q) => (usage.get(p.idx) ?? 0) - (usage.get(q.idx) ?? 0) || (score ? score(p) - score(q) : 0));
    const a = cands[0] as SimAgent;
    usage.set(a.idx, (usage.get(a.idx) ?? 0) + 1);
    return a;
  };
  const add = (category: Category, technique: string, involved: SimAgent[], needsWorkday: boolean, run: PlannedAttack['run']): void => {
    plans.push({ id: nextId(), category, technique, day: -1, agents: involved.map((a) => a.idx), needsWorkday, run });
  };
  const shadows = rng.shuffle(SHADOW_AGENTS.slice());
  const orchestrators = rng.shuffle(SHADOW_ORCHESTRATORS.slice());
  const worksInDay = (a: SimAgent): boolean => a.archetype !== 'batch';
  const hasTools = (a: SimAgent): boolean => a.tools.some((t) => !t.hc);

  // ---------------- out_of_registry ----------------
  {
    const victim = rng.pick(acting.length ? acting : agents);
    const lookalike = victim && rng.chance(0.4);
    const shadowId = lookalike ? `${AGENT_PREFIX}${victim.slug.includes('o') ? victim.slug.replace('o', '0') : `${victim.slug}-dev`}` : (shadows[0] as string);
    const kind = lookalike ? victim.tpl : rng.pick(TEMPLATES);
    add('out_of_registry', 'unregistered_agent', [], false, (x) => {
      const r = x.rng;
      const cap = newCapture();
      const t0 = x.dayStart + r.int(8, 17) * HOUR_MS + r.int(0, 3_500_000);
      const external = r.chance(0.4);
      const ctx: TaskCtx = {
        agentId: shadowId,
        ai: -1,
        env: 'prod',
        session: `sess-${r.hex(12)}`,
        ...(r.chance(0.5) ? { obo: r.pick(x.fleet.users) } : {}),
        ip: external ? `203.0.113.${r.int(2, 254)}` : `10.${r.int(16, 90)}.${r.int(0, 255)}.${r.int(2, 254)}`,
        source: r.pick(['otel', 'gateway:mcp-gw']),
        cap,
      };
      const tools = kind.tools.filter((t) => t.action === 'read' || t.action === 'write');
      const info = ISSUERS[kind.issuer];
      const tokenId = info.mkId(r);
      x.em.tokenIssued(ctx, t0, {
        token_id: tokenId,
        issuer: info.issuer,
        scopes: [...new Set(tools.map((t) => t.scope))],
        expires: t0 + HOUR_MS,
        grant_type: info.grant,
        source: info.source,
      });
      let t = t0 + r.int(200, 3_000);
      const count = r.int(4, 16);
      for (let i = 0; i < count; i++) {
        attackCall(x, ctx, r.pick(tools), t, tokenId, { outcome: r.chance(0.9) ? 'success' : 'failure' });
        t += r.int(800, 40_000);
      }
      return {
        agentId: shadowId,
        cap,
        description: `${shadowId}${lookalike ? ` (a look-alike of registered ${victim.id})` : ''} is not in the registry but obtained a token from ${info.issuer} and made ${count} ${kind.tools[0]?.tool.split('.')[0] ?? ''} tool calls${external ? ' from an external address' : ''}.`,
      };
    });
  }
  {
    const shadowId = shadows[1] as string;
    add('out_of_registry', 'token_for_unregistered_agent', [], false, (x) => {
      const r = x.rng;
      const cap = newCapture();
      const t0 = x.dayStart + r.int(0, 23) * HOUR_MS + r.int(0, 3_500_000);
      const kind = r.pick(['idp', 'vault', 'sts'] as const);
      const info = ISSUERS[kind];
      const ctx: TaskCtx = { agentId: shadowId, ai: -1, ip: `10.${r.int(16, 90)}.${r.int(0, 255)}.${r.int(2, 254)}`, cap };
      const scopes = r.pick([['drive.read'], ['crm.read', 'crm.write'], ['s3.read'], ['mail.read', 'mail.send'], ['warehouse.read']]);
      const ttl = r.pick([900_000, HOUR_MS, 8 * HOUR_MS]);
      const k = r.int(1, 2);
      for (let i = 0; i < k; i++) {
        const t = t0 + i * r.int(600_000, 3_000_000);
        x.em.tokenIssued(ctx, t, { token_id: info.mkId(r), issuer: info.issuer, scopes, expires: t + ttl, grant_type: info.grant, source: info.source });
      }
      return {
        agentId: shadowId,
        cap,
        description: `${info.issuer} issued ${k === 1 ? 'a token' : `${k} tokens`} (scopes ${scopes.join(', ')}) to ${shadowId}, an identity the registry does not list.`,
      };
    });
  }
  {
    const r0 = choose(acting, (a) => a.delegatable.length > 0 && !a.service);
    if (r0) {
      const orch = orchestrators[0] as string;
      add('out_of_registry', 'unregistered_delegator', [r0], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(r0, x.dayStart, r);
        const user = r.chance(0.7) ? r.pick(r0.requesters) : undefined;
        const ctx: TaskCtx = {
          agentId: r0.id,
          ai: r0.idx,
          env: r0.envs[0],
          session: `sess-${r.hex(12)}`,
          task: `task-${r.hex(10)}`,
          obo: user,
          chain: user ? [`user:${user}`, orch, r0.id] : [orch, r0.id],
          ip: r0.ip,
          source: r0.source,
          cap,
        };
        const tok = x.gen.issue(ctx, r0, t0, r0.delegatable.slice(), Math.min(r0.ttlMs, 900_000), r, cap, {
          grant: TOKEN_EXCHANGE,
          parent: `jti-${r.hex(20)}`,
          issuer: r0.issuer,
        });
        let t = t0 + r.int(100, 2_000);
        const count = r.int(2, 8);
        const pool = r0.readTools.map((i) => r0.tools[i] as CompiledTool);
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, r.pick(pool).spec, t, tok.id);
          t += r.int(500, 20_000);
        }
        return {
          agentId: orch,
          cap,
          description: `${r0.id} received work through a delegation chain that includes ${orch}, an agent the registry does not list (token exchange plus ${count} calls).`,
        };
      });
    }
  }

  // ---------------- lifecycle ----------------
  const silentRun = (role: 'retired' | 'suspended' | 'orphan', technique: string, words: string): void => {
    const cand = agents.filter((a) => a.silent === role);
    const a = cand.length ? rng.pick(cand) : null;
    if (!a) return;
    a.attackTarget = true;
    add('lifecycle', technique, [a], false, (x) => {
      const r = x.rng;
      const cap = newCapture();
      const t0 = workTime(a, x.dayStart, r);
      const res = x.gen.rootTask(a, t0, r, x.day, { at: t0, cap, delegation: null, nCalls: r.int(2, 9), obo: a.service ? null : r.pick(a.requesters) });
      return { agentId: a.id, cap, description: `${a.id} is ${words} but obtained a token and made tool calls again (${res.events} events).` };
    });
  };
  silentRun('retired', 'retired_agent_active', 'retired in the registry');
  silentRun('suspended', 'suspended_agent_active', 'suspended in the registry');
  {
    const cand = agents.filter((a) => a.silent === 'orphan');
    if (cand.length) {
      const a = rng.pick(cand);
      a.attackTarget = true;
      add('lifecycle', 'orphaned_agent_active', [a], false, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const res = x.gen.rootTask(a, t0, r, x.day, { at: t0, cap, delegation: null, nCalls: r.int(2, 9) });
        return {
          agentId: a.id,
          cap,
          description: `${a.id} became active after months of silence although its owner ${a.entry.owner} has left the company (${res.events} events).`,
        };
      });
    }
  }
  {
    const departed = fleet.departedForAttack[0];
    const a = departed ? choose(acting, (b) => !b.service && b.archetype === 'business' && b.delegates.length === 0) : null;
    if (a && departed) {
      add('lifecycle', 'departed_principal', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const res = x.gen.rootTask(a, t0, r, x.day, { at: t0, cap, delegation: null, obo: departed, nCalls: r.int(2, 6) });
        return { agentId: a.id, cap, description: `${a.id} ran a task on behalf of ${departed}, who has left the company (${res.events} events).` };
      });
    }
  }

  // ---------------- scope_drift ----------------
  {
    const a = choose(acting, (b) => b.entry.scope.tools !== undefined && FOREIGN_TOOLS.some((f) => !matchesAny(f.tool, b.entry.scope.tools, 'tool')));
    if (a) {
      const options = FOREIGN_TOOLS.filter((f) => !matchesAny(f.tool, a.entry.scope.tools, 'tool'));
      const preferred = options.filter((f) => !HC_ACTIONS.has(f.action));
      const tool = rng.pick(preferred.length ? preferred : options);
      add('scope_drift', 'tool_outside_scope', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const { tok, ctx } = tokenFor(
          x,
          a,
          t0,
          usedTools(x, a).map((c) => c.spec),
          cap,
          r,
        );
        const count = r.int(1, 4);
        let t = t0;
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, tool, t, tok.id, { outcome: r.chance(0.75) ? 'success' : 'denied' });
          t += r.int(1_000, 60_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} called ${tool.tool} ${count}x, a tool outside its declared tools (${(a.entry.scope.tools ?? []).join(', ')}).`,
        };
      });
    }
  }
  {
    const a = choose(acting, (b) => b.entry.scope.resources !== undefined && hasTools(b));
    if (a) {
      const opts = FOREIGN_RESOURCES.filter((p) => !matchesAny(p.replace(/\{[^}]*\}/g, 'x'), a.entry.scope.resources, 'resource'));
      const resTpl = compileResource(rng.pick(opts.length ? opts : FOREIGN_RESOURCES));
      add('scope_drift', 'resource_outside_scope', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const tools = usedTools(x, a);
        const tool = (tools.find((c) => c.spec.action === 'read') ?? (tools[0] as CompiledTool)).spec;
        const { tok, ctx } = tokenFor(x, a, t0, [tool], cap, r);
        const count = r.int(1, 3);
        let t = t0;
        let resource = '';
        for (let i = 0; i < count; i++) {
          resource = resTpl(r, x.day);
          attackCall(x, ctx, tool, t, tok.id, { resource });
          t += r.int(1_000, 30_000);
        }
        return { agentId: a.id, cap, description: `${short(a.id)} used ${tool.tool} on ${resource}, outside its declared resources.` };
      });
    }
  }
  {
    const missing = (b: SimAgent): Action[] =>
      (['delete', 'write', 'send', 'execute', 'admin'] as Action[]).filter(
        (ac) => !(b.entry.scope.actions ?? ['read', 'write', 'delete', 'execute', 'send', 'transfer', 'admin', 'other']).includes(ac),
      );
    const a = choose(acting, (b) => b.entry.scope.actions !== undefined && missing(b).length > 0 && hasTools(b));
    if (a) {
      const acts = missing(a);
      const action = acts.includes('delete') && rng.chance(0.6) ? 'delete' : rng.pick(acts);
      add('scope_drift', 'action_outside_scope', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const base = r.pick(usedTools(x, a)).spec;
        const verb: Record<string, string> = { delete: 'delete', write: 'update', send: 'send', execute: 'run', admin: 'grant' };
        const sibling = `${base.tool.split('.').slice(0, -1).join('.')}.${verb[action] ?? 'update'}`;
        const toolName = matchesAny(sibling, a.entry.scope.tools, 'tool') ? sibling : base.tool;
        const spec: ToolSpec = { ...base, tool: toolName, action, bytes: 300, recs: r.int(1, 40) };
        const { tok, ctx } = tokenFor(x, a, t0, [base], cap, r);
        const count = r.int(1, 3);
        let t = t0;
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, spec, t, tok.id, { action });
          t += r.int(2_000, 40_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} performed ${count} ${action} action(s) via ${toolName}; its declared actions are ${(a.entry.scope.actions ?? []).join(', ')}.`,
        };
      });
    }
  }
  {
    const a = choose(acting, (b) => b.entry.scope.environments !== undefined && hasTools(b));
    if (a) {
      const declared = a.entry.scope.environments ?? [];
      const others = ['staging', 'dev'].filter((e) => !declared.includes(e));
      const env = declared.includes('prod') ? (others.length ? rng.pick(others) : 'sandbox') : 'prod';
      add('scope_drift', 'environment_outside_scope', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const tools = usedTools(x, a).map((c) => c.spec);
        const ctx = attackCtx(a, cap, r, { env });
        const tok = ownToken(x, a, ctx, t0, tools, cap);
        const count = r.int(2, 8);
        let t = t0 + r.int(200, 2_000);
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, r.pick(tools), t, tok.id);
          t += r.int(1_000, 30_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} obtained a token and made ${count} calls in ${env}; it is registered for ${declared.join(', ')} only.`,
        };
      });
    }
  }
  {
    const a = choose(acting, (b) => b.entry.scope.token_scopes !== undefined && hasTools(b) && b.archetype !== 'batch');
    if (a) {
      const opts = FOREIGN_SCOPES.filter((s) => !matchesAny(s, a.entry.scope.token_scopes, 'scope'));
      const extra = rng.pick(opts.length ? opts : ['org.admin']);
      add('scope_drift', 'token_scope_outside_scope', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        x.gen.rootTask(a, t0, r, x.day, { at: t0, extraScopes: [extra], tokenCap: cap, delegation: null });
        return { agentId: a.id, cap, description: `${short(a.id)} was issued a token that includes scope ${extra}, outside its declared token scopes.` };
      });
    }
  }

  // ---------------- credential ----------------
  {
    const a = choose(acting, (b) => b.entry.scope.max_token_ttl !== undefined && hasTools(b) && b.archetype !== 'batch');
    if (a) {
      const max = durationToMs(a.entry.scope.max_token_ttl ?? '1h');
      const ttl = rng.pick([12 * HOUR_MS, DAY_MS, 7 * DAY_MS, 30 * DAY_MS, 90 * DAY_MS].filter((v) => v >= 3 * max));
      add('credential', 'token_ttl_above_max', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        x.gen.rootTask(a, t0, r, x.day, { at: t0, ttlMs: ttl, tokenCap: cap, delegation: null });
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} was issued a token valid for ${formatDuration(ttl)}; its max_token_ttl is ${a.entry.scope.max_token_ttl}.`,
        };
      });
    }
  }
  {
    const owner = choose(
      acting,
      (b) => b.archetype === 'always' && hasTools(b),
      (b) => -b.base,
    );
    const user = owner ? choose(acting, (b) => b.idx !== owner.idx && hasTools(b) && worksInDay(b)) : null;
    if (owner && user) {
      add('credential', 'token_used_by_other_agent', [user, owner], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        let t0 = workTime(user, x.dayStart, r);
        let tok = liveToken(x, owner, t0, 300_000);
        if (!tok) {
          const res = x.gen.rootTask(owner, t0 - r.int(120_000, 400_000), r, x.day, { at: t0, delegation: null, nCalls: r.int(2, 5) });
          tok = res.tokens[0] as TokenRec;
          t0 = Math.max(t0, tok.t + r.int(30_000, 120_000));
        }
        const ctx = attackCtx(user, cap, r);
        const useOwnerTools = r.chance(0.5);
        const tools = useOwnerTools ? usedTools(x, owner).map((c) => c.spec) : usedTools(x, user).map((c) => c.spec);
        const count = r.int(1, 5);
        let t = t0;
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, r.pick(tools), t, tok.id);
          t += r.int(1_000, 20_000);
        }
        return {
          agentId: user.id,
          cap,
          description: `${short(user.id)} presented token ${tok.id}, issued to ${short(owner.id)}, in ${count} call(s)${useOwnerTools ? ` to ${short(owner.id)}'s tools` : ''}.`,
        };
      });
    }
  }
  {
    const a =
      choose(
        acting,
        (b) => worksInDay(b) && hasTools(b) && b.archetype === 'always',
        (b) => -b.base,
      ) ?? choose(acting, (b) => worksInDay(b) && hasTools(b));
    if (a) {
      add('credential', 'token_used_after_expiry', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const st = x.em.stats[a.idx];
        const pool = (st?.tokens ?? []).filter(
          (tk) => tk.t >= x.dayStart && tk.revoked === null && tk.exp - tk.t <= a.maxTtlMs && !(tk.ctx.chain && tk.ctx.chain.length > 2),
        );
        let tok = pool.length ? (pool[Math.floor(r.next() * Math.min(pool.length, 5))] as TokenRec) : null;
        if (!tok) {
          const t1 = workTime(a, x.dayStart, r);
          const res = x.gen.rootTask(a, t1, r, x.day, { at: t1, delegation: null, nCalls: r.int(2, 5), revoke: false });
          tok = res.tokens[0] as TokenRec;
        }
        const late = r.int(1 * HOUR_MS, 10 * HOUR_MS);
        const t0 = tok.exp + late;
        const ctx: TaskCtx = r.chance(0.5) ? { ...tok.ctx, cap } : { ...tok.ctx, session: `sess-${r.hex(12)}`, ip: `198.51.100.${r.int(2, 254)}`, cap };
        const count = r.int(1, 4);
        let t = t0;
        const tools = usedTools(x, a).map((c) => c.spec);
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, r.pick(tools), t, tok.id, { outcome: r.chance(0.65) ? 'success' : 'denied' });
          t += r.int(2_000, 90_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} presented token ${tok.id} ${formatDuration(Math.round(late / 60_000) * 60_000)} after it expired (${count} call(s)).`,
        };
      });
    }
  }
  {
    const a = choose(acting, (b) => worksInDay(b) && hasTools(b) && b.maxTtlMs >= 1_800_000);
    if (a) {
      add('credential', 'token_used_after_revocation', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const st = x.em.stats[a.idx];
        let tok =
          (st?.tokens ?? []).find(
            (tk) => tk.t >= x.dayStart && tk.revoked !== null && tk.exp - tk.revoked >= 600_000 && !(tk.ctx.chain && tk.ctx.chain.length > 2),
          ) ?? null;
        if (!tok) {
          const t1 = workTime(a, x.dayStart, r);
          const res = x.gen.rootTask(a, t1, r, x.day, { at: t1, delegation: null, nCalls: r.int(1, 3), revoke: true, ttlMs: a.maxTtlMs });
          tok = res.tokens[res.tokens.length - 1] as TokenRec;
        }
        const revoked = tok.revoked ?? tok.t;
        const t0 = revoked + Math.round((tok.exp - revoked) * r.range(0.15, 0.7));
        const ctx: TaskCtx = { ...tok.ctx, cap };
        const count = r.int(1, 4);
        let t = t0;
        const tools = usedTools(x, a).map((c) => c.spec);
        for (let i = 0; i < count && t < tok.exp - 30_000; i++) {
          attackCall(x, ctx, r.pick(tools), t, tok.id, { outcome: r.chance(0.7) ? 'success' : 'denied' });
          t += r.int(2_000, 60_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} kept using token ${tok.id} ${formatDuration(Math.round((t0 - revoked) / 1000) * 1000)} after it was revoked.`,
        };
      });
    }
  }

  // ---------------- delegation ----------------
  {
    // A chain whose every hop is allowed but which is longer than one member's max_depth.
    const triples: Array<[SimAgent, SimAgent, SimAgent]> = [];
    for (const p of acting) {
      for (const si of p.delegates) {
        const s = agents[si] as SimAgent;
        for (const wi of s.delegates) {
          const w = agents[wi] as SimAgent;
          if (w.idx === p.idx) continue;
          const cap = Math.min(p.maxDepth ?? 99, s.maxDepth ?? 99, w.maxDepth ?? 99);
          if (cap < 3) triples.push([p, s, w]);
        }
      }
    }
    let triple: [SimAgent, SimAgent, SimAgent] | null = triples.length ? rng.pick(triples) : null;
    if (!triple) {
      const p = choose(acting, (b) => b.delegates.length > 0 && (b.maxDepth ?? 99) <= 2);
      const s = p ? (agents[rng.pick(p.delegates)] as SimAgent) : null;
      const w = p && s ? choose(acting, (b) => b.idx !== p.idx && b.idx !== s.idx && b.delegatable.length > 0) : null;
      if (p && s && w) triple = [p, s, w];
    }
    if (triple) {
      const [p, s, w] = triple;
      usage.set(w.idx, (usage.get(w.idx) ?? 0) + 1);
      add('delegation', 'chain_depth_exceeded', [w, p], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(p, x.dayStart, r);
        x.gen.rootTask(p, t0, r, x.day, { at: t0, delegation: { to: s.idx, next: { to: w.idx, cap, forced: true } } });
        const depth = Math.min(p.maxDepth ?? 99, s.maxDepth ?? 99);
        return {
          agentId: w.id,
          cap,
          description: `${short(p.id)} -> ${short(s.id)} -> ${short(w.id)}: a delegation chain of 3 agents, deeper than the max_depth of ${depth}.`,
        };
      });
    }
  }
  {
    const p = choose(acting, (b) => b.delegates.length > 0);
    const declared = p?.entry.scope.token_scopes;
    const outsider = p
      ? (choose(
          acting,
          (b) =>
            b.idx !== p.idx &&
            !matchesAny(b.id, p.entry.delegation?.may_delegate_to ?? [], 'agent') &&
            b.delegatable.length > 0 &&
            b.delegatable.every((sc) => matchesAny(sc, declared, 'scope')),
        ) ?? choose(acting, (b) => b.idx !== p.idx && !matchesAny(b.id, p.entry.delegation?.may_delegate_to ?? [], 'agent') && b.delegatable.length > 0))
      : null;
    if (p && outsider) {
      add('delegation', 'delegate_not_allowed', [outsider, p], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(p, x.dayStart, r);
        x.gen.rootTask(p, t0, r, x.day, { at: t0, delegation: { to: outsider.idx, cap, forced: true } });
        return {
          agentId: outsider.id,
          cap,
          description: `${short(p.id)} handed work to ${short(outsider.id)}, which is not in its may_delegate_to (${(p.entry.delegation?.may_delegate_to ?? []).map(short).join(', ')}).`,
        };
      });
    }
  }
  {
    const pairs: Array<[SimAgent, SimAgent, string]> = [];
    for (const p of acting) {
      for (const di of p.delegates) {
        const d = agents[di] as SimAgent;
        const extra = (d.entry.scope.token_scopes ?? []).filter(
          (sc) => !sc.includes('*') && !d.delegatable.includes(sc) && !matchesAny(sc, p.entry.scope.token_scopes ?? [], 'scope'),
        );
        for (const e of extra) pairs.push([p, d, e]);
      }
    }
    rng.shuffle(pairs);
    pairs.sort((x, y) => (usage.get(x[1].idx) ?? 0) - (usage.get(y[1].idx) ?? 0));
    let pick: [SimAgent, SimAgent, string] | null = pairs[0] ?? null;
    if (!pick) {
      const p = choose(acting, (b) => b.delegates.length > 0);
      const d = p ? (agents[rng.pick(p.delegates)] as SimAgent) : null;
      if (p && d) pick = [p, d, rng.pick(FOREIGN_SCOPES)];
    }
    if (pick) {
      const [p, d, extra] = pick;
      usage.set(d.idx, (usage.get(d.idx) ?? 0) + 1);
      add('delegation', 'exchanged_token_broader_than_parent', [d, p], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(p, x.dayStart, r);
        x.gen.rootTask(p, t0, r, x.day, { at: t0, delegation: { to: d.idx, tokenCap: cap, broaden: [extra] } });
        return {
          agentId: d.id,
          cap,
          description: `${short(d.id)} exchanged ${short(p.id)}'s token for one that adds ${extra}, a scope the parent token did not carry.`,
        };
      });
    }
  }

  // ---------------- runtime ----------------
  const hcTool = (b: SimAgent): CompiledTool | undefined => b.tools.find((t) => t.hc);
  {
    const a = choose(acting, (b) => hcTool(b) !== undefined);
    if (a) {
      add('runtime', 'high_consequence_without_approval', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const tool = (hcTool(a) as CompiledTool).spec;
        const { tok, ctx } = tokenFor(x, a, t0, [tool], cap, r);
        const count = r.int(1, 2);
        let t = t0;
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, tool, t, tok.id, r.chance(0.5) ? { trust: 'trusted' } : {});
          t += r.int(5_000, 120_000);
        }
        return { agentId: a.id, cap, description: `${short(a.id)} called high-consequence tool ${tool.tool} ${count}x without a recorded approval.` };
      });
    }
  }
  {
    const a = choose(acting, (b) => hcTool(b) !== undefined);
    if (a) {
      add('runtime', 'high_consequence_untrusted_context', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const tool = (hcTool(a) as CompiledTool).spec;
        const { tok, ctx } = tokenFor(x, a, t0, [tool], cap, r);
        const approved = r.chance(0.5);
        attackCall(x, ctx, tool, t0, tok.id, {
          trust: 'untrusted',
          ...(approved ? { approval: { by: r.pick(a.approvers), at: iso(t0 - r.int(20_000, 300_000)) } } : {}),
          attributes: { 'gen_ai.prompt.source': r.pick(['email', 'web_page', 'ticket_comment', 'retrieved_document']) },
        });
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} called ${tool.tool} driven by untrusted content (prompt injection)${approved ? ', rubber-stamped by an approver' : ''}.`,
        };
      });
    }
  }

  // ---------------- behavior_drift ----------------
  const bchoose = (pred: (a: SimAgent) => boolean, score?: (a: SimAgent) => number): SimAgent | null => {
    const a = choose(acting, (b) => !behaviorUsed.has(b.idx) && pred(b), score);
    if (a) behaviorUsed.add(a.idx);
    return a;
  };
  {
    const a = bchoose((b) => b.rare.length > 0 && b.entry.scope.tools !== undefined && hasTools(b));
    if (a) {
      const rare = rng.pick(a.rare);
      add('behavior_drift', 'first_seen_tool', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const ctx = attackCtx(a, cap, r);
        const tok = ownToken(x, a, ctx, t0, [rare.spec], cap);
        const count = r.int(1, 4);
        let t = t0 + r.int(200, 2_000);
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, rare.spec, t, tok.id);
          t += r.int(2_000, 60_000);
        }
        return { agentId: a.id, cap, description: `${short(a.id)} called ${rare.spec.tool} (${count}x), in its declared scope but never used before.` };
      });
    }
  }
  {
    const a = bchoose(
      (b) => b.archetype !== 'batch' && hasTools(b),
      (b) => Math.abs(Math.log(b.base / 150)),
    );
    if (a) {
      add('behavior_drift', 'volume_spike', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const st = x.em.stats[a.idx];
        const mean = st?.meanHourEvents ?? 5;
        const count = Math.min(6_000, Math.ceil(Math.max(mean * r.range(12, 25), (st?.maxHourEvents ?? 0) * 1.6, 40)));
        let h = a.hourWeekday.indexOf(Math.max(...a.hourWeekday));
        if (h < 0) h = 12;
        const hourStart = x.dayStart + h * HOUR_MS;
        const t0 = hourStart + r.int(60_000, 480_000);
        const span = r.int(30, 50) * 60_000;
        const ctx = attackCtx(a, cap, r);
        const tools = usedTools(x, a);
        let tok = ownToken(
          x,
          a,
          ctx,
          t0,
          tools.map((c) => c.spec),
          cap,
        );
        const times: number[] = [];
        for (let i = 0; i < count; i++) times.push(t0 + 500 + Math.floor(r.next() * span));
        times.sort((p, q) => p - q);
        const focus = r.pick(tools);
        for (const t of times) {
          if (t + 60_000 > tok.exp) tok = x.gen.issue(ctx, a, t - 5, tok.scopes, a.ttlMs, r, cap);
          const tool = r.chance(0.6) ? focus : r.pick(tools);
          x.gen.call(a, ctx, tool, t, tok, r, x.day);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} made ${count} calls within one hour (its mean is ${mean.toFixed(1)} events per active hour): a runaway loop.`,
        };
      });
    }
  }
  {
    const a = bchoose(
      (b) => b.archetype !== 'batch' && b.tools.some((t) => t.spec.action === 'read' && !t.hc),
      (b) => -Math.min(b.base, 400),
    );
    if (a) {
      add('behavior_drift', 'large_exfil', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const st = x.em.stats[a.idx];
        const reads = usedTools(x, a).filter((c) => c.spec.action === 'read');
        const tool = (reads.length ? reads : usedTools(x, a)).reduce((p, q) => (q.spec.bytes > p.spec.bytes ? q : p)).spec;
        const hourBytes = Math.max(st?.meanHourBytes ?? 0, tool.bytes * 10);
        const total = hourBytes * r.range(50, 150);
        const k = r.int(1, 3);
        const perCall = Math.max(Math.round(total / k), (st?.maxCallBytes ?? tool.bytes) * 20);
        const recs = Math.max(200, (st?.maxCallRecords ?? tool.recs) * r.int(30, 120));
        const t0 = workTime(a, x.dayStart, r);
        const { tok, ctx } = tokenFor(x, a, t0, [tool], cap, r);
        let t = t0;
        for (let i = 0; i < k; i++) {
          attackCall(x, ctx, tool, t, tok.id, {
            bytes: Math.round(perCall * r.range(0.8, 1.2)),
            records: Math.round(recs * r.range(0.8, 1.2)),
            duration: r.int(20_000, 180_000),
          });
          t += r.int(200_000, 600_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} pulled about ${((perCall * k) / 1e6).toFixed(0)} MB via ${tool.tool} in ${k} call(s), far above its usual ${(hourBytes / 1e6).toFixed(1)} MB per hour.`,
        };
      });
    }
  }
  {
    const a = bchoose((b) => (b.archetype === 'business' || b.archetype === 'batch') && hasTools(b));
    if (a) {
      add('behavior_drift', 'off_hours_activity', [a], false, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const hod = x.em.stats[a.idx]?.hourOfDay ?? [];
        const avoid = (h: number): boolean => (hod[h] ?? 0) > 0 || (hod[(h + 23) % 24] ?? 0) > 0;
        const preferred = a.archetype === 'business' ? [1, 2, 3, 4, 0, 23, 22, 5] : [10, 11, 13, 14, 15, 16, 20, 21, 22, 8, 9];
        const free = preferred.filter((h) => !avoid(h));
        const h = free.length ? (free[Math.floor(r.next() * Math.min(3, free.length))] as number) : 3;
        const t0 = x.dayStart + h * HOUR_MS + r.int(60_000, 2_400_000);
        const ctx = attackCtx(a, cap, r);
        const tools = usedTools(x, a).map((c) => c.spec);
        const tok = ownToken(x, a, ctx, t0, tools, cap);
        const count = r.int(3, 10);
        let t = t0 + r.int(200, 2_000);
        for (let i = 0; i < count; i++) {
          attackCall(x, ctx, r.pick(tools), t, tok.id);
          t += r.int(5_000, 60_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} was active at ${String(h).padStart(2, '0')}:00 UTC, an hour it has never worked (${count} calls).`,
        };
      });
    }
  }
  {
    const a = bchoose((b) => hasTools(b));
    if (a) {
      add('behavior_drift', 'denied_burst', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const tools = usedTools(x, a).map((c) => c.spec);
        const { tok, ctx } = tokenFor(x, a, t0, tools, cap, r);
        const count = r.int(20, 45);
        const span = r.int(90_000, 360_000);
        const retry = r.chance(0.5);
        const fixedTool = r.pick(tools);
        const fixedRes = compileResource(fixedTool.res)(r, x.day);
        const times: number[] = [];
        for (let i = 0; i < count; i++) times.push(t0 + Math.floor(r.next() * span));
        times.sort((p, q) => p - q);
        const policy = r.pick(['agents/authz/record_ownership', 'agents/authz/business_rules', 'agents/authz/data_residency']);
        for (const t of times) {
          const tool = retry ? fixedTool : r.pick(tools);
          const resource = retry ? fixedRes : compileResource(tool.res)(r, x.day);
          if (r.chance(0.4)) x.em.policy(ctx, t - 2, { decision: 'deny', policy, tool: tool.tool, resource, action: tool.action, token_id: tok.id });
          attackCall(x, ctx, tool, t, tok.id, { outcome: 'denied', resource, attributes: { deny_reason: 'policy denied' } });
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} had ${count} calls denied within ${Math.round(span / 60_000)} minutes (${retry ? `retrying ${fixedTool.tool} on one resource` : 'probing many resources'}).`,
        };
      });
    }
  }

  // ---------------- telemetry_integrity ----------------
  {
    const a = choose(acting, hasTools);
    if (a) {
      add('telemetry_integrity', 'forged_event_time', [a], true, (x) => {
        const r = x.rng;
        const cap = newCapture();
        const t0 = workTime(a, x.dayStart, r);
        const tool = (r.pick(usedTools(x, a)) as CompiledTool).spec;
        const { tok, ctx } = tokenFor(x, a, t0, [tool], cap, r);
        // Dated far ahead, as an attacker would to make every token look expired and close every window early; far
        // enough that a recording sent live today is judged the same way as its replay.
        const END_OF_TIME = Date.parse('9999-12-31T23:59:59.999Z');
        const ahead = r.pick([400 * DAY_MS, 3 * 365 * DAY_MS, END_OF_TIME - t0]);
        const count = r.int(1, 3);
        let t = t0 + r.int(2_000, 60_000);
        for (let i = 0; i < count; i++) {
          const id = attackCall(x, ctx, tool, t, tok.id);
          x.em.claimTime(id, Math.min(t + ahead, END_OF_TIME));
          t += r.int(5_000, 300_000);
        }
        return {
          agentId: a.id,
          cap,
          description: `${short(a.id)} sent ${count} ${tool.tool} call${count === 1 ? '' : 's'} dated ${ahead >= END_OF_TIME - t0 ? 'at the end of time (9999-12-31)' : `${formatDuration(ahead)} after they were made`} (a forged clock).`,
        };
      });
    }
  }

  assignDays(plans, agents, days, startDayOfWeek, rng);
  return plans;
}

/** Spreads attacks over the days after the learning period; an agent's attacks land on different days. */
function assignDays(plans: PlannedAttack[], agents: SimAgent[], days: number, startDow: number, rng: Rng): void {
  const dayOfWeek = (d: number): number => (startDow + d) % 7;
  const first = days >= 10 ? 8 : Math.max(0, Math.min(days - 1, Math.floor(days * 0.6)));
  const span = Math.max(1, days - first);
  const order = rng.shuffle(plans.map((_, i) => i));
  const busy = new Map<number, Set<number>>();
  order.forEach((pi, k) => {
    const p = plans[pi] as PlannedAttack;
    const target = first + Math.floor(((k + rng.next()) * span) / order.length);
    const candidates: number[] = [];
    for (let dlt = 0; dlt < span; dlt++) for (const s of dlt === 0 ? [0] : [dlt, -dlt]) candidates.push(target + s);
    const ok = (d: number, strict: boolean): boolean => {
      if (d < first || d >= days) return false;
      if (p.needsWorkday || p.agents.some((ai) => (agents[ai] as SimAgent).weekendFactor === 0)) {
        const dow = dayOfWeek(d);
        const weekend = dow === 0 || dow === 6;
        if (weekend && p.agents.some((ai) => (agents[ai] as SimAgent).weekendFactor === 0 && !(agents[ai] as SimAgent).silent)) return false;
      }
      if (strict) for (const ai of p.agents) if (busy.get(ai)?.has(d)) return false;
      return true;
    };
    const day = candidates.find((d) => ok(d, true)) ?? candidates.find((d) => ok(d, false)) ?? Math.min(days - 1, Math.max(first, target));
    p.day = day;
    for (const ai of p.agents) {
      const set = busy.get(ai) ?? new Set<number>();
      set.add(day);
      busy.set(ai, set);
    }
  });
}
