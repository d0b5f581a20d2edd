import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../rules/index.ts';
import { formatSigmaProblem, loadSigmaDir, runSigmaTests } from '../src/sigma/index.ts';

const SHIPPED = join(import.meta.dirname, '..', 'sigma');

describe('shipped Sigma rules (detections/sigma)', () => {
  it('all compile, with ids that cannot clash with built-in rules', async () => {
    const loaded = await loadSigmaDir(SHIPPED);
    expect(loaded.problems.map(formatSigmaProblem)).toEqual([]);
    expect(loaded.rules.length).toBeGreaterThanOrEqual(4);
    const builtin = new Set(BUILTIN_RULES.map((r) => r.id));
    for (const r of loaded.rules) {
      expect(r.id).toMatch(/^sigma\.[a-z0-9_]+$/);
      expect(builtin.has(r.id)).toBe(false);
      expect(r.description.length, r.id).toBeGreaterThan(40);
      expect(
        r.tags.some((t) => t.startsWith('mitre-attack:T')),
        r.id,
      ).toBe(true);
      expect(r.falsePositives.length, r.id).toBeGreaterThan(0);
    }
    // Every rule file has a test file beside it.
    const files = readdirSync(SHIPPED).filter((f) => f.endsWith('.yml'));
    for (const f of files.filter((x) => !x.endsWith('.tests.yml'))) expect(files, f).toContain(f.replace(/\.yml$/, '.tests.yml'));
    expect(new Set(loaded.rules.map((r) => r.sigma.type))).toEqual(new Set(['detection', 'event_count', 'value_count', 'temporal_ordered']));
  });

  it('pass their own tests, each rule with a positive and a negative case', async () => {
    const r = await runSigmaTests(SHIPPED);
    expect(r.failed).toEqual([]);
    expect(r.passed).toBeGreaterThanOrEqual(30);
  });
});

