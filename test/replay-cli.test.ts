import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, FIXTURE_REGISTRY, materialise } from '@agentwatch/detections/testing';
import type { Alert } from '@agentwatch/schemas';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'agentwatch.mjs');

function agentwatch(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const dir = tempDir('aw-replay-');
const registry = join(dir, 'registry.yaml');
const events = materialise([
  {
    at: '+9h',
    kind: 'token_issued',
    agent_id: agent('invoice-bot'),
    token_id: 'tok-1',
    issuer: 'idp',
    scopes: ['erp.read'],
    expires_at: '2026-11-02T09:15:00Z',
  },
  { at: '+9h1m', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success', token_id: 'tok-1' },
  { at: '+9h2m', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'hris.employee.export', outcome: 'success', token_id: 'tok-1' },
  { at: '+9h3m', kind: 'tool_call', agent_id: agent('research'), tool: 'docs.read', outcome: 'success', token_id: 'tok-1' },
  { at: '+11h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'erp.invoice.read', outcome: 'success', token_id: 'tok-1' },
  { at: '+12h', kind: 'tool_call', agent_id: agent('legacy-sync'), tool: 'crm.sync', outcome: 'success' },
  { at: '+13h', kind: 'tool_call', agent_id: 'spiffe://corp.example/agents/ghost', tool: 'crm.export', outcome: 'success' },
]);
const lines = events.map((e) => JSON.stringify(e));

beforeAll(() => {
  writeFileSync(registry, FIXTURE_REGISTRY);
  writeFileSync(join(dir, 'events.ndjson'), `${lines.join('\n')}\n`);
  // The same events, with bad lines mixed in.
  const bad = [
    lines[0],
    '{"kind": "tool_call", broken',
    lines[1],
    JSON.stringify({ ...events[2], colour: 'blue' }),
    lines[2],
    '',
    JSON.stringify({ ...events[3], outcome: 7 }),
    ...lines.slice(3),
    '[1,2]',
  ];
  writeFileSync(join(dir, 'with-bad.ndjson'), `${bad.join('\n')}\n`);
  // Split across two files, interleaved in time, the second written out of order within minutes.
  writeFileSync(join(dir, 'part-a.ndjson'), `${[lines[0], lines[2], lines[5]].join('\n')}\n`);
  writeFileSync(join(dir, 'part-b.ndjson'), `${[lines[3], lines[1], lines[4], lines[6]].join('\n')}\n`);
});

const parseAlerts = (text: string): Alert[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);

describe('agentwatch replay', () => {
  it('finds the expected alerts and prints a summary on stderr', () => {
    const r = agentwatch(['replay', '--registry', registry, join(dir, 'events.ndjson')]);
    expect(r.code).toBe(0);
    const rules = parseAlerts(r.stdout).map((a) => a.rule_id);
    expect(rules).toEqual(
      expect.arrayContaining([
        'scope.tool_outside_registry',
        'credential.token_used_by_other_agent',
        'credential.token_used_after_expiry',
        'lifecycle.inactive_agent_active',
        'registry.unregistered_agent',
      ]),
    );
    expect(r.stderr).toMatch(/replay: 7 events read from 1 file\(s\): 7 accepted, 0 rejected; \d+ alerts/);
    expect(r.stderr).toMatch(/scope\.tool_outside_registry\s+1/);
  });

  it('--incidents writes every incident of a replay longer than the grouper holds them (31 days), the early ones too', () => {
    // A stream 45 days long (a call every 6 hours: replay judges a jump of days as an implausible time), with an
    // out-of-scope call on the first day and on the last.
    const long = materialise([
      { at: '+1h', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'hris.employee.export', outcome: 'success' },
      ...Array.from({ length: 45 * 4 }, (_, i) => ({
        at: `+${2 + i * 6}h`,
        kind: 'tool_call' as const,
        agent_id: agent('invoice-bot'),
        tool: 'erp.invoice.read',
        outcome: 'success' as const,
      })),
      { at: '+45d', kind: 'tool_call', agent_id: agent('invoice-bot'), tool: 'hris.employee.export', outcome: 'success' },
    ]);
    const file = join(dir, 'long.ndjson');
    writeFileSync(file, `${long.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const out = join(dir, 'long-incidents.ndjson');
    const r = agentwatch(['replay', '--registry', registry, '--incidents', out, file]);
    expect(r.code, r.stderr).toBe(0);
    const alerts = parseAlerts(r.stdout).filter((a) => a.rule_id === 'scope.tool_outside_registry');
    expect(alerts).toHaveLength(2);
    const incidents = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { alert_ids: string[] });
    for (const a of alerts) expect(incidents.filter((i) => i.alert_ids.includes(a.alert_id))).toHaveLength(1);
  });

  it('is deterministic: byte-identical alerts and stable ids across runs', () => {
    const a = agentwatch(['replay', '--registry', registry, join(dir, 'events.ndjson')]);
    const b = agentwatch(['replay', '--registry', registry, join(dir, 'events.ndjson')]);
    expect(a.stdout.length).toBeGreaterThan(0);
    expect(b.stdout).toBe(a.stdout);
    const ids = parseAlerts(a.stdout).map((x) => x.alert_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reports bad lines with file and line, skips them, keeps them in --rejects, and still finds the same alerts', () => {
    const rejects = join(dir, 'rejects.ndjson');
    const out = join(dir, 'alerts-bad.ndjson');
    const r = agentwatch(['replay', '--registry', registry, '--out', out, '--rejects', rejects, join(dir, 'with-bad.ndjson')]);
    expect(r.code).toBe(0);
    const file = join(dir, 'with-bad.ndjson');
    expect(r.stderr).toContain(`${file}:2: (root): not valid JSON`);
    expect(r.stderr).toContain(`${file}:4: colour: unknown key "colour"`);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7: outcome: `));
    expect(r.stderr).toContain(`${file}:12: (root): `);
    expect(r.stderr).toMatch(/11 events read from 1 file\(s\): 7 accepted, 4 rejected/);
    const kept = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; error: string; raw: string });
    expect(kept.map((k) => k.line)).toEqual([2, 4, 7, 12]);
    expect(kept[0]?.raw).toBe('{"kind": "tool_call", broken');
    const clean = agentwatch(['replay', '--registry', registry, join(dir, 'events.ndjson')]);
    expect(readFileSync(out, 'utf8')).toBe(clean.stdout);
  });

  it('merges several files by event time: same alerts as one sorted file', () => {
    const one = agentwatch(['replay', '--registry', registry, join(dir, 'events.ndjson')]);
    const two = agentwatch(['replay', '--registry', registry, join(dir, 'part-a.ndjson'), join(dir, 'part-b.ndjson')]);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it('exits 1 when an input file or the registry cannot be read, naming it', () => {
    const missing = agentwatch(['replay', '--registry', registry, join(dir, 'nope.ndjson')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.ndjson');
    const badRegistry = join(dir, 'bad-registry.yaml');
    writeFileSync(badRegistry, 'agents:\n  - id: a\n    status: gone\n');
    const bad = agentwatch(['replay', '--registry', badRegistry, join(dir, 'events.ndjson')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad-registry\.yaml: agents\[0\]\.status: /);
    expect(bad.stderr).toMatch(/bad-registry\.yaml: agents\[0\]\.name: /);
    expect(agentwatch(['replay', '--registry', join(dir, 'none.yaml'), join(dir, 'events.ndjson')]).code).toBe(1);
  });

  it('rejects usage errors (missing registry, unknown format) with exit 2', () => {
    expect(agentwatch(['replay', join(dir, 'events.ndjson')]).code).toBe(2);
    expect(agentwatch(['replay', '--registry', registry, '--input-format', 'syslog', join(dir, 'events.ndjson')]).code).toBe(2);
  });

  it('a file read in the wrong source format has every record rejected with the adapter reason, exit 0', () => {
    const r = agentwatch(['replay', '--registry', registry, '--input-format', 'opa', join(dir, 'events.ndjson')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/events\.ndjson:1: opa: /);
    expect(r.stderr).toMatch(/0 accepted/);
  });
});
