import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createCloudTrailAdapter } from '../src/cloudtrail/index.ts';
import { parseCloudTrailTime, parseHumanUtc, parseIsoUtc } from '../src/cloudtrail/time.ts';
import { assumeRole, clone, FEDERATION_FILE, LEAVE_ORG_FILE, mulberry32, mutate, sampleRecords, sessionCall } from './cloudtrail-fixtures.ts';

describe('cloudtrail times', () => {
  it('reads the human expiration format as UTC, whatever the spacing', () => {
    expect(parseHumanUtc('Nov 30, 2024, 8:43:17 PM')).toBe('2024-11-30T20:43:17.000Z');
    expect(parseHumanUtc('Aug 2, 2024, 8:45:00 AM')).toBe('2024-08-02T08:45:00.000Z');
    expect(parseHumanUtc('Mar 23, 2016, 2:39:51 AM')).toBe('2016-03-23T02:39:51.000Z');
    expect(parseHumanUtc('Nov 30, 2024, 8:43:17\u202fPM')).toBe('2024-11-30T20:43:17.000Z');
    expect(parseHumanUtc('Nov 30, 2024, 8:43:17\u00a0pm')).toBe('2024-11-30T20:43:17.000Z');
    expect(parseHumanUtc('  November 30 2024 8:43 PM UTC ')).toBe('2024-11-30T20:43:00.000Z');
    expect(parseHumanUtc('Sept 1, 2024, 12:00:00 AM')).toBe('2024-09-01T00:00:00.000Z');
    expect(parseHumanUtc('Sep 1, 2024, 12:30:00 PM')).toBe('2024-09-01T12:30:00.000Z');
    expect(parseHumanUtc('Sep 1, 2024, 23:30:00')).toBe('2024-09-01T23:30:00.000Z');
    expect(parseHumanUtc('Feb 29, 2024, 1:00:00 AM')).toBe('2024-02-29T01:00:00.000Z');
  });

  it('refuses impossible or foreign human times', () => {
    for (const bad of [
      'Feb 30, 2024, 8:43:17 PM',
      'Feb 29, 2023, 1:00:00 AM',
      'Nov 30, 2024, 13:00:00 PM',
      'Nov 30, 2024, 0:10:00 AM',
      'Foo 30, 2024, 8:43:17 PM',
      'Nov 30, 2024, 25:00:00',
      '',
      'x'.repeat(100),
    ]) {
      expect([bad, parseHumanUtc(bad)]).toEqual([bad, undefined]);
    }
  });

  it('reads ISO-8601 with or without a zone (CloudTrail writes UTC)', () => {
    expect(parseIsoUtc('2024-08-02T08:30:00Z')).toBe('2024-08-02T08:30:00.000Z');
    expect(parseIsoUtc('2024-08-02T08:30:00')).toBe('2024-08-02T08:30:00.000Z');
    expect(parseIsoUtc('2024-08-02T10:30:00.123456+02:00')).toBe('2024-08-02T08:30:00.123Z');
    expect(parseIsoUtc('2024-08-02 08:30:00-0130')).toBe('2024-08-02T10:00:00.000Z');
    expect(parseCloudTrailTime('2024-08-02T08:45:00Z')).toBe('2024-08-02T08:45:00.000Z');
    for (const bad of ['2024-13-02T08:30:00Z', '2024-02-30T08:30:00Z', '2024-08-02', 'Aug 2 2024', 42, null, {}]) expect(parseIsoUtc(bad)).toBeUndefined();
  });
});

