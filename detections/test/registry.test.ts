import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { loadRegistryOrThrow, parseRegistry, RegistryValidationError } from '../src/registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';

const problemsOf = (text: string) => {
  const r = parseRegistry(text, 'reg.yaml');
  return r.ok ? [] : r.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
};

const minimal = (extra = '') => `
agents:
  - id: a1
    name: A
    owner: o@x
    status: active
    purpose: p
    registered_at: 2026-01-10
${extra}`;

describe('registry loading', () => {
  it('accepts the registry.md example and compiles it', () => {
    const r = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
    const bot = r.agent('spiffe://corp.example/agents/invoice-bot');
    expect(bot?.tools?.matches('erp.po.approve')).toBe(true);
    expect(bot?.maxTokenTtlMs).toBe(3_600_000);
    expect(bot?.environments?.has('prod')).toBe(true);
    expect(r.agent('spiffe://corp.example/agents/ocr')?.tools).toBeNull();
    expect(r.agent('spiffe://corp.example/agents/ocr')?.mayDelegateTo.size).toBe(0);
    expect(r.isPerson('user:alice@corp.example', undefined)).toBe(true);
    expect(r.isPerson('dave@corp.example', 'dave@corp.example')).toBe(true);
    expect(r.isPerson('spiffe://corp.example/agents/ocr', 'dave@corp.example')).toBe(false);
    expect(r.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reads JSON with the same shape', () => {
    const json = JSON.stringify({ agents: [{ id: 'a1', name: 'A', owner: 'o', status: 'active', purpose: 'p', registered_at: '2026-01-10' }] });
    expect(parseRegistry(json, 'reg.json').ok).toBe(true);
  });

  it('lists every problem with file, path and expectation', () => {
    const text = `
people:
  - { id: p1, status: gone }
agents:
  - id: a1
    name: A
    owner: o@x
    status: retiring
    purpose: p
    registered_at: last week
    scope:
      tools: ["erp.***"]
      actions: [read, fly]
      max_token_ttl: 1 hour
      colour: blue
  - id: a1
    name: B
    owner: o@x
    status: active
    purpose: p
    registered_at: 2026-01-10
    delegation: { max_depth: 0 }
  - name: no id
    owner: o
    status: active
    purpose: p
    registered_at: 2026-01-10
`;
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^reg\.yaml: people\[0\]\.status: .*"active"\|"departed"/),
        expect.stringMatching(/^reg\.yaml: agents\[0\]\.status: .*"active"\|"suspended"\|"retired"/),
        expect.stringMatching(/^reg\.yaml: agents\[0\]\.registered_at: expected a date/),
        expect.stringMatching(/^reg\.yaml: agents\[0\]\.scope\.actions\[1\]: /),
        expect.stringMatching(/^reg\.yaml: agents\[0\]\.scope\.max_token_ttl: expected a duration like 30s, 15m, 1h or 1d/),
        'reg.yaml: agents[0].scope.colour: unknown key "colour"',
        expect.stringMatching(/^reg\.yaml: agents\[1\]\.delegation\.max_depth: /),
        expect.stringMatching(/^reg\.yaml: agents\[2\]\.id: /),
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });

  it('reports semantic problems: duplicate ids, bad globs, impossible dates', () => {
    const text = `
agents:
  - { id: a1, name: A, owner: o, status: active, purpose: p, registered_at: 2026-01-10, scope: { tools: ["x.***"] } }
  - { id: a1, name: B, owner: o, status: active, purpose: p, registered_at: 2026-01-10 }
`;
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        'reg.yaml: agents[1].id: duplicate agent id "a1" (first at agents[0])',
        expect.stringMatching(/^reg\.yaml: agents\[0\]\.scope\.tools\[0\]: expected a glob pattern: "x\.\*\*\*"/),
      ]),
    );
  });

  it('rejects dates that do not exist', () => {
    expect(problemsOf(minimal().replace('2026-01-10', '2026-02-30'))[0]).toMatch(/^reg\.yaml: agents\[0\]\.registered_at: expected a date/);
  });

  it('rejects unknown top-level keys and non-YAML', () => {
    expect(problemsOf(`${minimal()}\nteams: []\n`)).toEqual(['reg.yaml: teams: unknown key "teams"']);
    expect(problemsOf('agents: [\n  - {')[0]).toMatch(/^reg\.yaml: line \d+: not valid YAML\/JSON/);
    expect(problemsOf('')[0]).toMatch(/^reg\.yaml: \(root\): /);
    expect(problemsOf('agents:\n  - id: a\n    id: b\n')[0]).toMatch(/not valid YAML/);
  });

  it('loadRegistryOrThrow throws a RegistryValidationError carrying the problems', () => {
    try {
      loadRegistryOrThrow('agents: 3', 'r.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RegistryValidationError);
      expect((e as RegistryValidationError).problems[0]).toMatchObject({ file: 'r.yaml', path: 'agents' });
    }
  });

  it('answers scope questions for a large registry by id look-up', () => {
    const dir = tempDir('aw-reg-');
    const agents = Array.from({ length: 5000 }, (_, i) => ({
      id: `agent-${i}`,
      name: `A${i}`,
      owner: 'o',
      status: 'active',
      purpose: 'p',
      registered_at: '2026-01-10',
      scope: { tools: [`svc${i}.*`, `common.read`] },
    }));
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ agents }));
    const r = loadRegistryOrThrow(JSON.stringify({ agents }), 'big.json');
    expect(r.agentCount).toBe(5000);
    expect(r.agent('agent-4321')?.tools?.matches('svc4321.run')).toBe(true);
    expect(r.agent('agent-4321')?.tools?.matches('svc4320.run')).toBe(false);
  });
});
