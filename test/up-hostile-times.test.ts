import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.ts';
import { killAll, postEvents, spawnLocalUp, type UpProcess, waitFor } from './support/up-process.ts';

/**
 * The finding, live: over HTTP, one event dated 9999-12-31 from any agent switched off credential detection
 * for everyone (a token issued before it and used by another agent, or used after its expiry, raised no alert).
 * Now its time is judged against its arrival (events.md 1.1): reported as telemetry_integrity, no clock moves.
 */
const TOKEN = 'aw_test_hostile_times_0123456789abcdef';
const auth = { Authorization: `Bearer ${TOKEN}` };
const dir = tempDir('aw-up-times-');
const INVOICE = 'spiffe://corp.example/agents/invoice-bot';
const PAYMENTS = 'spiffe://corp.example/agents/payments-bot';
writeFileSync(
  join(dir, 'registry.yaml'),
  `agents:
  - { id: ${INVOICE}, name: Invoice bot, owner: alice@corp.example, status: active, purpose: invoices, registered_at: 2026-01-01, last_reviewed: ${new Date().toISOString().slice(0, 10)}, scope: { tools: [erp.invoice.read], max_token_ttl: 1h } }
  - { id: ${PAYMENTS}, name: Payments bot, owner: alice@corp.example, status: active, purpose: payments, registered_at: 2026-01-01, last_reviewed: ${new Date().toISOString().slice(0, 10)}, scope: { tools: [erp.invoice.read] } }
`,
);

let up: UpProcess;
let base = '';
beforeAll(async () => {
  up = spawnLocalUp(dir, TOKEN);
  base = await up.base;
}, 120_000);
afterAll(() => killAll(up ? [up] : []));

const alerts = async (): Promise<Alert[]> =>
  (await (await fetch(`${base}/v1/alerts?format=ndjson`, { headers: auth })).text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);

describe('agentwatch up: an event dated far from its arrival blinds nothing', () => {
  it('after a 9999-12-31 event from another agent, a stolen and an expired token still alert; the poison is reported', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const call = (id: string, agent: string, time: string, token?: string) =>
      JSON.stringify({
        kind: 'tool_call',
        event_id: id,
        time,
        agent_id: agent,
        tool: 'erp.invoice.read',
        outcome: 'success',
        ...(token ? { token_id: token } : {}),
      });
    const lines = [
      JSON.stringify({
        kind: 'token_issued',
        event_id: 'h-1',
        time: at(30),
        agent_id: INVOICE,
        token_id: 'tok-h',
        issuer: 'idp',
        scopes: [],
        expires_at: at(20),
      }),
      call('h-2', INVOICE, at(29), 'tok-h'),
      // The poison, by the other agent, in its own request (as an attacker would send it).
      call('h-poison', PAYMENTS, '9999-12-31T23:59:59.999Z'),
      call('h-poison-old', INVOICE, '1970-01-01T00:00:00.000Z'),
    ];
    await postEvents(base, auth, lines.slice(0, 2));
    await postEvents(base, auth, lines.slice(2, 3));
    await postEvents(base, auth, lines.slice(3, 4));
    // After the poison: the payments bot uses the invoice bot's token, after its expiry.
    await postEvents(base, auth, [call('h-3', PAYMENTS, at(5), 'tok-h')]);
    const got = await waitFor(
      'the credential and telemetry alerts',
      async () => {
        const list = await alerts();
        const rules = new Set(list.map((a) => a.rule_id));
        return ['credential.token_used_by_other_agent', 'credential.token_used_after_expiry', 'telemetry.implausible_event_time'].every((r) => rules.has(r))
          ? list
          : null;
      },
      30_000,
      up.stderr,
    );
    const telemetry = got.filter((a) => a.rule_id === 'telemetry.implausible_event_time');
    expect(telemetry.map((a) => [a.agent_id, a.evidence['verdict'], a.evidence.event_ids]).sort()).toEqual([
      [INVOICE, 'stale', ['h-poison-old']],
      [PAYMENTS, 'future', ['h-poison']],
    ]);
    // Stored as claims: the events are queryable as evidence.
    const detail = (await (await fetch(`${base}/v1/alerts/${telemetry.find((a) => a.agent_id === PAYMENTS)?.alert_id}`, { headers: auth })).json()) as {
      events: Array<{ event_id: string; time: string }>;
    };
    expect(detail.events.map((e) => e.event_id)).toEqual(['h-poison']);
  }, 60_000);

  it("the agent page shows a forged future date at the event's arrival: activity, credentials and hours", async () => {
    const before = Date.now();
    await postEvents(base, auth, [
      JSON.stringify({
        kind: 'tool_call',
        event_id: 'h-2029',
        time: '2029-06-01T00:00:00.000Z',
        agent_id: PAYMENTS,
        tool: 'erp.invoice.read',
        outcome: 'success',
        token_id: 'tok-forged',
      }),
    ]);
    const slack = 5 * 60_000 + 60_000;
    const page = await waitFor(
      'the forged event on the agent page',
      async () => {
        const res = await fetch(`${base}/v1/agents/${encodeURIComponent(PAYMENTS)}`, { headers: auth });
        const body = (await res.json()) as {
          agent: { activity?: { last_seen: string; events: number }; tokens: Array<{ token_id: string; last_seen: string }>; hourly: Array<{ hour: string }> };
        };
        return body.agent.tokens.some((t) => t.token_id === 'tok-forged') ? body.agent : null;
      },
      30_000,
      up.stderr,
    );
    // Claims of 9999-12-31 and 2029 stand in the store (evidence) but are shown at their arrival here.
    expect(Date.parse(page.activity?.last_seen ?? '')).toBeGreaterThanOrEqual(before - slack);
    expect(Date.parse(page.activity?.last_seen ?? '')).toBeLessThanOrEqual(Date.now() + slack);
    const forged = page.tokens.find((t) => t.token_id === 'tok-forged');
    expect(Date.parse(forged?.last_seen ?? '')).toBeLessThanOrEqual(Date.now() + slack);
    expect(page.hourly.every((h) => Date.parse(h.hour) <= Date.now() + slack)).toBe(true);
  }, 60_000);
});
