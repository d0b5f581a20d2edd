import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentwatchConfig, Alert, durationToMs, formatDuration, jsonSchemas, parseEvent, parseEventJson, problemsToString } from '../src/index.ts';

const base = { event_id: 'e-1', time: '2026-11-02T09:00:00.000Z', agent_id: 'spiffe://corp.example/agents/invoice-bot' };
const call = { kind: 'tool_call', ...base, tool: 'erp.invoice.read', outcome: 'success' };

const problems = (v: unknown) => {
  const r = parseEvent(v);
  return r.ok ? '' : problemsToString(r.problems);
};

describe('canonical events', () => {
  it('accepts the examples of events.md', () => {
    const spec = readFileSync(join(import.meta.dirname, '../../../shared/spec/events.md'), 'utf8');
    const lines = spec.split('```json')[1]?.split('```')[0]?.trim().split('\n') ?? [];
    expect(lines.length).toBe(2);
    for (const l of lines) expect(parseEventJson(l)).toMatchObject({ ok: true });
  });

  it('rejects an unknown top-level key, naming it', () => {
    expect(problems({ ...call, colour: 'red' })).toBe('colour: unknown key "colour"');
  });

  it('names the field and the expectation for wrong types and values', () => {
    expect(problems({ ...call, bytes_out: -1 })).toMatch(/^bytes_out: .*>=0/);
    expect(problems({ ...call, outcome: 'ok' })).toMatch(/^outcome: .*"success"\|"failure"\|"denied"/);
    expect(problems({ ...call, time: '2026-11-02 09:00' })).toMatch(/^time: expected an RFC 3339 timestamp with zone/);
    expect(problems({ ...call, time: '2026-11-02T09:00:00' })).toMatch(/^time: /);
    expect(problems({ ...call, source_ip: '999.1.1.1' })).toMatch(/^source_ip: expected an IPv4 or IPv6 address/);
    expect(problems({ ...call, attributes: { n: 1 } })).toMatch(/^attributes\.n: .*expected string/);
    expect(problems({ ...call, approval: { by: 'x', extra: 1 } })).toBe('approval.extra: unknown key "extra"');
    expect(problems({ ...call, kind: 'tool_use' })).toMatch(/^kind: /);
    expect(problems({ ...call, tool: undefined })).toMatch(/^tool: /);
    expect(problems('text')).toMatch(/^\(root\): .*expected object/);
  });

  it('enforces the cross-field rules', () => {
    expect(problems({ ...call, delegation_chain: ['user:a', 'spiffe://x/other'] })).toMatch(/^delegation_chain\[1\]: expected the last element to be agent_id/);
    expect(problems({ kind: 'token_issued', ...base, token_id: 't', issuer: 'i', scopes: [], expires_at: '2026-11-02T08:00:00Z' })).toMatch(/^expires_at: /);
  });

  it('accepts offsets and IPv6, keeps ms precision as written', () => {
    const r = parseEvent({ ...call, time: '2026-11-02T10:00:00.123+01:00', source_ip: '2001:db8::1' });
    expect(r.ok && r.value.time).toBe('2026-11-02T10:00:00.123+01:00');
  });

  it('reports malformed JSON and oversized lines', () => {
    expect(parseEventJson('{"kind":')).toMatchObject({ ok: false, problems: [{ path: '(root)', message: expect.stringMatching(/^not valid JSON/) }] });
    expect(parseEventJson(`"${'x'.repeat(1_100_000)}"`)).toMatchObject({ ok: false, problems: [{ message: expect.stringMatching(/larger than/) }] });
  });
});

describe('durations', () => {
  it('parse and format', () => {
    expect(durationToMs('30s')).toBe(30_000);
    expect(durationToMs('15m')).toBe(900_000);
    expect(durationToMs('1h')).toBe(3_600_000);
    expect(durationToMs('1d')).toBe(86_400_000);
    expect(() => durationToMs('1 hour')).toThrow(/not a duration/);
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(6_821_000)).toBe('1h53m');
    expect(formatDuration(30_000)).toBe('30s');
  });
});

describe('alerts and config', () => {
  it('config defaults are complete and strict', () => {
    const c = AgentwatchConfig.parse({});
    expect(c.events_topic).toBe('agentwatch.events');
    expect(c.listen).toBe('127.0.0.1:7070');
    expect(c.detection.review_interval).toBe('90d');
    expect(AgentwatchConfig.safeParse({ lisen: 'x' }).success).toBe(false);
  });
  it('alert schema requires event_ids evidence', () => {
    expect(Alert.safeParse({}).success).toBe(false);
  });
});

describe('JSON Schema files', () => {
  it('are up to date with the zod schemas (run `npm run schemas:gen`)', () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'json', `${name}.schema.json`), 'utf8'));
      expect(file, name).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
  it('forbid unknown keys in events', () => {
    expect(JSON.stringify(jsonSchemas()['event'])).toContain('"additionalProperties":false');
  });
});
