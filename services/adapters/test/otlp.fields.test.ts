import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { type AdapterResult, createOtlpAdapter } from '../src/index.ts';
import { agentSpan, otlpExport, otlpSpan, toolAttrs } from './otlp-fixtures.ts';

type ToolCall = Extract<CanonicalEvent, { kind: 'tool_call' }>;
const adapter = createOtlpAdapter();
const one = (r: AdapterResult): ToolCall => {
  expect(r.rejects).toEqual([]);
  expect(r.events).toHaveLength(1);
  return r.events[0] as ToolCall;
};

describe('OTLP fields: canonical tool_call fields semconv does not define', () => {
  const full = {
    'gen_ai.agent.id': 'agent-b',
    'agentwatch.task_id': 'task-7',
    'agentwatch.source_ip': '10.1.2.3',
    'agentwatch.bytes_in': 12,
    'agentwatch.bytes_out': 4096,
    'agentwatch.records': 3,
    'agentwatch.context_trust': 'untrusted',
    'agentwatch.approval.by': 'carol@corp.example',
    'agentwatch.approval.at': '2026-11-02T08:59:00+00:00',
    'agentwatch.delegation_chain': ['agent-a', 'agent-b'],
  };

  it('are read from agentwatch.* span attributes by default and leave attributes', () => {
    const e = one(adapter.map(otlpExport([otlpSpan(toolAttrs('t', full))])));
    expect(e).toMatchObject({
      task_id: 'task-7',
      source_ip: '10.1.2.3',
      bytes_in: 12,
      bytes_out: 4096,
      records: 3,
      context_trust: 'untrusted',
      approval: { by: 'carol@corp.example', at: '2026-11-02T08:59:00.000Z' },
      delegation_chain: ['agent-a', 'agent-b'],
    });
    expect(Object.keys(e.attributes ?? {}).filter((k) => k.startsWith('agentwatch.') && k !== 'agentwatch.agent_id_from')).toEqual([]);
  });

  it('task_id and delegation_chain fall back to the invoke_agent span', () => {
    const e = one(
      adapter.map(
        otlpExport([
          otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'agent-b' })),
          agentSpan({ 'agentwatch.task_id': 'task-9', 'agentwatch.delegation_chain': ['agent-a', 'agent-b'] }),
        ]),
      ),
    );
    expect(e).toMatchObject({ task_id: 'task-9', delegation_chain: ['agent-a', 'agent-b'] });
  });

  it('wrong types are not mapped: the value stays in attributes and the field is named in agentwatch.fields_ignored', () => {
    const e = one(
      adapter.map(
        otlpExport([
          otlpSpan(
            toolAttrs('t', {
              'gen_ai.agent.id': 'agent-b',
              'agentwatch.source_ip': 'not-an-ip',
              'agentwatch.bytes_out': -1,
              'agentwatch.context_trust': 'maybe',
              'agentwatch.approval.by': 'carol',
              'agentwatch.approval.at': 'yesterday',
              'agentwatch.delegation_chain': ['agent-a', 'agent-c'],
            }),
          ),
        ]),
      ),
    );
    expect(e.source_ip).toBeUndefined();
    expect(e.bytes_out).toBeUndefined();
    expect(e.context_trust).toBeUndefined();
    expect(e.delegation_chain).toBeUndefined();
    expect(e.approval).toEqual({ by: 'carol' });
    expect(e.attributes?.['agentwatch.fields_ignored']).toBe('source_ip,delegation_chain,bytes_out,context_trust,approval_at');
    expect(e.attributes?.['agentwatch.source_ip']).toBe('not-an-ip');
    expect(e.attributes?.['agentwatch.delegation_chain']).toBe('["agent-a","agent-c"]');
  });

  it('selectors are configurable per field, [] turns a field off, and bad selectors are refused', () => {
    const a = createOtlpAdapter({ fields: { bytes_out: ['span:app.bytes_out'], task_id: [] } });
    const e = one(
      a.map(otlpExport([otlpSpan(toolAttrs('t', { 'gen_ai.agent.id': 'x', 'app.bytes_out': 7, 'agentwatch.task_id': 'k', 'agentwatch.records': 2 }))])),
    );
    expect(e).toMatchObject({ bytes_out: 7, records: 2 });
    expect(e.task_id).toBeUndefined();
    expect(e.attributes?.['agentwatch.task_id']).toBe('k');
    expect(() => createOtlpAdapter({ fields: { records: ['agentwatch.records'] } })).toThrow(/fields/);
    expect(() => createOtlpAdapter({ fields: { approval: ['span:x'] } as never })).toThrow(/fields/);
  });
});
