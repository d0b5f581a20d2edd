import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOktaAdapter } from '../src/okta/index.ts';
import { createOpaAdapter } from '../src/opa/index.ts';
import type { AdapterResult } from '../src/types.ts';
import { grantEvent } from './okta-fixtures.ts';

const one = (r: AdapterResult): CanonicalEvent => {
  expect(r.rejects).toEqual([]);
  expect(r.events).toHaveLength(1);
  return r.events[0] as CanonicalEvent;
};

describe('Okta: session, task, parent token and delegation chain from configurable paths', () => {
  const grant = (extra: Record<string, unknown>) => ({
    ...grantEvent({ uuid: 'u-1', published: '2026-11-02T09:00:00.000Z', clientId: 'kb-search' }),
    ...extra,
  });

  it('reads the agentwatch object by default', () => {
    const e = one(
      createOktaAdapter().map(
        grant({ agentwatch: { session_id: 's-1', task_id: 't-1', parent_token_id: 'jti-parent', delegation_chain: ['triage', 'kb-search'] } }),
      ),
    );
    expect(e).toMatchObject({
      kind: 'token_issued',
      session_id: 's-1',
      task_id: 't-1',
      parent_token_id: 'jti-parent',
      delegation_chain: ['triage', 'kb-search'],
    });
  });

  it('a chain not ending with the agent, or a wrong type, is kept in attributes and named in agentwatch.fields_ignored', () => {
    const e = one(createOktaAdapter().map(grant({ agentwatch: { task_id: { x: 1 }, delegation_chain: 'triage other' } })));
    expect(e.task_id).toBeUndefined();
    expect(e.delegation_chain).toBeUndefined();
    expect(e.attributes).toMatchObject({
      'okta.task_id': '{"x":1}',
      'okta.delegation_chain': 'triage other',
      'agentwatch.fields_ignored': 'task_id,delegation_chain',
    });
  });

  it('paths are configurable; [] turns a field off', () => {
    const a = createOktaAdapter({ parentTokenIdPaths: ['debugContext.debugData.subjectTokenJti'], taskIdPaths: [] });
    const rec = grant({ agentwatch: { task_id: 't-1' } });
    (rec['debugContext'] as { debugData: Record<string, unknown> }).debugData['subjectTokenJti'] = 'jti-p';
    const e = one(a.map(rec));
    expect(e).toMatchObject({ parent_token_id: 'jti-p' });
    expect(e.task_id).toBeUndefined();
  });
});

describe('OPA: task_id and delegation_chain from the input', () => {
  const decision = (input: Record<string, unknown>) => ({
    decision_id: 'd-1',
    path: 'agents/authz/allow',
    input,
    result: true,
    timestamp: '2026-11-02T09:00:00Z',
  });

  it('maps input.task_id and input.delegation_chain', () => {
    const e = one(createOpaAdapter().map(decision({ agent_id: 'b', task_id: 'task-1', delegation_chain: ['a', 'b'] })));
    expect(e).toMatchObject({ kind: 'policy_decision', task_id: 'task-1', delegation_chain: ['a', 'b'] });
  });

  it('a chain that does not end with the agent is not mapped', () => {
    const e = one(createOpaAdapter().map(decision({ agent_id: 'b', delegation_chain: ['a', 'c'] })));
    expect(e.delegation_chain).toBeUndefined();
    expect(e.attributes).toMatchObject({ 'opa.delegation_chain': '["a","c"]', 'agentwatch.fields_ignored': 'delegation_chain' });
  });
});
