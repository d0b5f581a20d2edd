import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../src/engine/engine.ts';
import { type TokenFact, TokenTable } from '../src/engine/token-table.ts';

import { BUILTIN_RULES } from '../src/index.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';
import { materialise } from '../src/testing/fixtures.ts';

const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
const INVOICE = 'spiffe://corp.example/agents/invoice-bot';
const PAYMENTS = 'spiffe://corp.example/agents/payments-bot';

/** Token tok-1 issued to the invoice bot at +1m, then presented by the payments bot at +2m. */
const [issued, stolenUse] = materialise([
  {
    at: '+1m',
    kind: 'token_issued',
    agent_id: INVOICE,
    token_id: 'tok-1',
    issuer: 'https://idp.corp.example',
    scopes: ['erp.read'],
    expires_at: '2026-11-02T00:10:00.000Z',
  },
  { at: '+2m', kind: 'tool_call', agent_id: PAYMENTS, tool: 'payments.status', outcome: 'success', token_id: 'tok-1' },
]) as [CanonicalEvent, CanonicalEvent];

/** tok-1 as the shared view knows it once the invoice bot's partition published its issuance. */
const issuedFact: TokenFact = {
  agentId: INVOICE,
  issuer: 'https://idp.corp.example',
  scopes: ['erp.read'],
  issuedMs: Date.parse(issued.time),
  expiresMs: Date.parse('2026-11-02T00:10:00.000Z'),
  revokedMs: null,
  parentTokenId: null,
  eventId: issued.event_id,
};

const run = (engine: DetectionEngine, events: CanonicalEvent[]) => {
  for (const e of events) engine.process(e);
  return engine.flush().filter((a) => a.rule_id === 'credential.token_used_by_other_agent');
};

