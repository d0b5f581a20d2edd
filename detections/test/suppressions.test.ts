import type { Alert, SuppressionMatch } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../src/engine/engine.ts';
import { BUILTIN_RULES } from '../src/index.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { alertResource, alertTool } from '../src/suppressions/alert-subject.ts';
import { parseSuppressionFile, SuppressionFileError } from '../src/suppressions/suppression-file.ts';
import { SuppressionHits } from '../src/suppressions/suppression-hits.ts';
import { compileSuppression, SuppressionGlobError, SuppressionSet, suppressionMatches } from '../src/suppressions/suppression-set.ts';
import { builtinRuleFolders, loadFixtures } from '../src/testing/builtin-fixtures.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';
import { materialise, runFixture } from '../src/testing/fixtures.ts';

const AGENT = 'spiffe://corp.example/agents/invoice-bot';
const EXPIRES = '2026-11-02T12:00:00.000Z';

/** An alert about a tool and a resource, as scope.tool_outside_registry raises it. */
const alert = (extra: Partial<Alert> = {}): Alert => ({
  alert_id: 'a1',
  rule_id: 'scope.tool_outside_registry',
  rule_version: '1',
  category: 'scope_drift',
  severity: 'high',
  risk_score: 70,
  agent_id: AGENT,
  owner: 'alice@corp.example',
  title: 't',
  summary: 's',
  first_seen: '2026-11-02T09:00:00.000Z',
  last_seen: '2026-11-02T09:00:00.000Z',
  count: 1,
  evidence: { event_ids: ['e1'], tool: 'erp.invoice.delete', resource: 'erp://invoices/2026/17' },
  tags: [],
  status: 'new',
  ...extra,
});

/** Every field given, each matching {@link alert}. */
const FULL: SuppressionMatch = {
  rule_id: 'scope.tool_outside_registry',
  agent_id: 'spiffe://corp.example/agents/invoice-*',
  tool: 'erp.invoice.*',
  resource: 'erp://invoices/**',
  category: 'scope_drift',
};
const sup = (match: SuppressionMatch, expires_at = EXPIRES) => compileSuppression({ id: 's1', match, expires_at });

describe('suppression matching: never hides an alert outside its match', () => {
  it('matches an alert that matches every field given, before the expiry', () => {
    expect(suppressionMatches(sup(FULL), alert())).toBe(true);
  });

  const nearMisses: Array<[string, SuppressionMatch | null, Partial<Alert>]> = [
    ['rule_id differs', { ...FULL, rule_id: 'scope.tool_outside_registrx' }, {}],
    ['agent glob misses by one character', { ...FULL, agent_id: 'spiffe://corp.example/agents/invoice-bots' }, {}],
    ['agent glob: * does not cross a /', { ...FULL, agent_id: 'spiffe://corp.example/*' }, {}],
    ['tool glob misses', { ...FULL, tool: 'erp.invoice.read' }, {}],
    ['tool glob: * does not cross a .', { ...FULL, tool: 'erp.*' }, {}],
    ['resource glob misses', { ...FULL, resource: 'erp://invoices/2025/**' }, {}],
    ['category differs', { ...FULL, category: 'runtime' }, {}],
    ['alert at the expiry (event time)', null, { last_seen: EXPIRES }],
    ['alert after the expiry (event time)', null, { last_seen: '2026-11-02T12:00:00.001Z' }],
    ['alert that straddles the expiry (judged by last_seen)', null, { first_seen: '2026-11-02T11:00:00.000Z', last_seen: '2026-11-02T13:00:00.000Z' }],
    ['alert without a tool, tool suppression', { tool: '**' }, { evidence: { event_ids: ['e1'], resource: 'erp://invoices/1' } }],
    ['alert without a resource, resource suppression', { resource: '**' }, { evidence: { event_ids: ['e1'], tool: 'erp.invoice.delete', resource: null } }],
  ];
  for (const [name, match, alertChange] of nearMisses) {
    it(`does not match: ${name}`, () => {
      const s = sup(match ?? FULL);
      const a = alert(alertChange);
      expect(suppressionMatches(s, a)).toBe(false);
      expect(new SuppressionSet([{ id: 's1', match: match ?? FULL, expires_at: EXPIRES }]).apply(a)).toMatchObject({ status: 'new' });
      expect(a.suppression_id).toBeUndefined();
    });
  }

  it('an alert just before the expiry matches', () => {
    expect(suppressionMatches(sup(FULL), alert({ last_seen: '2026-11-02T11:59:59.999Z' }))).toBe(true);
  });

  it('each field alone matches only on its own field', () => {
    expect(suppressionMatches(sup({ tool: 'erp.**' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ resource: 'erp://invoices/*/17' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ agent_id: '**/invoice-bot' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ category: 'scope_drift' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ rule_id: 'scope.tool_outside_registry' }), alert())).toBe(true);
  });

  it('a bad glob is refused naming its field', () => {
    expect(() => sup({ tool: 'erp.***' })).toThrow(SuppressionGlobError);
    expect(() => sup({ tool: 'erp.***' })).toThrow(/^match\.tool: /);
  });

  it('the first matching suppression in order is named; apply clears a verdict that no longer holds', () => {
    const set = new SuppressionSet([
      { id: 'narrow', match: { tool: 'web.*' }, expires_at: EXPIRES },
      { id: 'wide', match: { agent_id: '**' }, expires_at: EXPIRES },
      { id: 'also', match: { category: 'scope_drift' }, expires_at: EXPIRES },
    ]);
    const a = set.apply(alert());
    expect(a).toMatchObject({ status: 'suppressed', suppression_id: 'wide' });
    set.replace([]);
    expect(set.apply(a)).toMatchObject({ status: 'new' });
    expect(a.suppression_id).toBeUndefined();
  });
});

