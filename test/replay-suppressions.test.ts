import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertOf, NEAR_MISS_MATCH, NEAR_MISS_REGISTRY, nearMisses } from './support/suppression-near-misses.ts';
import { tempDir } from './support/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'agentwatch.mjs');
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

const EXPIRES = '2026-11-02T12:00:00.000Z';
const dir = tempDir('aw-replay-supp-');
const cases = nearMisses(Date.parse('2026-11-02T10:00:00.000Z'), Date.parse(EXPIRES));

describe('agentwatch replay --suppressions FILE (cli.md 1.1)', () => {
  it('suppresses the matching alerts and never one outside the match (a near-miss of every field)', () => {
    writeFileSync(join(dir, 'registry.yaml'), NEAR_MISS_REGISTRY);
    writeFileSync(join(dir, 'events.ndjson'), `${cases.map((c) => JSON.stringify(c.event)).join('\n')}\n`);
    writeFileSync(
      join(dir, 'suppressions.yaml'),
      stringify([{ id: 'vendor-cleanup', match: NEAR_MISS_MATCH, reason: 'vendor clean-up, ticket OPS-7', expires_at: EXPIRES }]),
    );
    const out = join(dir, 'alerts.ndjson');
    const r = run([
      'replay',
      '--registry',
      join(dir, 'registry.yaml'),
      '--suppressions',
      join(dir, 'suppressions.yaml'),
      '--out',
      out,
      join(dir, 'events.ndjson'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const alerts = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    for (const c of cases) {
      const a = alertOf(alerts, c);
      expect(a, c.what).toBeDefined();
      if (c.suppressed) expect(a, c.what).toMatchObject({ status: 'suppressed', suppression_id: 'vendor-cleanup' });
      else {
        expect(a?.status, c.what).toBe('new');
        expect(a, c.what).not.toHaveProperty('suppression_id');
      }
    }
    // Nothing else was hidden; the summary names the hits (2 alerts, the last just before the expiry).
    expect(alerts.filter((a) => a.status === 'suppressed')).toHaveLength(cases.filter((c) => c.suppressed).length);
    expect(r.stderr).toContain('suppression vendor-cleanup: 2 alert(s) suppressed, last at 2026-11-02T11:59:59.999Z');

    // Without the file: the same alerts, none suppressed.
    const plain = run(['replay', '--registry', join(dir, 'registry.yaml'), join(dir, 'events.ndjson')]);
    expect(plain.status).toBe(0);
    const unsuppressed = plain.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    expect(unsuppressed.map((a) => a.alert_id).sort()).toEqual(alerts.map((a) => a.alert_id).sort());
    expect(unsuppressed.every((a) => a.status === 'new')).toBe(true);
  });

  it('an invalid file stops replay (exit 1) with every problem, naming the entry and the field', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'wide', match: {}, reason: 'r', expires_at: EXPIRES },
        { id: 'typo', match: { tools: 'erp.*' }, reason: 'r', expires_at: EXPIRES },
        { match: { tool: 'erp.*' }, reason: '', expires_at: 'soon' },
      ]),
    );
    const r = run(['replay', '--registry', join(dir, 'registry.yaml'), '--suppressions', file, join(dir, 'events.ndjson')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[0] (id wide).match: at least one of rule_id');
    expect(r.stderr).toContain('[1] (id typo).match.tools: unknown key "tools"');
    expect(r.stderr).toContain('[2].reason: required');
    expect(r.stderr).toContain('[2].expires_at: expected an RFC 3339 timestamp');
    const missing = run(['replay', '--registry', join(dir, 'registry.yaml'), '--suppressions', join(dir, 'nope.yaml'), join(dir, 'events.ndjson')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot read suppressions');
  });
});
