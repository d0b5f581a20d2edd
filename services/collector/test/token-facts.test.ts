import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TokenFacts } from '../src/token-facts.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-10-14T12:00:00.000Z');

/** Never connects: only the shared table and its sweep are exercised. */
function facts(): TokenFacts {
  const kafka = new Kafka({ clientId: 'token-facts-test', brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING });
  const f = new TokenFacts({ kafka, logger: pino({ level: 'silent' }), graceMs: DAY, onFact: () => {} });
  f.table.issue('tok-1', {
    agentId: 'spiffe://corp.example/agents/research-planner',
    issuer: 'idp',
    scopes: ['read'],
    issuedMs: T0,
    expiresMs: T0 + HOUR,
    revokedMs: null,
    parentTokenId: null,
    eventId: 'e-1',
  });
  return f;
}

describe('TokenFacts.sweep', () => {
  it('keeps a fact the slowest backlogged partition may still look up, however far ahead the newest batch is', () => {
    const f = facts();
    // The newest batch is two days past the fact's grace; the group's fact horizon is still at its issuance.
    f.sweep(T0 + HOUR + 3 * DAY, T0);
    expect(f.table.get('tok-1')?.eventId).toBe('e-1');
    // Once the horizon passed the grace period too, it goes.
    f.sweep(T0 + HOUR + 3 * DAY, T0 + HOUR + 2 * DAY);
    expect(f.table.get('tok-1')).toBeUndefined();
  });

  it('sweeps by the newest batch when no partition has a backlog (horizon +Infinity)', () => {
    const f = facts();
    f.sweep(T0 + HOUR + DAY / 2);
    expect(f.table.get('tok-1')).toBeDefined();
    f.sweep(T0 + HOUR + 2 * DAY);
    expect(f.table.get('tok-1')).toBeUndefined();
  });
});
