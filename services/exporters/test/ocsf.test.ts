import type { CanonicalEvent } from '@agentwatch/schemas';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { propertyParams } from '../../../test/support/properties.ts';
import { activityOf } from '../src/formats/delivery.ts';
import { alertToOcsf, incidentToOcsf, OCSF_VERSION } from '../src/formats/ocsf.ts';
import { baseAlert, baseIncident, delivery, edgeAlerts, ORIGIN } from './fixtures.ts';
import { ocsfValidator } from './ocsf-validator.ts';

let check: (finding: unknown) => string[];
beforeAll(() => {
  check = ocsfValidator();
}, 300_000);

describe('OCSF Detection Finding, validated against the official OCSF schema', () => {
  it.each(edgeAlerts().map((a) => [a.alert_id, a] as const))('alert %s is valid in every activity', (_id, alert) => {
    for (const [version, activity] of [
      [1, 'created'],
      [2, 'updated'],
      [3, 'closed'],
    ] as const) {
      const f = alertToOcsf(alert, delivery({ version, activity }), ORIGIN);
      expect(check(f)).toEqual([]);
    }
  });

  it('incidents are valid findings that reference their alerts', () => {
    for (const inc of [baseIncident(), baseIncident({ owners: [], agent_ids: [], status: 'false_positive', assignee: 'sam' })]) {
      const f = incidentToOcsf(inc, delivery({ version: 2, activity: 'updated' }), ORIGIN);
      expect(check(f)).toEqual([]);
      const info = f['finding_info'] as { uid: string; related_events: { uid: string }[] };
      expect(info.uid).toBe(inc.incident_id);
      expect(info.related_events.map((r) => r.uid)).toEqual(inc.alert_ids);
    }
  });

  it('cited events become evidences with the event under data, for any source address', () => {
    const alert = baseAlert();
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const events: CanonicalEvent[] = [
          {
            kind: 'tool_call',
            event_id: 'e-1',
            time: '2026-10-16T08:02:58.728Z',
            agent_id: alert.agent_id,
            tool: 'sql.query',
            resource: 'db://x',
            outcome: 'success',
            source_ip: ip,
            session_id: 's',
            on_behalf_of: 'user:felix',
          },
          {
            kind: 'token_issued',
            event_id: 'e-2',
            time: '2026-10-16T08:02:59.000Z',
            agent_id: alert.agent_id,
            token_id: 't',
            issuer: 'idp',
            scopes: ['a'],
            expires_at: '2026-10-16T09:00:00Z',
          },
        ];
        const f = alertToOcsf(alert, delivery(), ORIGIN, events);
        expect(check(f)).toEqual([]);
        const ev = (f['evidences'] as { uid?: string; data?: unknown; api?: { operation: string } }[]).filter((e) => e.data !== undefined);
        expect(ev.map((e) => [e.uid, e.api?.operation])).toEqual([
          ['e-1', 'sql.query'],
          ['e-2', 'token_issued'],
        ]);
        expect(ev[0]?.data).toEqual(events[0]);
      }),
      propertyParams(200),
    );
  });

  it('the validator rejects what OCSF does not allow (so the checks above can fail)', () => {
    const f = alertToOcsf(baseAlert(), delivery(), ORIGIN);
    expect(check({ ...f, severity_id: 7 })).not.toEqual([]);
    expect(check({ ...f, finding_info: { title: 'no uid' } })).not.toEqual([]);
    expect(check({ ...f, agentwatch_extra: 1 })).not.toEqual([]);
    expect(check({ ...f, evidences: [{ name: 'nothing observable' }] })).not.toEqual([]);
  });
});

describe('OCSF mapping', () => {
  it('names its version, the alert id and version, and maps severity, status and activity', () => {
    const f = alertToOcsf(baseAlert({ severity: 'critical', status: 'false_positive' }), delivery({ version: 4, activity: 'closed' }), ORIGIN);
    expect(f).toMatchObject({
      class_uid: 2004,
      activity_id: 3,
      type_uid: 200403,
      severity_id: 5,
      status_id: 4,
      verdict_id: 1,
      risk_score: 60,
      metadata: { version: OCSF_VERSION, uid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90:4' },
      finding_info: { uid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', types: ['delegation'], first_seen_time: Date.parse('2026-10-16T08:02:58.728Z') },
      actor: { user: { uid: 'spiffe://corp.example/agents/sql-analyst', type: 'AI Agent' }, invoked_by: 'spiffe://corp.example/agents/research-planner' },
      unmapped: { agentwatch: { alert_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', version: 4 } },
    });
    const names = (f['evidences'] as { name: string }[]).map((e) => e.name);
    expect(names).toEqual(['event', 'event', 'delegation_chain', 'delegation_chain', 'delegation_chain', 'owner']);
  });

  it('follows the alert life: first version creates, later ones update, resolving closes', () => {
    expect(activityOf('new', 1)).toBe('created');
    expect(activityOf('acknowledged', 2)).toBe('updated');
    expect(activityOf('suppressed', 1)).toBe('created');
    expect(activityOf('resolved', 3)).toBe('closed');
    expect(activityOf('false_positive', 1)).toBe('closed');
  });

  it('refuses bad delivery metadata', () => {
    expect(() => alertToOcsf(baseAlert(), delivery({ version: 0 }), ORIGIN)).toThrow(/version/);
    expect(() => alertToOcsf(baseAlert(), delivery({ time: 'yesterday' }), ORIGIN)).toThrow(/RFC 3339/);
  });
});
