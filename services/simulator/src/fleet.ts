import type { Action } from '@agentwatch/schemas';
import { durationToMs } from '@agentwatch/schemas';
import {
  type Archetype,
  FIRST_NAMES,
  type IssuerKind,
  LAST_NAMES,
  TEMPLATE_BY_SLUG,
  TEMPLATES,
  type Template,
  type Tier,
  type ToolSpec,
  VARIANT_SUFFIXES,
} from './catalog.ts';
import { matchesAny } from './glob.ts';
import { compileResource, dayCtx, type ResGen } from './resource.ts';
import { Rng } from './rng.ts';

export const AGENT_PREFIX = 'spiffe://corp.example/agents/';
const DAY_MS = 86_400_000;
const HIGH_CONSEQUENCE_ACTIONS: ReadonlySet<Action> = new Set<Action>(['transfer', 'delete', 'admin']);

export interface CompiledTool {
  spec: ToolSpec;
  gen: ResGen;
  /** Needs an approval: listed in high_consequence_tools, or a transfer/delete/admin action. */
  hc: boolean;
}

/** Registry entry as written to registry.yaml (registry.md), key order as a person would write it. */
export interface RegistryEntry {
  id: string;
  name: string;
  owner: string;
  team: string;
  status: 'active' | 'suspended' | 'retired';
  purpose: string;
  registered_at: string;
  last_reviewed?: string;
  scope: {
    tools?: string[];
    resources?: string[];
    actions?: Action[];
    token_scopes?: string[];
    environments?: string[];
    max_token_ttl?: string;
  };
  high_consequence_tools?: string[];
  delegation?: { may_delegate_to: string[]; max_depth?: number };
}

export type SilentRole = 'retired' | 'suspended' | 'orphan';

export interface SimAgent {
  idx: number;
  id: string;
  slug: string;
  tpl: Template;
  entry: RegistryEntry;
  /** Set for agents with no benign traffic (retired, suspended, or orphaned and dormant). */
  silent: SilentRole | null;
  /** Chosen by the attack planner for its lifecycle technique. */
  attackTarget: boolean;
  archetype: Archetype;
  tier: Tier;
  tools: CompiledTool[];
  toolWeights: number[];
  toolWeightTotal: number;
  /** Tools reachable with only the delegatable (read) scopes: what the agent does when delegated to. */
  readTools: number[];
  rare: CompiledTool[];
  envs: string[];
  envWeights: number[];
  hourWeekday: number[];
  hourWeekend: number[];
  weekendFactor: number;
  batchHours: number[];
  batchDaily: boolean;
  /** Events per weekday before growth and noise. */
  base: number;
  calls: number;
  issuer: IssuerKind;
  maxTtlMs: number;
  ttlMs: number;
  delegates: number[];
  delegatable: string[];
  maxDepth: number | null;
  requesters: string[];
  approvers: string[];
  ip: string;
  source: string;
  untrusted: number;
  revokeRate: number;
  service: boolean;
}

export interface PersonEntry {
  id: string;
  status: 'active' | 'departed';
  name?: string;
}

export interface Fleet {
  agents: SimAgent[];
  people: PersonEntry[];
  /** Departed people reserved for attacks (never in benign traffic). */
  departedForAttack: string[];
  users: string[];
  registryAgentsOrder: number[];
  scale: number;
}

const TIER_BASE: Record<Tier, number> = { light: 20, medium: 150, heavy: 1500 };

function personName(id: string): string {
  const local = id.split('@')[0] as string;
  return local
    .split('.')
    .map((p) => (p === 'obrien' ? "O'Brien" : p.charAt(0).toUpperCase() + p.slice(1)))
    .join(' ');
}

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface Slot {
  tpl: Template;
  slug: string;
  nameSuffix: string;
  silent: SilentRole | null;
}

