import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createOtlpAdapter, detectOtlp } from '../src/otlp/index.ts';
import { readSample } from './otlp-fixtures.ts';

/**
 * The only real GenAI agent traces (mozilla-ai/any-agent, samples/README.md §1). Their ids are decimal
 * integers beyond 2^53, so JSON.parse already rounded them: the hex ids below are what those rounded
 * numbers give (stable, flagged `agentwatch.ids_lossy`).
 */
describe('otlp adapter on the any-agent sample traces', () => {
  const adapter = createOtlpAdapter();

  it('detects both sample files as this format', () => {
    expect(detectOtlp(readSample('any-agent_OPENAI_trace.json'))).toBe(true);
    expect(detectOtlp(readSample('any-agent_GOOGLE_trace.json'))).toBe(true);
  });

  it('OPENAI: two execute_tool spans map (agent from the invoke_agent parent), four other spans are skipped', () => {
    const r = adapter.map(readSample('any-agent_OPENAI_trace.json'));
    expect(r.rejects).toEqual([]);
    expect(r.skipped).toBe(4);
    expect(r.skipReason).toBe('span "call_llm mistral/mistral-small-latest": gen_ai.operation.name is "call_llm", not execute_tool');
    const common = {
      'otel.trace_id': '4bedea77bb33b8000000000000000000',
      'otel.parent_span_id': 'ab08afea3548c800',
      'otel.span.kind': 'internal',
      'otel.status_code': 'OK',
      'agentwatch.agent_id_from': 'agent_span:gen_ai.agent.name',
      'agentwatch.agent_span_id': 'ab08afea3548c800',
      'agentwatch.agent_span_match': 'ancestor',
      'agentwatch.ids_lossy': 'true',
      'gen_ai.output.type': 'json',
      'resource.service.name': 'unknown_service',
    };
    expect(r.events).toEqual([
      {
        kind: 'tool_call',
        event_id: 'otel:4bedea77bb33b8000000000000000000:bdf28428cc0e9000',
        time: '2025-09-16T12:43:13.450Z',
        agent_id: 'any_agent',
        source: 'otel',
        tool: 'get_current_time',
        outcome: 'success',
        duration_ms: 2.52,
        attributes: {
          ...common,
          'otel.span_id': 'bdf28428cc0e9000',
          'otel.span.name': 'execute_tool get_current_time',
          'gen_ai.tool.description': 'Get current time in a specific timezones',
        },
      },
      {
        kind: 'tool_call',
        event_id: 'otel:4bedea77bb33b8000000000000000000:2f36d63682b60000',
        time: '2025-09-16T12:43:13.769Z',
        agent_id: 'any_agent',
        source: 'otel',
        tool: 'write_file',
        outcome: 'success',
        duration_ms: 2.179,
        attributes: {
          ...common,
          'otel.span_id': '2f36d63682b60000',
          'otel.span.name': 'execute_tool write_file',
          'gen_ai.tool.description': 'write the text to a file in the tmp_path directory',
        },
      },
    ]);
    // Tool arguments and outputs (gen_ai.tool.args, gen_ai.output) are content: excluded by default.
    for (const e of r.events) expect(Object.keys(e.attributes ?? {})).not.toContain('gen_ai.tool.args');
  });

  it('GOOGLE: parents were not exported, so the one enclosing invoke_agent span names the agent; tool call ids kept', () => {
    const r = adapter.map(readSample('any-agent_GOOGLE_trace.json'));
    expect(r.rejects).toEqual([]);
    expect(r.skipped).toBe(4);
    expect(
      r.events.map((e) => ({
        event_id: e.event_id,
        time: e.time,
        agent_id: e.agent_id,
        tool: e.kind === 'tool_call' ? e.tool : undefined,
        outcome: e.kind === 'tool_call' ? e.outcome : undefined,
        duration_ms: e.kind === 'tool_call' ? e.duration_ms : undefined,
        call_id: e.attributes?.['gen_ai.tool.call.id'],
        match: e.attributes?.['agentwatch.agent_span_match'],
        agent_span: e.attributes?.['agentwatch.agent_span_id'],
      })),
    ).toEqual([
      {
        event_id: 'otel:cdbd7b99cef220000000000000000000:cfa478aff011e800',
        time: '2025-09-16T12:43:06.853Z',
        agent_id: 'any_agent',
        tool: 'get_current_time',
        outcome: 'success',
        duration_ms: 3.636,
        call_id: 'jbUWqgIUr',
        match: 'enclosing',
        agent_span: '773076b4028f3c00',
      },
      {
        event_id: 'otel:cdbd7b99cef220000000000000000000:65fd4833c24a3000',
        time: '2025-09-16T12:43:07.202Z',
        agent_id: 'any_agent',
        tool: 'write_file',
        outcome: 'success',
        duration_ms: 1.856,
        call_id: 'j5pzf0TaM',
        match: 'enclosing',
        agent_span: '773076b4028f3c00',
      },
      {
        event_id: 'otel:cdbd7b99cef220000000000000000000:6fa6b13adfb42c00',
        time: '2025-09-16T12:43:07.926Z',
        agent_id: 'any_agent',
        tool: 'final_output',
        outcome: 'success',
        duration_ms: 2.911,
        call_id: 'Je755BQAS',
        match: 'enclosing',
        agent_span: '773076b4028f3c00',
      },
    ]);
    for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
    // With a tighter bound, the long docstring description is cut with a marker.
    const tight = createOtlpAdapter({ maxAttributeChars: 100 }).map(readSample('any-agent_GOOGLE_trace.json'));
    expect(tight.events[2]?.attributes?.['gen_ai.tool.description']).toBe(
      'This tool is used to validate the final output. It must be called when the final answer is ready in …[875 chars]',
    );
  });

  it('GOOGLE without the enclosing-span fallback: every tool span is rejected, naming the attributes looked at', () => {
    const strict = createOtlpAdapter({ enclosingAgentSpanFallback: false });
    const r = strict.map(readSample('any-agent_GOOGLE_trace.json'));
    expect(r.events).toEqual([]);
    expect(r.rejects.map((x) => x.path)).toEqual(['spans[1]', 'spans[3]', 'spans[5]']);
    expect(r.rejects[0]?.reason).toBe(
      'no agent identity: none of span:gen_ai.agent.id, span:gen_ai.agent.name, agent_span:gen_ai.agent.id, agent_span:gen_ai.agent.name, ' +
        'resource:gen_ai.agent.id, resource:gen_ai.agent.name, resource:service.name is set (no invoke_agent span found for agent_span:*); ' +
        'ignored as placeholders: resource:service.name="unknown_service"',
    );
  });

  it('mapping the same sample twice gives the same event ids', () => {
    const a = adapter.map(readSample('any-agent_OPENAI_trace.json')).events.map((e) => e.event_id);
    const b = adapter.map(readSample('any-agent_OPENAI_trace.json')).events.map((e) => e.event_id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });
});
