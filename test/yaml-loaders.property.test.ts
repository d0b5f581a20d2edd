// Properties of the two YAML readers an operator's files go through (fast-check, seeded and time-boxed): the
// registry loader and the Sigma compiler never throw on any text; what they refuse comes with every problem located
// (a path and a message). Inputs: arbitrary text, the real files (the shipped Sigma rules, a full registry) with
// lines cut, repeated or re-indented, and their parsed form with values replaced by hostile ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistry } from '@agentwatch/detections';
import { compileSigmaDocuments } from '@agentwatch/detections/sigma';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { propertyParams } from './support/properties.ts';
import { ROOT } from './support/up-process.ts';

const SIGMA_DIR = join(ROOT, 'detections/sigma');
const SIGMA_FILES = readdirSync(SIGMA_DIR).filter((f) => f.endsWith('.yml') && !f.endsWith('.tests.yml'));
const SIGMA_RULES = SIGMA_FILES.map((f) => readFileSync(join(SIGMA_DIR, f), 'utf8'));

const REGISTRY = `people:
  - id: alice@corp.example
    status: active
  - id: bob@corp.example
    status: departed
agents:
  - id: spiffe://corp.example/agents/invoice-bot
    name: Invoice bot
    owner: alice@corp.example
    team: finance
    status: active
    purpose: reads invoices
    registered_at: 2026-01-10
    last_reviewed: 2026-06-01T09:00:00Z
    scope:
      tools: ["erp.invoice.*", "mail.send"]
      resources: ["erp://invoices/**"]
      actions: [read, send]
      token_scopes: ["invoices.read"]
      environments: [prod]
      max_token_ttl: 1h
    high_consequence_tools: ["payments.*"]
    delegation:
      may_delegate_to: ["spiffe://corp.example/agents/mailer"]
      max_depth: 2
  - id: spiffe://corp.example/agents/mailer
    name: Mailer
    owner: bob@corp.example
    status: suspended
    purpose: sends mail
    registered_at: 2026-02-01
`;

const hostile = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, '', ' ', '*', '**/[', '[a-', '{a,b', 'x'.repeat(5000), [], {}, [null], { a: [] }, '9999-12-31', '2026-02-30'),
  fc.constantFrom('eq', 'contains', 'endswith|all', 'count() by agent_id > 3', '1 of selection_*', 'all of them', 'not selection and', '|re', '(?<'),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** The text with 1..3 line edits: delete, repeat, re-indent, or replace what follows a colon. */
const lineMutated = (text: string): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.nat(), fc.constantFrom('delete', 'repeat', 'indent', 'outdent', 'value'), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 3 })
    .map((edits) => {
      const lines = text.split('\n');
      for (const [at, op, s] of edits) {
        const i = at % lines.length;
        const line = lines[i] as string;
        if (op === 'delete') lines.splice(i, 1);
        else if (op === 'repeat') lines.splice(i, 0, line);
        else if (op === 'indent') lines[i] = `   ${line}`;
        else if (op === 'outdent') lines[i] = line.trimStart();
        else lines[i] = line.includes(':') ? `${line.slice(0, line.indexOf(':') + 1)} ${s}` : s;
      }
      return lines.join('\n');
    });

/** The parsed document with 1..3 values (chosen by key/index walks) replaced, removed or added, written back as YAML. */
const valueMutated = (text: string): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.constantFrom('set', 'delete', 'add'), hostile), { minLength: 1, maxLength: 3 })
    .map((edits) => {
      const docs = parseAllDocuments(text).map((d) => (d as { toJS(): unknown }).toJS()) as unknown[];
      for (const [steps, op, value] of edits) {
        let cur = docs as unknown as Record<string, unknown>;
        for (let i = 0; i < steps.length; i++) {
          const keys = Object.keys(cur);
          if (keys.length === 0) break;
          const key = keys[(steps[i] as number) % keys.length] as string;
          const next = cur[key];
          if (i === steps.length - 1 || typeof next !== 'object' || next === null) {
            if (op === 'delete') delete cur[key];
            else if (op === 'add') cur[`extra${i}`] = value;
            else cur[key] = value;
            break;
          }
          cur = next as Record<string, unknown>;
        }
      }
      return docs.map((d) => stringify(d)).join('---\n');
    });

const texts = (samples: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom(...samples).chain(lineMutated),
    fc.constantFrom(...samples).chain(valueMutated),
    fc.constantFrom('', '---', '--- !!binary', '&a [*a]', 'a: &x\n  b: *x', '{', 'agents: !!js/function "x"', '? [a]\n: b', 'a: 1\na: 2'),
  );

const located = (p: { message?: unknown }) => typeof p.message === 'string' && p.message.length > 0;

describe('registry YAML loader (property)', () => {
  it('the sample registry loads as it is', () => {
    expect(parseRegistry(REGISTRY, 'registry.yaml').ok).toBe(true);
  });

  it('never throws; a refused file lists located problems', () => {
    fc.assert(
      fc.property(texts([REGISTRY]), (text) => {
        const r = parseRegistry(text, 'registry.yaml');
        if (r.ok) return;
        expect(r.problems.length).toBeGreaterThan(0);
        for (const p of r.problems) {
          expect(located(p), JSON.stringify(p)).toBe(true);
          expect(typeof p.path).toBe('string');
          expect(p.file).toBe('registry.yaml');
        }
      }),
      propertyParams(600, 8),
    );
  });
});

describe('Sigma YAML compiler (property)', () => {
  it('the shipped rules compile on their own (correlations name rules of other files, so they are seeds only)', () => {
    const standalone = SIGMA_RULES.filter((text, i) => compileSigmaDocuments(text, SIGMA_FILES[i] as string).ok);
    expect(standalone.length).toBeGreaterThanOrEqual(SIGMA_RULES.length - 2);
  });

  it('never throws; a refused file lists located problems', () => {
    fc.assert(
      fc.property(texts(SIGMA_RULES), (text) => {
        const r = compileSigmaDocuments(text, 'rule.yml');
        if (r.ok) return;
        expect(r.problems.length).toBeGreaterThan(0);
        for (const p of r.problems) expect(located(p), JSON.stringify(p)).toBe(true);
      }),
      propertyParams(600, 10),
    );
  });
});