/** Picks the agent kinds for a fleet of `n`: a coherent core (delegation families, HC agents, batch jobs) then variety. */
function chooseSlots(n: number, rng: Rng): Slot[] {
  let retired = 0;
  let suspended = 0;
  let orphan = 0;
  if (n >= 8) {
    retired = Math.max(2, Math.round(n * 0.05));
    suspended = n >= 60 ? 2 : 1;
    orphan = 1;
  } else {
    retired = n >= 4 ? 1 : 0;
    suspended = n >= 5 ? 1 : 0;
    orphan = n >= 6 ? 1 : 0;
  }
  const acting = n - retired - suspended - orphan;
  const used = new Set<string>();
  const order: Template[] = [];
  const take = (t: Template | undefined): void => {
    if (t && !used.has(t.slug)) {
      used.add(t.slug);
      order.push(t);
    }
  };
  const rest = rng.shuffle(TEMPLATES.slice());
  if (acting >= 12) {
    for (const s of ['research-planner', 'analysis-coordinator', 'sql-analyst', 'finance-orchestrator', 'invoice-bot', 'payments-runner'])
      take(TEMPLATE_BY_SLUG.get(s));
    take(rest.find((t) => t.archetype === 'batch' && !used.has(t.slug)));
    take(rest.find((t) => t.archetype === 'always' && !used.has(t.slug) && !t.delegates));
    take(rest.find((t) => t.hc && !used.has(t.slug)));
    take(rest.find((t) => (t.untrusted ?? 0) >= 0.15 && !used.has(t.slug)));
  }
  for (const t of rest) take(t);
  const slots: Slot[] = [];
  for (let i = 0; i < acting; i++) {
    const round = Math.floor(i / order.length);
    const tpl = order[i % order.length] as Template;
    if (round === 0) slots.push({ tpl, slug: tpl.slug, nameSuffix: '', silent: null });
    else {
      const [suffix, label] = VARIANT_SUFFIXES[(round - 1 + (i % order.length)) % VARIANT_SUFFIXES.length] as [string, string];
      const extra = round > VARIANT_SUFFIXES.length ? `-${Math.ceil(round / VARIANT_SUFFIXES.length)}` : '';
      slots.push({ tpl, slug: `${tpl.slug}-${suffix}${extra}`, nameSuffix: ` (${label}${extra ? ` ${extra.slice(1)}` : ''})`, silent: null });
    }
  }
  const silentKinds = rng.shuffle(TEMPLATES.filter((t) => !t.delegates));
  let k = 0;
  const nextSilent = (): Template => silentKinds[k++ % silentKinds.length] as Template;
  const retiredSuffixes = ['v1', 'legacy', 'poc', 'old', '2024', 'deprecated', 'gpt35', 'sunset'];
  for (let i = 0; i < retired; i++) {
    const tpl = nextSilent();
    const suffix = retiredSuffixes[i % retiredSuffixes.length] as string;
    slots.push({ tpl, slug: `${tpl.slug}-${suffix}`, nameSuffix: ` (${suffix})`, silent: 'retired' });
  }
  for (let i = 0; i < suspended; i++) {
    const tpl = nextSilent();
    const suffix = i === 0 ? 'pilot' : 'beta';
    slots.push({ tpl, slug: `${tpl.slug}-${suffix}`, nameSuffix: ` (${suffix})`, silent: 'suspended' });
  }
  for (let i = 0; i < orphan; i++) {
    const tpl = nextSilent();
    slots.push({ tpl, slug: `${tpl.slug}-classic`, nameSuffix: ' (classic)', silent: 'orphan' });
  }
  // Ids must be unique even in odd corner cases.
  const seen = new Set<string>();
  // Per base slug, the suffix number to try first: the smallest free one never decreases (seen only grows), so
  // large fleets do not rescan every suffix taken so far.
  const nextSuffix = new Map<string, number>();
  for (const s of slots) {
    let slug = s.slug;
    if (seen.has(slug)) {
      let j = nextSuffix.get(s.slug) ?? 2;
      while (seen.has(`${s.slug}-${j}`)) j++;
      nextSuffix.set(s.slug, j + 1);
      slug = `${s.slug}-${j}`;
    }
    s.slug = slug;
    seen.add(slug);
  }
  return slots;
}