describe('what an alert is about (alert-subject.ts), against every built-in rule fixture', () => {
  it('the documented rules, and only they, carry a tool / a resource', async () => {
    const withTool = new Set<string>();
    const withResource = new Set<string>();
    for (const folder of builtinRuleFolders()) {
      const rule = BUILTIN_RULES.find((r) => r.id === folder.id);
      if (!rule) continue;
      for (const fixture of await loadFixtures(folder)) {
        for (const a of runFixture(rule, fixture, BUILTIN_RULES).alerts) {
          if (alertTool(a) !== undefined) withTool.add(a.rule_id);
          if (alertResource(a) !== undefined) withResource.add(a.rule_id);
        }
      }
    }
    // Keep alert-subject.ts's doc comment in step with these lists.
    expect([...withTool].sort()).toEqual([
      'behavior.first_seen_tool',
      'runtime.high_consequence_without_approval',
      'runtime.untrusted_context_high_consequence',
      'scope.action_outside_registry',
      'scope.resource_outside_registry',
      'scope.tool_outside_registry',
    ]);
    // Always a resource: these two; when the call named one: the three rules after them (fixtures cover some).
    const always = ['behavior.first_seen_resource', 'scope.resource_outside_registry'];
    const whenNamed = ['runtime.high_consequence_without_approval', 'scope.action_outside_registry', 'scope.tool_outside_registry'];
    for (const id of always) expect(withResource).toContain(id);
    for (const id of withResource) expect([...always, ...whenNamed]).toContain(id);
  });
});

describe('the engine applies suppressions to every emission', () => {
  const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
  /** Two tool calls outside the invoice bot's scope (one alert per tool), the second 10 minutes later. */
  const events = materialise([
    { at: '+1m', kind: 'tool_call', agent_id: AGENT, tool: 'erp.vendor.delete', outcome: 'success', event_id: 'x1' },
    { at: '+2m', kind: 'tool_call', agent_id: AGENT, tool: 'hr.salary.read', outcome: 'success', event_id: 'x2' },
    { at: '+3m', kind: 'tool_call', agent_id: AGENT, tool: 'erp.vendor.delete', outcome: 'success', event_id: 'x3' },
  ]);
  const only = BUILTIN_RULES.filter((r) => r.id === 'scope.tool_outside_registry');

  it('new emissions, re-emissions (takeChanged) and closed alerts carry the verdict in force at emission', () => {
    const set = new SuppressionSet();
    const engine = new DetectionEngine({ registry, rules: only, suppressions: set });
    engine.process(events[0] as never);
    const first = engine.takeChanged();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 'new' });
    // Created after the first emission: the next emission of the same alert is suppressed; the other tool is not.
    set.replace([{ id: 'vendor', match: { tool: 'erp.vendor.*' }, expires_at: '2027-01-01T00:00:00Z' }]);
    engine.process(events[1] as never);
    engine.process(events[2] as never);
    const changed = engine.takeChanged();
    const byTool = new Map(changed.map((a) => [a.evidence['tool'], a]));
    expect(byTool.get('erp.vendor.delete')).toMatchObject({ status: 'suppressed', suppression_id: 'vendor', count: 2 });
    expect(byTool.get('hr.salary.read')).toMatchObject({ status: 'new' });
    expect(byTool.get('hr.salary.read')?.suppression_id).toBeUndefined();
    // Deleted before the window closes: the closing emission is visible again.
    set.replace([]);
    const closed = engine.flush();
    expect(closed.map((a) => a.status)).toEqual(['new', 'new']);
    // Snapshots keep open alerts unjudged (suppressions are not engine state).
    expect(JSON.stringify(engine.snapshot())).not.toContain('suppress');
  });

  it('without suppressions, alerts are as before (status new, no suppression_id)', () => {
    const engine = new DetectionEngine({ registry, rules: only });
    for (const e of events) engine.process(e);
    expect(engine.flush().every((a) => a.status === 'new' && a.suppression_id === undefined)).toBe(true);
  });

  it('hits: one per alert id, however often it is emitted; last hit is the latest last_seen', () => {
    const hits = new SuppressionHits();
    const a = alert({ status: 'suppressed', suppression_id: 's1' });
    hits.record([a, { ...a, count: 2, last_seen: '2026-11-02T09:05:00.000Z' }, alert({ alert_id: 'a2', status: 'suppressed', suppression_id: 's1' })]);
    hits.record([alert({ alert_id: 'a3' })]);
    expect(hits.get('s1')).toEqual({ hits: 2, lastHitMs: Date.parse('2026-11-02T09:05:00.000Z') });
    expect(hits.get('other')).toEqual({ hits: 0, lastHitMs: null });
  });
});

