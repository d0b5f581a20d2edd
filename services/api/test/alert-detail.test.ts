import type { CanonicalEvent, RegistryAgent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { baselineFigures, delegationChain } from '../src/routes/alert-detail.ts';

const A = 'spiffe://corp.example/agents/a';
const P = 'spiffe://corp.example/agents/planner';
const agent = (id: string, owner: string): RegistryAgent => ({
  id,
  name: id,
  owner,
  status: 'active',
  purpose: 'x',
  registered_at: '2026-01-01',
  scope: {},
});
const call = (id: string, time: string, extra: Partial<Extract<CanonicalEvent, { kind: 'tool_call' }>> = {}): CanonicalEvent => ({
  kind: 'tool_call',
  event_id: id,
  time,
  agent_id: A,
  tool: 't',
  outcome: 'success',
  ...extra,
});
const registry = { agents: [agent(A, 'alice@corp.example'), agent(P, 'bob@corp.example')] };

describe('delegationChain', () => {
  it('no delegation fields: the acting agent alone', () => {
    expect(delegationChain({ agent_id: A }, [call('e1', '2026-11-02T09:00:00Z')], registry)).toEqual([
      { id: A, kind: 'agent', registered: true, owner: 'alice@corp.example' },
    ]);
  });

  it('on_behalf_of only: the person, then the agent; an unknown person is not registered', () => {
    expect(delegationChain({ agent_id: A }, [call('e1', '2026-11-02T09:00:00Z', { on_behalf_of: 'mallory@evil.example' })], registry)).toEqual([
      { id: 'mallory@evil.example', kind: 'person', registered: false },
      { id: A, kind: 'agent', registered: true, owner: 'alice@corp.example' },
    ]);
  });

  it('the latest event of the acting agent wins; user: and plain forms of one person are one link', () => {
    const events = [
      call('e1', '2026-11-02T09:00:00Z', { delegation_chain: ['user:zed@corp.example', A] }),
      call('e2', '2026-11-02T09:05:00Z', { on_behalf_of: 'Alice@corp.example', delegation_chain: ['user:alice@corp.example', P, A] }),
      call('e3', '2026-11-02T09:09:00Z', { agent_id: P, delegation_chain: ['user:zed@corp.example', P] }),
    ];
    expect(delegationChain({ agent_id: A }, events, registry)).toEqual([
      { id: 'Alice@corp.example', kind: 'person', registered: true },
      { id: P, kind: 'agent', registered: true, owner: 'bob@corp.example' },
      { id: A, kind: 'agent', registered: true, owner: 'alice@corp.example' },
    ]);
  });

  it('a chain that does not end at the acting agent gets it appended; people from the registry count as registered', () => {
    const events = [call('e1', '2026-11-02T09:00:00Z', { delegation_chain: ['user:carol@corp.example', 'spiffe://x/agents/ghost'] })];
    expect(delegationChain({ agent_id: A }, events, { ...registry, people: [{ id: 'carol@corp.example', status: 'active' }] })).toEqual([
      { id: 'user:carol@corp.example', kind: 'person', registered: true },
      { id: 'spiffe://x/agents/ghost', kind: 'agent', registered: false, owner: null },
      { id: A, kind: 'agent', registered: true, owner: 'alice@corp.example' },
    ]);
  });
});

describe('baselineFigures', () => {
  const hour = (iso: string, events: number) => ({
    agent_id: A,
    hour: iso,
    events,
    tool_calls: events,
    bytes_out: 0,
    records: 0,
    denied: 0,
    failures: 0,
    distinct_tools: 1,
    distinct_resources: 0,
  });

  it('null with neither hourly figures nor rule figures', () => {
    expect(baselineFigures({ last_seen: '2026-11-02T09:30:00Z', evidence: { event_ids: ['e1'] } }, [])).toBeNull();
  });

  it('mean per active day by hour of day, median active hour, this hour apart', () => {
    const b = baselineFigures({ last_seen: '2026-11-03T09:30:00Z', evidence: { event_ids: ['e1'], observed: 40 } }, [
      hour('2026-11-01T09:00:00.000Z', 10),
      hour('2026-11-02T09:00:00.000Z', 20),
      hour('2026-11-02T10:00:00.000Z', 3),
      hour('2026-11-03T09:00:00.000Z', 40),
    ]);
    expect(b).toMatchObject({
      rule_figures: { observed: 40 },
      this_hour: '2026-11-03T09:00:00.000Z',
      this_hour_events: 40,
      typical_hourly_events: 10,
      active_hours: 3,
    });
    expect(b?.hour_of_day_events[9]).toBe(15);
    expect(b?.hour_of_day_events[10]).toBe(1.5);
    expect(b?.hour_of_day_events.filter((n) => n > 0)).toHaveLength(2);
  });
});