/** Working hours (UTC) of business-hours agents: set per team (one office), occasionally shifted per agent. */
function hourWeightsBusiness(rng: Rng, team: [number, number]): number[] {
  let [start, end] = team;
  if (rng.chance(0.15)) start += rng.pick([-1, 1]);
  if (rng.chance(0.15)) end += rng.pick([-1, 1]);
  const w = new Array<number>(24).fill(0);
  const mid = (start + end) / 2;
  const half = (end - start) / 2;
  for (let h = start; h < end; h++) {
    const x = (h + 0.5 - mid) / half;
    w[h] = (1 - 0.35 * x * x) * (h === 12 ? 0.75 : 1) * rng.range(0.85, 1.15);
  }
  return w;
}

function hourWeightsAlways(rng: Rng): number[] {
  const peak = rng.range(12, 16);
  const floor = rng.range(0.25, 0.5);
  const w: number[] = [];
  for (let h = 0; h < 24; h++) w.push((floor + (1 - floor) * (0.5 + 0.5 * Math.cos((2 * Math.PI * (h + 0.5 - peak)) / 24))) * rng.range(0.9, 1.1));
  return w;
}

/** Builds the fleet: people, agents, registry entries and behaviour profiles. */
export function buildFleet(n: number, seed: string, startMs: number, days: number, eventsPerAgentDay: number): Fleet {
  const rng = new Rng(seed, 'fleet');
  const slots = chooseSlots(n, rng);

  // People: a pool of unique employees, owners per team, requesters, and a few leavers.
  const names: string[] = [];
  for (const f of FIRST_NAMES) for (const l of LAST_NAMES) names.push(`${f}.${l}@corp.example`);
  rng.shuffle(names);
  let ni = 0;
  const newPerson = (): string => names[ni++ % names.length] as string;
  const teams = [...new Set(slots.map((s) => s.tpl.team))];
  const teamOwners = new Map<string, string[]>();
  const teamMembers = new Map<string, string[]>();
  for (const team of teams) {
    const owners = Array.from({ length: rng.int(1, 2) }, newPerson);
    const members = [...owners, ...Array.from({ length: rng.int(2, 5) }, newPerson)];
    teamOwners.set(team, owners);
    teamMembers.set(team, members);
  }
  const departed: string[] = [];
  const newDeparted = (): string => {
    const p = newPerson();
    departed.push(p);
    return p;
  };
  const departedForAttack = [newDeparted()];
  newDeparted(); // a leaver with nothing left behind: a normal registry sight
  const users = Array.from({ length: 40 }, newPerson);

  const TEAM_OCTET = new Map<string, number>();
  const TEAM_HOURS = new Map<string, [number, number]>();
  const reviewWindow = Math.max(5, 88 - days);
  const agents: SimAgent[] = [];
  let overdueBudget = Math.max(1, Math.round(n * 0.08));
  const actingBases: number[] = [];
  slots.forEach((slot, idx) => {
    const tpl = slot.tpl;
    const arng = new Rng(seed, 'agent', slot.slug);
    const id = `${AGENT_PREFIX}${slot.slug}`;
    const owners = teamOwners.get(tpl.team) as string[];
    let owner = arng.pick(owners);
    let status: RegistryEntry['status'] = 'active';
    if (slot.silent === 'retired') {
      status = 'retired';
      if (arng.chance(0.5)) owner = newDeparted();
    } else if (slot.silent === 'suspended') status = 'suspended';
    else if (slot.silent === 'orphan') owner = newDeparted();

    const tools = tpl.tools.map((spec) => compileTool(spec, tpl));
    const rare = tpl.rare.map((spec) => compileTool(spec, tpl));
    const readTools = tools.map((t, i) => (t.spec.action === 'read' && !t.hc ? i : -1)).filter((i) => i >= 0);
    const delegatable = [...new Set(readTools.map((i) => (tools[i] as CompiledTool).spec.scope))];

    // Declared scope, with the relaxations real registries have.
    const scope: RegistryEntry['scope'] = {
      tools: tpl.scopeTools.slice(),
      resources: tpl.resources.slice(),
      actions: tpl.actions.slice(),
      token_scopes: tpl.tokenScopes.slice(),
      environments: tpl.envs.slice(),
      max_token_ttl: tpl.maxTtl,
    };
    let envs = tpl.envs.slice();
    let envWeights: number[] = envs.map((e, i) => (e === 'prod' ? 10 : i === 0 ? 6 : 4));
    if (!slot.silent && envs.length === 1 && envs[0] === 'prod' && arng.chance(0.2)) {
      scope.environments = ['prod', 'staging'];
      envs = ['prod', 'staging'];
      envWeights = [97, 3];
    }
    if (!slot.silent && arng.chance(0.18)) {
      const dim = arng.pick(['resources', 'resources', 'environments', 'actions', 'tools'] as const);
      delete scope[dim];
    }

    const registeredDaysAgo = arng.int(45, 700);
    let lastReviewedDaysAgo: number | null = arng.int(1, reviewWindow);
    if (slot.silent === 'retired') lastReviewedDaysAgo = arng.chance(0.5) ? null : arng.int(100, 500);
    else if (!slot.silent && overdueBudget > 0 && arng.chance(0.12)) {
      lastReviewedDaysAgo = arng.int(120, 420);
      overdueBudget--;
    } else if (!slot.silent && arng.chance(0.08)) lastReviewedDaysAgo = null;
    const regAgo =
      lastReviewedDaysAgo === null && !slot.silent ? arng.int(3, reviewWindow) : Math.max(registeredDaysAgo, (lastReviewedDaysAgo ?? 0) + arng.int(10, 200));

    const entry: RegistryEntry = {
      id,
      name: `${tpl.name}${slot.nameSuffix}`,
      owner,
      team: tpl.team,
      status,
      purpose:
        slot.silent === 'retired'
          ? `${tpl.purpose} (retired${arng.chance(0.5) ? `, superseded by ${tpl.slug}` : ''})`
          : slot.silent === 'suspended'
            ? `${tpl.purpose}. Suspended pending security review.`
            : tpl.purpose,
      registered_at: isoDate(startMs - regAgo * DAY_MS),
      ...(lastReviewedDaysAgo === null ? {} : { last_reviewed: isoDate(startMs - lastReviewedDaysAgo * DAY_MS) }),
      scope,
      ...(tpl.hc ? { high_consequence_tools: tpl.hc.slice() } : {}),
    };

    const archetype = tpl.archetype;
    let teamHours = TEAM_HOURS.get(tpl.team);
    if (!teamHours) {
      teamHours = [rng.pick([7, 8, 8, 9]), rng.pick([17, 18, 18, 19])];
      TEAM_HOURS.set(tpl.team, teamHours);
    }
    const hourWeekday =
      archetype === 'business' ? hourWeightsBusiness(arng, teamHours) : archetype === 'always' ? hourWeightsAlways(arng) : new Array<number>(24).fill(0);
    let hourWeekend = hourWeekday;
    let weekendFactor = 0;
    if (archetype === 'business') weekendFactor = arng.chance(0.3) ? arng.range(0.04, 0.15) : 0;
    else if (archetype === 'always') {
      weekendFactor = arng.range(0.55, 0.85);
      hourWeekend = hourWeekday.map((w) => w * arng.range(0.9, 1.1));
    }
    let batchHours: number[] = [];
    let batchDaily = false;
    if (archetype === 'batch') {
      const shift = arng.pick([0, 0, 0, 1, -1]);
      batchHours = (tpl.batchHours ?? [2]).map((h) => (h + shift + 24) % 24);
      batchDaily = tpl.batchDaily ?? false;
      weekendFactor = batchDaily ? 1 : 0;
    }

    let tier = tpl.tier;
    if (arng.chance(0.2)) tier = tier === 'light' ? 'medium' : tier === 'heavy' ? 'medium' : arng.pick(['light', 'heavy'] as const);
    // A 24/7 agent with a trickle of traffic has no stable daily pattern; real ones are busier.
    if (archetype === 'always' && tier === 'light') tier = 'medium';
    const base = slot.silent ? 0 : TIER_BASE[tier] * arng.lognormal(1, 0.35);
    if (!slot.silent) actingBases.push(base * (archetype === 'batch' && !batchDaily ? 5 / 7 : (5 + 2 * weekendFactor) / 7));

    const maxTtlMs = durationToMs(tpl.maxTtl);
    const ttlChoices = [maxTtlMs, maxTtlMs / 2, maxTtlMs / 4].filter((t) => t >= 600_000);
    const ttlMs = archetype === 'batch' ? maxTtlMs : arng.pick(ttlChoices.length ? ttlChoices : [maxTtlMs]);

    let octet = TEAM_OCTET.get(tpl.team);
    if (octet === undefined) {
      octet = 16 + TEAM_OCTET.size * 3;
      TEAM_OCTET.set(tpl.team, octet);
    }
    const members = teamMembers.get(tpl.team) as string[];
    agents.push({
      idx,
      id,
      slug: slot.slug,
      tpl,
      entry,
      silent: slot.silent,
      attackTarget: false,
      archetype,
      tier,
      tools,
      toolWeights: tools.map((t) => Math.max(t.spec.w, 6)),
      toolWeightTotal: tools.reduce((s, t) => s + Math.max(t.spec.w, 6), 0),
      readTools,
      rare,
      envs,
      envWeights,
      hourWeekday,
      hourWeekend,
      weekendFactor,
      batchHours,
      batchDaily,
      base,
      calls: tpl.calls,
      issuer: tpl.issuer,
      maxTtlMs,
      ttlMs,
      delegates: [],
      delegatable,
      maxDepth: tpl.maxDepth ?? null,
      requesters: members,
      approvers: owners,
      ip: `10.${octet + arng.int(0, 2)}.${arng.int(0, 255)}.${arng.int(2, 254)}`,
      source: arng.chance(0.3) ? 'gateway:mcp-gw' : 'otel',
      untrusted: tpl.untrusted ?? 0,
      revokeRate: arng.range(0.05, 0.3),
      service: tpl.service ?? false,
    });
  });

  // Delegation: planners may hand work to the delegates that exist in this fleet (variants included).
  // Indexed once (agents in fleet order per kind, and by slug), so a fleet of 100k agents is not scanned per planner.
  const delegatableByKind = new Map<string, SimAgent[]>();
  const bySlug = new Map<string, SimAgent>();
  for (const b of agents) {
    bySlug.set(b.slug, b);
    if (b.silent || b.delegatable.length === 0) continue;
    const list = delegatableByKind.get(b.tpl.slug);
    if (list) list.push(b);
    else delegatableByKind.set(b.tpl.slug, [b]);
  }
  for (const a of agents) {
    if (!a.tpl.delegates || a.silent) continue;
    // Variants delegate to their own region's delegate when there is one, else to the base kind (the first in fleet
    // order); kinds are taken in the fleet order of their first such agent.
    const firsts: Array<[string, SimAgent]> = [];
    for (const kind of new Set(a.tpl.delegates)) {
      const first = delegatableByKind.get(kind)?.find((b) => b.idx !== a.idx);
      if (first) firsts.push([kind, first]);
    }
    firsts.sort((x, y) => x[1].idx - y[1].idx);
    const chosen: SimAgent[] = [];
    const suffix = a.slug.slice(a.tpl.slug.length);
    for (const [kind, first] of firsts) {
      const own = bySlug.get(`${kind}${suffix}`);
      chosen.push(own && own.tpl.slug === kind && !own.silent && own.delegatable.length > 0 && own.idx !== a.idx ? own : first);
    }
    if (chosen.length === 0) continue;
    a.delegates = chosen.map((b) => b.idx);
    a.entry.delegation = { may_delegate_to: chosen.map((b) => b.id), ...(a.maxDepth !== null ? { max_depth: a.maxDepth } : {}) };
  }
  // A planner's token must be able to carry the scopes it passes down its delegation tree (within max_depth).
  for (const a of agents) {
    const declared = a.entry.scope.token_scopes;
    if (!declared || a.delegates.length === 0) continue;
    let frontier = a.delegates;
    const seen = new Set<number>([a.idx]);
    for (let hop = 1; hop < (a.maxDepth ?? 2) && frontier.length > 0; hop++) {
      const next: number[] = [];
      for (const bi of frontier) {
        if (seen.has(bi)) continue;
        seen.add(bi);
        const b = agents[bi] as SimAgent;
        for (const s of b.delegatable) if (!matchesAny(s, declared, 'scope')) declared.push(s);
        next.push(...b.delegates);
      }
      frontier = next;
    }
  }

  // Volume normalisation: the fleet averages `eventsPerAgentDay` per registered agent per day.
  const sum = actingBases.reduce((s, x) => s + x, 0);
  const scale = sum > 0 ? (eventsPerAgentDay * n) / sum : 1;
  for (const a of agents) a.base *= scale;

  for (const a of agents) checkConsistency(a);

  const people: PersonEntry[] = [];
  const seenPeople = new Set<string>();
  const addPerson = (id: string, status: PersonEntry['status']): void => {
    if (seenPeople.has(id)) return;
    seenPeople.add(id);
    people.push({ id, status, name: personName(id) });
  };
  for (const d of departed) addPerson(d, 'departed');
  for (const team of teams) for (const p of teamMembers.get(team) as string[]) addPerson(p, 'active');
  people.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

  const registryAgentsOrder = agents
    .map((a) => a.idx)
    .sort((x, y) => {
      const ax = agents[x] as SimAgent;
      const ay = agents[y] as SimAgent;
      return ax.entry.team === ay.entry.team ? (ax.slug < ay.slug ? -1 : 1) : ax.entry.team < ay.entry.team ? -1 : 1;
    });
  return { agents, people, departedForAttack, users, registryAgentsOrder, scale };
}

