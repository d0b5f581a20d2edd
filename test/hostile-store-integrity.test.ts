import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpExport, otlpSpan, TRACE_ID, toolAttrs } from '../services/adapters/test/otlp-fixtures.ts';
import { tempDir } from './support/temp-dir.ts';
import { killAll, ROOT, spawnLocalUp, type UpProcess } from './support/up-process.ts';

/**
 * Hostile input against `agentwatch up` (HTTP, embedded ClickHouse): what validation accepts, the store accepts.
 * Invalid Unicode and over-long fields are refused per line with the field named while the valid lines of the same
 * body are stored; a 400-day backfill and far time claims are stored; a repeated event_id is a duplicate (same
 * content) or a refused conflict (other content), and the engine counts neither. At the end the store is opened:
 * exactly the valid events are there, and the conflicts are kept in rejected_records.
 */
const TOKEN = 'aw_test_bootstrap_token_store_integrity_0123';
const auth = { authorization: `Bearer ${TOKEN}` };
const GHOST = 'spiffe://corp.example/agents/ghost-integrity';
const dir = tempDir('aw-integrity-');
let up: UpProcess;
let base = '';
const expectedIds = new Set<string>();

type Answer = { status: number; body: { accepted?: number; duplicates?: number; rejected?: Array<{ line: number; error: string }> } };