describe('loadSigmaDir and runSigmaTests', () => {
  const dirs: string[] = [];
  const dir = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmpdir(), 'sigma-'));
    dirs.push(d);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(d, name, '..'), { recursive: true });
      writeFileSync(join(d, name), text);
    }
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const detection = `title: Shell tool
name: shell
logsource: { product: agentwatch, category: tool_call }
detection:
  sel: { tool|contains: shell }
  condition: sel
`;

  it('resolves correlation references across files and subdirectories', async () => {
    const d = dir({
      'base/shell.yml': detection,
      'corr/many_shells.yml': `title: Many shells
name: many_shells
correlation: { type: event_count, rules: [shell], group-by: [agent_id], timespan: 5m, condition: { gte: 2 } }
`,
      'corr/many_shells.tests.yml': `tests:
  - name: two shells
    events: [{ kind: tool_call, tool: shell }, { kind: tool_call, tool: shell }]
    match: true
  - name: one shell
    events: [{ kind: tool_call, tool: shell }]
    match: false
`,
    });
    const loaded = await loadSigmaDir(d);
    expect(loaded.problems).toEqual([]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['sigma.many_shells']);
    expect(loaded.tests[0]?.tests.map((t) => t.ruleId)).toEqual(['sigma.many_shells', 'sigma.many_shells']);
    expect(await runSigmaTests(d)).toEqual({ passed: 2, failed: [] });
  });

  it('reports failing expectations and missing coverage', async () => {
    const d = dir({
      'shell.yml': detection,
      'shell.tests.yml': `base_time: 2026-01-05T10:00:00Z
defaults: { agent_id: spiffe://corp.example/agents/planner }
tests:
  - name: wrong expectation
    events: [{ at: +1m, kind: tool_call, tool: bash }]
    match: true
  - name: right one
    events:
      - { at: +1m, kind: tool_call, tool: run_shell }
      - { time: 2026-01-05T10:02:00Z, kind: tool_call, tool: run_shell }
    expect: { count: 2, alerts: 1, agent_id: spiffe://corp.example/agents/planner, title: planner called run_shell, event_ids: [e1, e2] }
`,
      'other.yml': detection.replace('name: shell', 'name: other'),
    });
    const r = await runSigmaTests(d);
    expect(r.passed).toBe(1);
    expect(r.failed).toEqual([
      { rule: 'sigma.shell', test: 'shell.tests.yml: wrong expectation', message: 'expected the rule to fire, it stayed quiet' },
      { rule: 'sigma.other', test: 'other.yml: (coverage)', message: expect.stringMatching(/no test cases: add other\.tests\.yml/) },
      { rule: 'sigma.shell', test: 'shell.yml: (coverage)', message: 'no negative case (one where the rule stays quiet)' },
    ]);
  });

  it('validates test files: keys, events, rule names, orphan files', async () => {
    const d = dir({
      'shell.yml': detection,
      'shell.tests.yml': `tests:
  - name: bad event
    events: [{ kind: tool_call, tool: bash, outcome: maybe }]
    match: true
  - name: unknown rule
    rule: nope
    events: [{ kind: tool_call, tool: bash }]
    match: false
  - name: no expectation
    events: [{ kind: tool_call, tool: bash }]
  - name: bad key
    event: []
    match: true
`,
      'orphan.tests.yml': 'tests: []\n',
    });
    const loaded = await loadSigmaDir(d);
    const lines = loaded.problems.map((p) => `${p.file.slice(d.length + 1)}: ${p.path}: ${p.message.replace(/ \(line \d+\)$/, '')}`);
    expect(lines).toEqual([
      expect.stringMatching(/^orphan\.tests\.yml: \(root\): no rule file orphan\.yml beside this test file$/),
      expect.stringMatching(/^shell\.tests\.yml: tests\[0\]\.events\[0\]: event #1 is not a valid canonical event: outcome: /),
      'shell.tests.yml: tests[2]: say what should happen: "match: true|false" or "expect: {count: N}" / "expect: {alerts: N}"',
      'shell.tests.yml: tests[3].event: unknown key "event" (supported: name, rule, events, match, expect, defaults)',
      'shell.tests.yml: tests[3].events: expected a non-empty list of events, got null',
    ]);
    // A test file with problems is not returned, so nothing runs from it.
    expect(loaded.tests).toEqual([]);
  });

  it('names the rule under test when a file holds several alerting rules', async () => {
    const d = dir({
      'two.yml': `${detection}---\n${detection.replace('name: shell', 'name: shell2')}`,
      'two.tests.yml': `tests:
  - name: which one?
    events: [{ kind: tool_call, tool: shell }]
    match: true
  - name: this one
    rule: shell2
    events: [{ kind: tool_call, tool: shell }]
    match: true
`,
    });
    const loaded = await loadSigmaDir(d);
    expect(loaded.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'tests[0]: two.yml holds several rules that raise alerts (sigma.shell, sigma.shell2); name one with "rule:"',
    ]);
    expect(loaded.tests[0]?.tests.map((t) => t.ruleId)).toEqual([undefined, 'sigma.shell2']);
  });

  it('reports rule files that do not compile, with file and path, and keeps the good rules', async () => {
    const d = dir({
      'good.yml': detection,
      'bad.yml': detection.replace('name: shell', 'name: bad').replace('tool|contains', 'tool|base64offset|contains'),
      'empty.yml': '',
    });
    const loaded = await loadSigmaDir(d);
    expect(loaded.rules.map((r) => r.id)).toEqual(['sigma.shell']);
    expect(loaded.problems.map((p) => ({ file: p.file.slice(d.length + 1), path: p.path, line: p.line }))).toEqual([
      { file: 'bad.yml', path: 'detection.sel["tool|base64offset|contains"]', line: 5 },
      { file: 'empty.yml', path: '(root)', line: undefined },
    ]);
  });
});
