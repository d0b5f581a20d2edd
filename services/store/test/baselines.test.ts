import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEventRows, type Store } from '../src/index.ts';
import { AGENT, closeAll, openStore, toolCall } from './helpers.ts';

afterAll(closeAll);

describe('agent_hourly baselines', () => {
  let store: Store;
  const batch = [
    toolCall('h-1', '2026-11-02T09:00:01.000Z', { tool: 'erp.invoice.read', resource: 'erp://invoices/1', bytes_out: 100, records: 1 }),
    toolCall('h-2', '2026-11-02T09:10:00.000Z', { tool: 'erp.invoice.read', resource: 'erp://invoices/2', bytes_out: 200, records: 2 }),
    toolCall('h-3', '2026-11-02T09:59:59.999Z', { tool: 'erp.invoice.write', resource: 'erp://invoices/2', outcome: 'denied' }),
    toolCall('h-4', '2026-11-02T10:00:00.000Z', { tool: 'mail.send', outcome: 'failure', bytes_out: 50 }),
    { kind: 'policy_decision' as const, event_id: 'h-5', time: '2026-11-02T10:30:00.000Z', agent_id: AGENT, decision: 'deny' as const, tool: 'bank.transfer' },
    toolCall('o-1', '2026-11-02T09:30:00.000Z', { agent_id: 'other-agent', bytes_out: 7 }),
  ];

  beforeAll(async () => {
    store = await openStore();
    await store.insertEvents(batch);
  });

  const hour9 = {
    agent_id: AGENT,
    hour: '2026-11-02T09:00:00.000Z',
    events: 3,
    tool_calls: 3,
    bytes_out: 300,
    records: 3,
    denied: 1,
    failures: 0,
    distinct_tools: 2,
    distinct_resources: 2,
  };
  const hour10 = {
    agent_id: AGENT,
    hour: '2026-11-02T10:00:00.000Z',
    events: 2,
    tool_calls: 1,
    bytes_out: 50,
    records: 0,
    denied: 1,
    failures: 1,
    distinct_tools: 2,
    distinct_resources: 0,
  };

  it('the materialized view fills per-agent hourly counts', async () => {
    expect(await store.agentHourly(AGENT)).toEqual([hour9, hour10]);
    expect(await store.agentHourly('other-agent')).toEqual([expect.objectContaining({ events: 1, bytes_out: 7, distinct_tools: 1 })]);
  });

  it('a replayed batch is not counted twice; rows re-cut under a new token are (the events table still dedups them)', async () => {
    await store.insertEvents(batch); // the ids are stored already: duplicates, not inserted, view included
    expect((await store.agentHourly(AGENT))[0]?.events).toBe(3);
    await store.insertEvents(batch, 'kafka:0:0-5'); // a new token does not matter: the look-up finds them
    expect((await store.agentHourly(AGENT))[0]?.events).toBe(3);
    // insertEventRows (the Kafka path) does no look-up: the same rows under a new token count twice in the view.
    const rows = renderEventRows(
      batch.map((e) => JSON.stringify(e)),
      'k',
    );
    await store.insertEventRows([rows], 'kafka:0:0-5');
    await store.insertEventRows([rows], 'kafka:0:0-5');
    expect((await store.agentHourly(AGENT))[0]?.events).toBe(6); // documented limit of an insert-fed view
    expect(await store.countEvents()).toBe(6);
  });

  it('filters by time range', async () => {
    const s = await openStore();
    await s.insertEvents(batch);
    expect(await s.agentHourly(AGENT, { since: '2026-11-02T10:15:00Z' })).toEqual([hour10]);
    expect(await s.agentHourly(AGENT, { until: '2026-11-02T10:00:00Z' })).toEqual([hour9]);
    // new hour rows merge with earlier ones for the same hour
    await s.insertEvents([toolCall('h-6', '2026-11-02T09:45:00.000Z', { tool: 'crm.read', bytes_out: 1 })]);
    expect((await s.agentHourly(AGENT))[0]).toMatchObject({ events: 4, bytes_out: 301, distinct_tools: 3 });
  });
});