describe('cloudtrail adapter: hostile input never throws', () => {
  const adapter = createCloudTrailAdapter();
  const call = sampleRecords(FEDERATION_FILE)[1] as Record<string, unknown>;

  it('non-object records are rejected', () => {
    for (const [value, got] of [
      [null, 'null'],
      [42, '42'],
      ['text', '"text"'],
      [[call], 'an array'],
      [true, 'true'],
      [undefined, 'nothing'],
    ] as const) {
      expect(adapter.map(value)).toEqual({ events: [], rejects: [{ reason: `record: expected a CloudTrail record object, got ${got}` }], skipped: 0 });
    }
  });

  it('missing or wrong envelope fields are rejected naming the field', () => {
    const without = (k: string) => {
      const r = clone(call);
      delete r[k];
      return r;
    };
    expect(adapter.map(without('eventID')).rejects).toEqual([{ reason: 'eventID: expected a non-empty string, got nothing' }]);
    expect(adapter.map({ ...clone(call), eventTime: 42 }).rejects).toEqual([{ reason: 'eventTime: expected an ISO-8601 time, got 42' }]);
    expect(adapter.map({ ...clone(call), eventTime: 'Nov 30, 2024' }).rejects).toEqual([
      { reason: 'eventTime: expected an ISO-8601 time, got "Nov 30, 2024"' },
    ]);
    expect(adapter.map(without('eventSource')).rejects).toEqual([{ reason: 'eventSource: expected a non-empty string, got nothing' }]);
    expect(adapter.map({ ...clone(call), eventName: 'Get'.repeat(100) }).rejects).toEqual([{ reason: 'eventName: longer than 256 characters (300)' }]);
    expect(adapter.map(without('userIdentity')).rejects).toEqual([{ reason: 'userIdentity: expected an object, got nothing' }]);
    expect(adapter.map({ ...clone(call), userIdentity: [] }).rejects).toEqual([{ reason: 'userIdentity: expected an object, got an array' }]);
  });

  it('broken issuance responses are rejected naming the field', () => {
    const issue = assumeRole({ id: 'i', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAI', expiration: 'Aug 2, 2024, 9:00:00 AM' });
    expect(adapter.map({ ...clone(issue), responseElements: 'x' }).rejects).toEqual([{ reason: 'responseElements: expected an object, got "x"' }]);
    expect(adapter.map({ ...clone(issue), responseElements: {} }).rejects).toEqual([
      { reason: 'responseElements.credentials: expected an object, got nothing' },
    ]);
    expect(adapter.map({ ...clone(issue), responseElements: { credentials: { accessKeyId: 7 } } }).rejects).toEqual([
      { reason: 'responseElements.credentials.accessKeyId: expected an access key id, got 7' },
    ]);
    const anonymous = clone(issue);
    anonymous['requestParameters'] = { roleArn: 'not-an-arn' };
    anonymous['responseElements'] = { credentials: { accessKeyId: 'ASIAZ', expiration: 'Aug 2, 2024, 9:00:00 AM' } };
    expect(adapter.map(anonymous).rejects).toEqual([
      { reason: 'no agent id for the issued session: none of sourceIdentity, sessionName, roleName is in the record' },
    ]);
    const expiredBefore = clone(issue);
    (expiredBefore['responseElements'] as { credentials: { expiration: string } }).credentials.expiration = 'Aug 1, 2024, 9:00:00 AM';
    expect(adapter.map(expiredBefore).rejects[0]?.reason).toContain('expires_at');
  });

  it('huge values are bounded: ids hashed, attributes clipped, over-long agent ids rejected by the schema', () => {
    const big = sessionCall({ id: 'e'.repeat(50_000), time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAB' });
    big['userAgent'] = 'u'.repeat(1_000_000);
    const r = adapter.map(big);
    expect(r.rejects).toEqual([]);
    expect(r.events[0]?.event_id).toMatch(/^cloudtrail:sha256:[0-9a-f]{64}$/);
    expect(r.events[0]?.attributes?.['aws.user_agent']).toHaveLength(1024 + '…[1000000 chars]'.length);
    const longSession = sessionCall({ id: 'l', time: '2024-08-02T08:00:00Z', role: 'r', session: 's'.repeat(300), keyId: 'ASIAB' });
    expect(adapter.map(longSession).rejects[0]?.reason).toMatch(/^mapped event is not canonical: .*agent_id/);
  });

  it('deep nesting and odd shapes inside the record are harmless', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep['a'] = next;
      deep = next;
    }
    const r = adapter.map({ ...clone(call), requestParameters: root, responseElements: root, resources: [root, null, 7], tlsDetails: [] });
    expect(r.rejects).toEqual([]);
    expect(r.events).toHaveLength(1);
    const issue = assumeRole({ id: 'i', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAI', expiration: 'Aug 2, 2024, 9:00:00 AM' });
    (issue['requestParameters'] as Record<string, unknown>)['policy'] = `${'['.repeat(9_000)}${']'.repeat(9_000)}`;
    (issue['requestParameters'] as Record<string, unknown>)['policyArns'] = Array.from({ length: 10_000 }, (_, i) => ({
      arn: `arn:aws:iam::aws:policy/P${i}`,
    }));
    const issued = adapter.map(issue).events[0];
    expect(issued?.kind === 'token_issued' && issued.scopes.length).toBe(100);
    expect(issued?.attributes?.['agentwatch.scopes_truncated']).toBe('true');
  });

  it('prototype names in the record are plain strings, not object members', () => {
    const record = sessionCall({ id: 'p', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAP', eventName: 'Constructor' });
    record['recipientAccountId'] = '__proto__';
    const r = createCloudTrailAdapter({ accountEnvironments: { '1': 'prod' } }).map(record);
    expect(r.rejects).toEqual([]);
    expect(r.events[0]).toMatchObject({ tool: 's3:Constructor', action: 'read' });
    expect(r.events[0]?.environment).toBeUndefined();
  });

  it('a record whose getters throw becomes a reject, not an exception', () => {
    const trap = new Proxy(clone(call), {
      get(target, key) {
        if (key === 'userIdentity') throw new Error('boom');
        return Reflect.get(target, key);
      },
    });
    expect(adapter.map(trap)).toEqual({ events: [], rejects: [{ reason: 'record could not be mapped: boom' }], skipped: 0 });
  });

  it('a small fuzz loop: mutated samples never throw and every event is canonical', () => {
    const rand = mulberry32(7);
    const seeds = [
      ...sampleRecords(FEDERATION_FILE),
      ...sampleRecords(LEAVE_ORG_FILE),
      sessionCall({ id: 'f', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAF' }),
    ];
    const adapters = [
      createCloudTrailAdapter(),
      createCloudTrailAdapter({ agentIdFrom: ['sessionArn', 'roleArn'], longTermKeys: 'map', consoleSessions: 'map' }),
    ];
    let events = 0;
    let rejects = 0;
    for (let i = 0; i < 3000; i++) {
      const record = mutate(clone(seeds[i % seeds.length]), rand);
      const r = (adapters[i % 2] as (typeof adapters)[number]).map(record);
      for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
      for (const j of r.rejects) expect(j.reason.length).toBeGreaterThan(0);
      if (r.skipped > 0) expect(r.skipReason?.length).toBeGreaterThan(0);
      events += r.events.length;
      rejects += r.rejects.length;
    }
    expect(events).toBeGreaterThan(1000);
    expect(rejects).toBeGreaterThan(0);
  });
});