async function post(lines: readonly string[]): Promise<Answer> {
  const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** Yesterday 09:00 UTC: recent, so the engine believes these times (events.md 1.1) and counts them. */
const BASE_MS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000 + 9 * 3_600_000;
const at = (minutes: number): string => new Date(BASE_MS + minutes * 60_000).toISOString();

const call = (id: string, time: string, extra: Record<string, unknown> = {}) => ({
  kind: 'tool_call',
  event_id: id,
  time,
  agent_id: GHOST,
  tool: 'crm.export',
  outcome: 'success',
  ...extra,
});

/** A line whose `field` holds a lone surrogate, written as the JSON escape a client would send. */
const poisonLine = (id: string, field: string): string => {
  const e: Record<string, unknown> = call(id, at(30));
  const mark = 'POISON_MARK';
  if (field === 'attributes.key') e['attributes'] = { [mark]: 'v' };
  else if (field === 'attributes.value') e['attributes'] = { k: mark };
  else if (field === 'delegation_chain') e['delegation_chain'] = [mark, GHOST];
  else e[field] = mark;
  return JSON.stringify(e).replace(mark, 'x\\ud800y');
};

beforeAll(async () => {
  await simulateFleet({ agents: 2, days: 1, seed: 5, outDir: dir });
  up = spawnLocalUp(dir, TOKEN);
  base = await up.base;
}, 120_000);

afterAll(async () => {
  await killAll(up ? [up] : []);
});

const ghostAlert = async (): Promise<Alert | undefined> => {
  const res = await fetch(`${base}/v1/alerts?rule_id=registry.unregistered_agent&agent_id=${encodeURIComponent(GHOST)}`, { headers: auth });
  return ((await res.json()) as { alerts: Alert[] }).alerts[0];
};

describe('agentwatch up: what validation accepts, the store accepts', () => {
  it('invalid Unicode in any field, or an over-long field, is refused per line naming the field; the valid lines of the body are stored', async () => {
    const valid = Array.from({ length: 20 }, (_, i) => call(`v-${i}`, at(i)));
    const fields = [
      'event_id',
      'agent_id',
      'tool',
      'resource',
      'session_id',
      'on_behalf_of',
      'source',
      'attributes.key',
      'attributes.value',
      'delegation_chain',
    ];
    const lines = [
      ...valid.slice(0, 10).map((e) => JSON.stringify(e)),
      ...fields.map((f, i) => poisonLine(`p-${i}`, f)),
      ...valid.slice(10).map((e) => JSON.stringify(e)),
    ];
    lines.push(JSON.stringify(call('long-1', '2026-11-02T09:40:00.000Z', { resource: 'r'.repeat(3000) })));
    const r = await post(lines);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(20);
    const rejected = r.body.rejected ?? [];
    expect(rejected.map((x) => x.line)).toEqual([...fields.map((_, i) => 11 + i), lines.length]);
    fields.forEach((f, i) => {
      expect(rejected[i]?.error, f).toContain(f.split('.')[0] as string);
      expect(rejected[i]?.error, f).toMatch(/Unicode/);
    });
    expect(rejected[fields.length]?.error).toMatch(/^resource: /);
    for (const e of valid) expectedIds.add(e.event_id);
    expect((await ghostAlert())?.count).toBe(20);
  });

  it('a repeated event_id: the same content is answered as a duplicate, other content is refused as a conflict; the engine counts neither', async () => {
    const same = Array.from({ length: 5 }, (_, i) => call(`v-${i}`, at(i)));
    const r = await post(same.map((e) => JSON.stringify(e)));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 0, duplicates: 5, rejected: [] });
    // Other content under a stored id (another agent, another day): refused, with one new event beside it.
    const conflict = call('v-0', at(600), { agent_id: `${GHOST}-impostor` });
    const r2 = await post([JSON.stringify(conflict), JSON.stringify(call('new-1', at(50)))]);
    expect(r2.status).toBe(202);
    expect(r2.body.accepted).toBe(1);
    expect(r2.body.rejected).toEqual([{ line: 1, error: expect.stringMatching(/conflicting duplicate: event_id "v-0"/) }]);
    expectedIds.add('new-1');
    // Only conflicts: nothing accepted, a 400 that names them.
    const r3 = await post([JSON.stringify({ ...conflict, event_id: 'v-1' })]);
    expect(r3.status).toBe(400);
    expect(r3.body.rejected?.[0]?.error).toMatch(/conflicting duplicate/);
    // The engine counted the 20 + 1 stored events of the agent, not the duplicates; no alert for the impostor.
    expect((await ghostAlert())?.count).toBe(21);
    const impostor = await fetch(`${base}/v1/alerts?agent_id=${encodeURIComponent(`${GHOST}-impostor`)}`, { headers: auth });
    expect(((await impostor.json()) as { alerts: Alert[] }).alerts).toEqual([]);
  });

  it('POST /v1/traces: a span with invalid text is a partial success (rejected with its reason), not a retryable 503; the others are stored', async () => {
    const spanIds = ['00000000000000a1', '00000000000000a2', '00000000000000a3'];
    const tools = ['crm.read', 'crm.MARK', 'crm.write'];
    const body = JSON.stringify(
      otlpExport(spanIds.map((id, i) => otlpSpan(toolAttrs(tools[i] as string, { 'gen_ai.agent.id': `${GHOST}-traces` }), { spanId: id }))),
    ).replaceAll('crm.MARK', 'crm.\\ud800');
    const res = await fetch(`${base}/v1/traces`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(/Unicode/);
    expectedIds.add(`otel:${TRACE_ID}:${spanIds[0]}`);
    expectedIds.add(`otel:${TRACE_ID}:${spanIds[2]}`);
  });

  // Far claims are stored whole; they move no clock (events.md 1.1: test/up-hostile-times.test.ts).
  it('a backfill over 400 days and event times far ahead and far behind are stored whole', async () => {
    const start = Date.UTC(2024, 0, 1, 12);
    const backfill = Array.from({ length: 400 }, (_, i) => call(`bf-${i}`, new Date(start + i * 86_400_000).toISOString(), { agent_id: `${GHOST}-backfill` }));
    const r = await post(backfill.map((e) => JSON.stringify(e)));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 400, rejected: [] });
    const claims = ['9999-12-31T23:59:59.999Z', '0001-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z'].map((t, i) =>
      call(`claim-${i}`, t, { agent_id: `${GHOST}-claims` }),
    );
    const r2 = await post(claims.map((e) => JSON.stringify(e)));
    expect(r2.status).toBe(202);
    expect(r2.body).toMatchObject({ accepted: 3, rejected: [] });
    for (const e of [...backfill, ...claims]) expectedIds.add(e.event_id);
  });

  it('after a clean stop the store holds exactly the valid events, and the conflicts are kept with their reason', async () => {
    up.proc.kill('SIGTERM');
    const { code } = await up.exited;
    expect(code).toBe(0);
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'store-contents.ts'), join(dir, 'data', 'clickhouse')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const contents = JSON.parse(out.trim().split('\n').pop() as string) as { ids: string[]; rejected: Array<{ source: string; reason: string }> };
    expect(new Set(contents.ids)).toEqual(expectedIds);
    expect(contents.rejected.filter((r) => /conflicting duplicate/.test(r.reason))).toHaveLength(2);
    expect(contents.rejected.filter((r) => r.source === 'otlp_http' && /Unicode/.test(r.reason))).toHaveLength(1);
  }, 60_000);
});
