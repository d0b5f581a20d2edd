import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATEGORIES, type CanonicalEvent, durationToMs, parseEvent, Registry } from '@agentwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { matchesAny } from '../src/glob.ts';
import { type Label, simulateFleet } from '../src/index.ts';

const OPTS = { agents: 20, days: 10, seed: 42 } as const;
const TECHNIQUES = [
  'forged_event_time',
  'unregistered_agent',
  'token_for_unregistered_agent',
  'unregistered_delegator',
  'retired_agent_active',
  'suspended_agent_active',
  'orphaned_agent_active',
  'tool_outside_scope',
  'resource_outside_scope',
  'action_outside_scope',
  'environment_outside_scope',
  'token_scope_outside_scope',
  'token_ttl_above_max',
  'token_used_by_other_agent',
  'token_used_after_expiry',
  'token_used_after_revocation',
  'chain_depth_exceeded',
  'delegate_not_allowed',
  'exchanged_token_broader_than_parent',
  'high_consequence_without_approval',
  'high_consequence_untrusted_context',
  'first_seen_tool',
  'volume_spike',
  'large_exfil',
  'off_hours_activity',
  'denied_burst',
];

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'agentwatch-sim-'));
  dirs.push(d);
  return d;
};
const read = (dir: string, f: string): Buffer => readFileSync(join(dir, f));
const lines = (dir: string, f: string): string[] =>
  read(dir, f)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);

let a: string;
let b: string;
let c: string;
let events: CanonicalEvent[];
let labels: Label[];
let registry: Registry;

