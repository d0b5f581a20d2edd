import { describe, expect, it } from 'vitest';
import { alertsApiQuery, DEFAULT_STATUSES, parseQueueQuery, queueQueryString } from '../src/queue-query.ts';
import { can, roleAtLeast } from '../src/roles.ts';

describe('alert queue filters in the URL', () => {
  it('a plain /alerts shows the open statuses, newest activity first', () => {
    const f = parseQueueQuery('');
    expect(f.status).toEqual(DEFAULT_STATUSES);
    expect(f.sort).toBe('-last_seen');
    expect(queueQueryString(f)).toBe('');
  });

  it('round-trips every filter through the URL, repeated status and tags included', () => {
    const search =
      '?q=export+crm&severity=high&status=new&status=suppressed&category=credential&agent_id=spiffe%3A%2F%2Fa%2Fb&owner=alice&assignee=none&tag=x&tag=y&range=24h&sort=-risk_score';
    const f = parseQueueQuery(search);
    expect(f).toMatchObject({ q: 'export crm', severity: 'high', status: ['new', 'suppressed'], agent_id: 'spiffe://a/b', tag: ['x', 'y'], range: '24h' });
    expect(parseQueueQuery(queueQueryString(f))).toEqual(f);
  });

  it('status=any keeps every status and sends none', () => {
    const f = parseQueueQuery('?status=any');
    expect(queueQueryString(f)).toBe('?status=any');
    expect(alertsApiQuery(f, 0)['status']).toEqual([]);
  });

  it('the API query turns a relative range into since, and leaves the default sort out', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    const q = alertsApiQuery(parseQueueQuery('?range=1h'), now);
    expect(q['since']).toBe('2026-12-07T11:00:00.000Z');
    expect(q['sort']).toBeUndefined();
    expect(alertsApiQuery(parseQueueQuery('?sort=risk_score'), now)['sort']).toBe('risk_score');
  });

  it('never puts a token in the URL: only filter keys are written', () => {
    const f = { ...parseQueueQuery('?q=a'), token: 'aw_secret' } as ReturnType<typeof parseQueueQuery>;
    expect(queueQueryString(f)).not.toContain('aw_secret');
  });
});

describe('roles', () => {
  it('orders viewer < analyst < engineer < admin and gates the actions', () => {
    expect(roleAtLeast('admin', 'viewer')).toBe(true);
    expect(roleAtLeast('analyst', 'engineer')).toBe(false);
    expect(can('viewer', 'triage')).toBe(false);
    expect(can('analyst', 'triage')).toBe(true);
    expect(can('analyst', 'suppress')).toBe(false);
    expect(can('engineer', 'suppress')).toBe(true);
    expect(can('engineer', 'manageTokens')).toBe(false);
    expect(can('admin', 'manageTokens')).toBe(true);
    expect(can(undefined, 'triage')).toBe(false);
  });
});