describe('replay --suppressions files', () => {
  it('reads a YAML list, or GET /v1/suppressions JSON, deriving stable ids when none is given', () => {
    const yaml = `- match: { tool: "erp.*" }\n  reason: nightly sync\n  expires_at: 2026-12-01T00:00:00Z\n- id: mine\n  match: { category: runtime }\n  reason: lab\n  expires_at: 2026-12-01T00:00:00Z\n`;
    const a = parseSuppressionFile(yaml, 'f.yaml');
    expect(a.map((s) => s.id)).toEqual([expect.stringMatching(/^file-[0-9a-f]{16}$/), 'mine']);
    expect(parseSuppressionFile(yaml, 'again.yaml')[0]?.id).toBe(a[0]?.id);
    const api = JSON.stringify({
      suppressions: [
        {
          id: 'x',
          match: { rule_id: 'r' },
          reason: 'y',
          author: 'bootstrap',
          created_at: '2026-11-01T00:00:00Z',
          expires_at: '2026-12-01T00:00:00Z',
          hits: 3,
          last_hit: null,
          expired: false,
        },
        { id: 'gone', match: { rule_id: 'r' }, reason: 'y', expires_at: '2026-12-01T00:00:00Z', deleted_at: '2026-11-02T00:00:00Z' },
      ],
    });
    expect(parseSuppressionFile(api, 'api.json').map((s) => s.id)).toEqual(['x']);
  });

  it('reports every bad entry naming the entry and the field', () => {
    const bad = JSON.stringify([
      { id: 'ok', match: { tool: 'a.b' }, reason: 'fine', expires_at: '2026-12-01T00:00:00Z' },
      { id: 'nomatch', match: {}, reason: 'r', expires_at: '2026-12-01T00:00:00Z' },
      { id: 'typo', match: { tool: 'a', agent: 'b' }, reason: 'r', expires_at: '2026-12-01T00:00:00Z' },
      { match: { tool: 'a' }, reason: '  ', expires_at: '2026-12-01T00:00:00Z' },
      { match: { tool: 'a' }, reason: 'r' },
      { id: 'glob', match: { resource: 'x/***' }, reason: 'r', expires_at: '2026-12-01T00:00:00Z' },
      { id: 'ok', match: { tool: 'c' }, reason: 'r', expires_at: '2026-12-01T00:00:00Z' },
    ]);
    let err: SuppressionFileError | undefined;
    try {
      parseSuppressionFile(bad, 's.json');
    } catch (e) {
      err = e as SuppressionFileError;
    }
    expect(err).toBeInstanceOf(SuppressionFileError);
    const paths = err?.problems.map((p) => p.path);
    expect(paths).toEqual([
      '[1] (id nomatch).match',
      '[2] (id typo).match.agent',
      '[3].reason',
      '[4].expires_at',
      '[5] (id glob).match.resource',
      '[6] (id ok).id',
    ]);
    expect(err?.message).toContain('at least one of rule_id');
    expect(() => parseSuppressionFile('{"not": "a list"}', 'x.json')).toThrow(/expected a list of suppressions/);
    expect(() => parseSuppressionFile('- [unclosed', 'x.yaml')).toThrow(/not valid YAML or JSON/);
  });
});