function compileTool(spec: ToolSpec, tpl: Template): CompiledTool {
  return {
    spec,
    gen: compileResource(spec.res),
    hc: HIGH_CONSEQUENCE_ACTIONS.has(spec.action) || (tpl.hc !== undefined && matchesAny(spec.tool, tpl.hc, 'tool')),
  };
}

/** Fails fast on catalogue mistakes: benign traffic must stay inside the declared scope. */
function checkConsistency(a: SimAgent): void {
  const s = a.entry.scope;
  const tpl = a.tpl;
  for (const t of [...a.tools, ...a.rare]) {
    const where = `${a.slug}: ${t.spec.tool}`;
    if (!matchesAny(t.spec.tool, tpl.scopeTools, 'tool')) throw new Error(`${where} outside declared tools`);
    if (!tpl.actions.includes(t.spec.action)) throw new Error(`${where} action ${t.spec.action} not declared`);
    if (!matchesAny(t.spec.scope, tpl.tokenScopes, 'scope')) throw new Error(`${where} scope ${t.spec.scope} not declared`);
  }
  if (s.token_scopes) for (const sc of a.delegatable) if (!matchesAny(sc, s.token_scopes, 'scope')) throw new Error(`${a.slug}: delegatable ${sc}`);
  const rng = new Rng('consistency', a.slug);
  const day = dayCtx(Date.UTC(2026, 9, 5), ['alice.nguyen@corp.example']);
  for (const t of [...a.tools, ...a.rare]) {
    for (let i = 0; i < 4; i++) {
      const r = t.gen(rng, day);
      if (!matchesAny(r, tpl.resources, 'resource')) throw new Error(`${a.slug}: ${t.spec.tool} resource ${r} outside declared resources`);
    }
  }
}

/** The registry document (registry.md) for this fleet. */
export function registryDocument(fleet: Fleet): { people: PersonEntry[]; agents: RegistryEntry[] } {
  return { people: fleet.people, agents: fleet.registryAgentsOrder.map((i) => (fleet.agents[i] as SimAgent).entry) };
}