beforeAll(async () => {
  a = tmp();
  b = tmp();
  c = tmp();
  await simulateFleet({ ...OPTS, outDir: a });
  await simulateFleet({ ...OPTS, outDir: b });
  await simulateFleet({ ...OPTS, seed: 43, outDir: c });
  events = lines(a, 'events.ndjson').map((l) => JSON.parse(l) as CanonicalEvent);
  labels = lines(a, 'labels.ndjson').map((l) => JSON.parse(l) as Label);
  registry = Registry.parse(parseYaml(read(a, 'registry.yaml').toString('utf8')));
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('simulateFleet', () => {
  it('is deterministic: same options give byte-identical files', () => {
    for (const f of ['registry.yaml', 'events.ndjson', 'labels.ndjson', 'summary.json']) expect(read(a, f).equals(read(b, f)), f).toBe(true);
  });

  it('gives a different fleet for a different seed', () => {
    expect(read(a, 'events.ndjson').equals(read(c, 'events.ndjson'))).toBe(false);
    expect(read(a, 'labels.ndjson').equals(read(c, 'labels.ndjson'))).toBe(false);
  });

  it('writes a registry the schema accepts, with the oddities real registries have', () => {
    const raw = parseYaml(read(a, 'registry.yaml').toString('utf8'));
    const parsed = Registry.safeParse(raw);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
    expect(registry.agents).toHaveLength(OPTS.agents);
    expect(new Set(registry.agents.map((x) => x.id)).size).toBe(OPTS.agents);
    expect(registry.agents.filter((x) => x.status === 'retired').length).toBeGreaterThanOrEqual(2);
    expect(registry.agents.some((x) => x.status === 'suspended')).toBe(true);
    expect(registry.agents.some((x) => x.delegation && x.delegation.may_delegate_to.length > 0 && x.delegation.max_depth !== undefined)).toBe(true);
    expect(registry.agents.some((x) => x.high_consequence_tools && x.high_consequence_tools.length > 0)).toBe(true);
    expect(registry.people.some((p) => p.status === 'departed')).toBe(true);
    for (const x of registry.agents) expect(x.id).toMatch(/^spiffe:\/\/corp\.example\/agents\/[a-z0-9-]+$/);
  });

  it('writes only valid canonical events, with unique ids, sorted by time (but for the forged clocks it labels)', () => {
    expect(events.length).toBeGreaterThan(10_000);
    const ids = new Set<string>();
    const forged = new Set(labels.filter((l) => l.technique === 'forged_event_time').flatMap((l) => l.event_ids));
    let last = Number.NEGATIVE_INFINITY;
    let forgedSeen = 0;
    for (const e of events) {
      const r = parseEvent(e);
      expect(r.ok, r.ok ? '' : `${e.event_id}: ${JSON.stringify(r.problems)}`).toBe(true);
      expect(ids.has(e.event_id)).toBe(false);
      ids.add(e.event_id);
      const t = Date.parse(e.time);
      // A forged call claims a time days ahead of where it was written; the rest of its attack is in order.
      if (forged.has(e.event_id) && t > last + 86_400_000) {
        forgedSeen++;
        continue;
      }
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(forgedSeen).toBeGreaterThan(0);
  });

  it('labels every category and technique, and every labelled event exists', () => {
    const ids = new Set(events.map((e) => e.event_id));
    expect(new Set(labels.map((l) => l.category))).toEqual(new Set(CATEGORIES));
    const techniques = new Set(labels.map((l) => l.technique));
    for (const t of TECHNIQUES) expect(techniques.has(t), t).toBe(true);
    const seen = new Set<string>();
    const start = Date.parse('2026-10-05T00:00:00Z');
    for (const l of labels) {
      expect(Object.keys(l).sort()).toEqual(['agent_id', 'attack_id', 'category', 'description', 'end', 'event_ids', 'start', 'technique']);
      expect(l.event_ids.length).toBeGreaterThan(0);
      for (const id of l.event_ids) {
        expect(ids.has(id), `${l.attack_id}: ${id}`).toBe(true);
        expect(seen.has(id), `${id} labelled twice`).toBe(false);
        seen.add(id);
      }
      expect(Date.parse(l.start)).toBeGreaterThanOrEqual(start + 8 * 86_400_000);
      expect(Date.parse(l.end)).toBeGreaterThanOrEqual(Date.parse(l.start));
    }
  });

  it('summarises what it wrote', () => {
    const summary = JSON.parse(read(a, 'summary.json').toString('utf8')) as { events: number; attacks: number; attacks_by_category: Record<string, number> };
    expect(summary.events).toBe(events.length);
    expect(summary.attacks).toBe(labels.length);
    for (const cat of CATEGORIES) expect(summary.attacks_by_category[cat]).toBeGreaterThan(0);
  });

  it('keeps benign traffic inside the registry: unlabelled events break no registry rule', () => {
    const labelled = new Set(labels.flatMap((l) => l.event_ids));
    const agents = new Map(registry.agents.map((x) => [x.id, x]));
    const people = new Map(registry.people.map((p) => [p.id, p.status]));
    const isPerson = (el: string, obo: string | undefined): boolean =>
      people.has(el.replace(/^user:/, '')) || (obo !== undefined && el.replace(/^user:/, '') === obo);
    const tokens = new Map<string, { agent: string; exp: number; revoked: number | null; scopes: string[] }>();
    const problems: string[] = [];
    for (const e of events) {
      const t = Date.parse(e.time);
      if (e.kind === 'token_issued') tokens.set(e.token_id, { agent: e.agent_id, exp: Date.parse(e.expires_at), revoked: null, scopes: e.scopes });
      if (e.kind === 'token_revoked') {
        const tk = tokens.get(e.token_id);
        if (tk && tk.revoked === null) tk.revoked = t;
      }
      if (labelled.has(e.event_id)) continue;
      const bad = (why: string): void => {
        problems.push(`${e.event_id} ${e.kind} ${e.agent_id}: ${why}`);
      };
      const reg = agents.get(e.agent_id);
      if (!reg) {
        bad('unregistered');
        continue;
      }
      if (reg.status !== 'active') bad(`status ${reg.status}`);
      if (people.get(reg.owner) === 'departed') bad('owner departed');
      if (e.on_behalf_of && people.get(e.on_behalf_of) === 'departed') bad('departed principal');
      const s = reg.scope;
      if (e.environment && s.environments && !s.environments.includes(e.environment)) bad(`environment ${e.environment}`);
      if (e.delegation_chain) {
        const chainAgents = e.delegation_chain.filter((el) => !isPerson(el, e.on_behalf_of));
        let maxDepth = Number.POSITIVE_INFINITY;
        for (let i = 0; i < chainAgents.length; i++) {
          const ag = agents.get(chainAgents[i] as string);
          if (!ag) bad(`chain member ${chainAgents[i]} unregistered`);
          if (ag?.delegation?.max_depth !== undefined) maxDepth = Math.min(maxDepth, ag.delegation.max_depth);
          const next = chainAgents[i + 1];
          if (next && !matchesAny(next, ag?.delegation?.may_delegate_to ?? [], 'agent')) bad(`${chainAgents[i]} may not delegate to ${next}`);
        }
        if (chainAgents.length > maxDepth) bad(`chain depth ${chainAgents.length} > ${maxDepth}`);
      }
      if (e.kind === 'token_issued') {
        for (const sc of e.scopes) if (!matchesAny(sc, s.token_scopes, 'scope')) bad(`token scope ${sc}`);
        if (s.max_token_ttl && Date.parse(e.expires_at) - t > durationToMs(s.max_token_ttl)) bad('ttl above max');
        if (e.parent_token_id) {
          const parent = tokens.get(e.parent_token_id);
          if (!parent) bad('unknown parent token');
          else {
            for (const sc of e.scopes) if (!parent.scopes.includes(sc)) bad(`scope ${sc} broader than parent`);
            if (Date.parse(e.expires_at) > parent.exp + 1000) bad('outlives parent');
          }
        }
      }
      if (e.kind === 'tool_call' || e.kind === 'policy_decision') {
        if (e.token_id) {
          const tk = tokens.get(e.token_id);
          if (!tk) bad('unknown token');
          else {
            if (tk.agent !== e.agent_id) bad('token of another agent');
            if (t > tk.exp) bad('token expired');
            if (tk.revoked !== null && t > tk.revoked) bad('token revoked');
          }
        }
      }
      if (e.kind === 'tool_call') {
        if (!matchesAny(e.tool, s.tools, 'tool')) bad(`tool ${e.tool}`);
        if (e.resource && !matchesAny(e.resource, s.resources, 'resource')) bad(`resource ${e.resource}`);
        if (e.action && s.actions && !s.actions.includes(e.action)) bad(`action ${e.action}`);
        const hc =
          matchesAny(e.tool, reg.high_consequence_tools ?? [], 'tool') || (e.action !== undefined && ['transfer', 'delete', 'admin'].includes(e.action));
        if (hc && !e.approval) bad('high-consequence call without approval');
        if (hc && e.context_trust === 'untrusted') bad('high-consequence call from untrusted context');
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it('models a realistic fleet: archetypes, delegation, noise', () => {
    const calls = events.filter((e): e is Extract<CanonicalEvent, { kind: 'tool_call' }> => e.kind === 'tool_call');
    const failure = calls.filter((e) => e.outcome === 'failure').length / calls.length;
    const denied = calls.filter((e) => e.outcome === 'denied').length / calls.length;
    expect(failure).toBeGreaterThan(0.005);
    expect(failure).toBeLessThan(0.03);
    expect(denied).toBeGreaterThan(0.001);
    expect(denied).toBeLessThan(0.02);
    expect(events.some((e) => e.kind === 'token_issued' && e.grant_type === 'urn:ietf:params:oauth:grant-type:token-exchange' && e.parent_token_id)).toBe(true);
    expect(events.some((e) => e.kind === 'token_revoked')).toBe(true);
    expect(events.some((e) => e.kind === 'policy_decision' && e.decision === 'deny')).toBe(true);
    expect(calls.some((e) => e.context_trust === 'untrusted')).toBe(true);
    // Per-agent volume is heavy-tailed: light and heavy agents.
    const perAgent = new Map<string, number>();
    for (const e of events) perAgent.set(e.agent_id, (perAgent.get(e.agent_id) ?? 0) + 1);
    const counts = [...perAgent.values()].sort((x, y) => x - y);
    expect((counts[counts.length - 1] as number) / (counts[Math.floor(counts.length / 4)] as number)).toBeGreaterThan(10);
  });

  it('scales with eventsPerAgentDay', async () => {
    const d = tmp();
    const r = await simulateFleet({ agents: 8, days: 3, seed: 5, outDir: d, eventsPerAgentDay: 50 });
    const r2 = await simulateFleet({ agents: 8, days: 3, seed: 5, outDir: tmp(), eventsPerAgentDay: 400 });
    expect(r2.summary.events).toBeGreaterThan(r.summary.events * 4);
  });

  it('rejects bad options', async () => {
    await expect(simulateFleet({ agents: 0, days: 1, seed: 1, outDir: tmp() })).rejects.toThrow(/agents/);
    await expect(simulateFleet({ agents: 5, days: 1, seed: 1, outDir: tmp(), start: 'yesterday' })).rejects.toThrow(/start/);
  });
});