describe('late token facts', () => {
  it('says when a batch could let go of a held use (the collector reads fresher offsets only then)', () => {
    const HOUR = 3_600_000;
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES, sharedTokens: new TokenTable(86_400_000) });
    const t = Date.parse(stolenUse.time);
    // Nothing held: only a batch spanning token_fact_wait (1 h) could park a use and let it go.
    expect(engine.mayLetGoHeldUses(t, t + HOUR - 1)).toBe(false);
    expect(engine.mayLetGoHeldUses(t, t + HOUR)).toBe(true);
    engine.process(stolenUse);
    expect(engine.getStats().parkedUses).toBe(1);
    // The parked use comes due at t + 1 h, whatever the batch's own span.
    expect(engine.mayLetGoHeldUses(t + 50 * 60_000, t + 59 * 60_000)).toBe(false);
    expect(engine.mayLetGoHeldUses(t + 50 * 60_000, t + HOUR)).toBe(true);
  });

  it('a use read before its token fact raises the same alert as in-order input (same id, count, time)', () => {
    const inOrder = run(new DetectionEngine({ registry, rules: BUILTIN_RULES }), [issued, stolenUse]);
    expect(inOrder).toHaveLength(1);
    // Another stream delivered the issuance later (as a slower partition would).
    const late = run(new DetectionEngine({ registry, rules: BUILTIN_RULES }), [stolenUse, issued]);
    expect(late.map((a) => [a.alert_id, a.count, a.first_seen])).toEqual(inOrder.map((a) => [a.alert_id, a.count, a.first_seen]));
  });

  it('a fact arriving in the shared view resolves the parked use (tokenFactArrived)', () => {
    const shared = new TokenTable(86_400_000);
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES, sharedTokens: shared });
    engine.process(stolenUse);
    expect(engine.getStats().parkedUses).toBe(1);
    shared.issue('tok-1', { ...issuedFact });
    engine.tokenFactArrived('tok-1');
    expect(engine.getStats().parkedUses).toBe(0);
    const alerts = engine.flush().filter((a) => a.rule_id === 'credential.token_used_by_other_agent');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.evidence.event_ids).toContain(issued.event_id);
  });

  it('parked uses survive a snapshot and expire after token_fact_wait', () => {
    const a = new DetectionEngine({ registry, rules: BUILTIN_RULES, config: { token_fact_wait: '10m' } });
    a.process(stolenUse);
    const b = new DetectionEngine({ registry, rules: BUILTIN_RULES, config: { token_fact_wait: '10m' } });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.getStats().parkedUses).toBe(1);
    // Event time moves 30 minutes on without the token showing up: the use is let go and counted.
    const [later] = materialise([{ at: '+32m', kind: 'tool_call', agent_id: INVOICE, tool: 'erp.invoice.read', outcome: 'success' }]);
    b.process(later as CanonicalEvent);
    expect(b.getStats()).toMatchObject({ parkedUses: 0, parkedExpired: 1 });
    b.process(issued);
    expect(b.flush().filter((x) => x.rule_id === 'credential.token_used_by_other_agent')).toEqual([]);
  });

  it("held uses wait for the fact horizon (the slowest partition), not only for this engine's own time", () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES, config: { token_fact_wait: '10m' } });
    // The partition that will deliver the issuance is still 5 minutes behind the use.
    engine.setFactHorizon(Date.parse(stolenUse.time) - 5 * 60_000);
    engine.process(stolenUse);
    const [later] = materialise([{ at: '+2h', event_id: 'later-1', kind: 'tool_call', agent_id: INVOICE, tool: 'erp.invoice.read', outcome: 'success' }]);
    engine.process(later as CanonicalEvent);
    // Own time is two hours on, but the horizon is not: the use is still held, and the late issuance resolves it.
    expect(engine.getStats()).toMatchObject({ parkedUses: 1, parkedExpired: 0 });
    engine.process(issued);
    expect(engine.flush().filter((a) => a.rule_id === 'credential.token_used_by_other_agent')).toHaveLength(1);
  });

  it('a revocation read after another agent used the token re-checks only the revocation rule on that use', () => {
    const [revoked] = materialise([{ at: '+1m30s', event_id: 'revoke-1', kind: 'token_revoked', agent_id: INVOICE, token_id: 'tok-1' }]) as [CanonicalEvent];
    const key = (a: { rule_id: string; alert_id: string; count: number; first_seen: string }) => `${a.rule_id} ${a.alert_id} ${a.count} ${a.first_seen}`;
    const credential = (alerts: ReturnType<DetectionEngine['flush']>) =>
      alerts
        .filter((a) => a.rule_id.startsWith('credential.'))
        .map(key)
        .sort();
    // In order, one engine: issued, revoked, then the payments bot presents it.
    const one = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    for (const e of [issued, revoked, { ...stolenUse, event_id: 'use-after' }]) one.process(e);
    const expected = credential(one.flush());
    expect(expected.some((k) => k.startsWith('credential.token_used_after_revocation'))).toBe(true);

    // Scale-out: the issuance is known from the shared view when the payments partition reads the use; the
    // revocation (owner's partition) is read after it.
    const shared = new TokenTable(86_400_000);
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES, sharedTokens: shared });
    shared.issue('tok-1', { ...issuedFact });
    engine.process({ ...stolenUse, event_id: 'use-after' });
    expect(engine.getStats().watchedUses).toBe(1);
    const after = JSON.parse(JSON.stringify(engine.snapshot()));
    shared.revoke('tok-1', Date.parse(revoked.time));
    engine.tokenFactArrived('tok-1');
    expect(engine.getStats().watchedUses).toBe(0);
    expect(credential(engine.flush())).toEqual(expected);

    // The same from a restored snapshot (the watch survives a checkpoint), and nothing for a revocation after the use.
    const restored = new DetectionEngine({ registry, rules: BUILTIN_RULES, sharedTokens: shared });
    restored.restore(after);
    expect(restored.getStats().watchedUses).toBe(1);
    restored.tokenFactArrived('tok-1');
    expect(credential(restored.flush())).toEqual(expected);
    const later = new TokenTable(86_400_000);
    later.issue('tok-1', { ...(shared.get('tok-1') as NonNullable<ReturnType<TokenTable['get']>>), revokedMs: null });
    const e3 = new DetectionEngine({ registry, rules: BUILTIN_RULES, sharedTokens: later });
    e3.process({ ...stolenUse, event_id: 'use-before' });
    later.revoke('tok-1', Date.parse(stolenUse.time) + 60_000);
    e3.tokenFactArrived('tok-1');
    expect(e3.flush().filter((a) => a.rule_id === 'credential.token_used_after_revocation')).toEqual([]);
  });

  it('a token exchange read before its parent token: the unauthorized delegation is raised once the parent arrives, as in order', () => {
    // invoice-bot may not delegate at all; its token tok-p is exchanged for payments-bot's tok-c.
    const [parent, child, childWithChain] = materialise([
      {
        at: '+1m',
        kind: 'token_issued',
        agent_id: INVOICE,
        token_id: 'tok-p',
        issuer: 'https://idp.corp.example',
        scopes: ['erp.read'],
        expires_at: '2026-11-02T00:30:00.000Z',
      },
      {
        at: '+2m',
        kind: 'token_issued',
        agent_id: PAYMENTS,
        token_id: 'tok-c',
        parent_token_id: 'tok-p',
        issuer: 'https://idp.corp.example',
        scopes: ['erp.read'],
        expires_at: '2026-11-02T00:20:00.000Z',
      },
      {
        at: '+3m',
        kind: 'token_issued',
        agent_id: PAYMENTS,
        token_id: 'tok-d',
        parent_token_id: 'tok-p',
        delegation_chain: [INVOICE, PAYMENTS],
        issuer: 'https://idp.corp.example',
        scopes: ['erp.read'],
        expires_at: '2026-11-02T00:20:00.000Z',
      },
    ]) as [CanonicalEvent, CanonicalEvent, CanonicalEvent];
    const delegations = (events: CanonicalEvent[]) => {
      const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
      for (const e of events) engine.process(e);
      return engine.flush().filter((a) => a.rule_id === 'delegation.unauthorized_delegate');
    };
    const inOrder = delegations([parent, child, childWithChain]);
    // One alert (invoice-bot > payments-bot), counted once per exchange: the chain hop of the second is the same hop.
    expect(inOrder).toHaveLength(1);
    expect(inOrder[0]).toMatchObject({ count: 2, first_seen: child.time, last_seen: childWithChain.time });
    expect(inOrder[0]?.evidence).toMatchObject({ parent_token_id: 'tok-p', event_ids: [parent.event_id, child.event_id, childWithChain.event_id] });
    // The parent read last (a slower partition): the exchange hops are found on the re-check, not counted twice, and
    // the alert reads as in order (words, evidence, times), byte for byte.
    expect(JSON.stringify(delegations([child, childWithChain, parent]))).toBe(JSON.stringify(inOrder));
  });

  it('a use of a token that is never issued parks and re-checks nothing else (no double counting)', () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const [u1, u2] = materialise([
      { at: '+1m', kind: 'tool_call', agent_id: PAYMENTS, tool: 'crm.export', outcome: 'success', token_id: 'tok-x' },
      { at: '+2m', kind: 'tool_call', agent_id: PAYMENTS, tool: 'crm.export', outcome: 'success', token_id: 'tok-x' },
    ]) as [CanonicalEvent, CanonicalEvent];
    engine.process(u1);
    engine.process(u2);
    const before = engine.openAlerts().map((a) => [a.rule_id, a.count]);
    engine.process({ ...issued, agent_id: PAYMENTS, token_id: 'tok-x', event_id: 'iss-x' });
    // The owner issued its own token late: token rules find nothing, and scope alerts are not counted again.
    expect(engine.openAlerts().map((a) => [a.rule_id, a.count])).toEqual(expect.arrayContaining(before));
    expect(engine.flush().some((a) => a.rule_id.startsWith('credential.'))).toBe(false);
  });
});
