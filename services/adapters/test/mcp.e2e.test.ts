import { readFileSync } from 'node:fs';
import { BUILTIN_RULES, loadRegistryOrThrow, runEvents } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createMcpAdapter } from '../src/mcp/index.ts';

const SAMPLES = new URL('../../../../shared/samples/mcp/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8')) as Record<string, unknown>;
const REQUEST = read('CallToolRequest_call-tool-request.json');
const RESPONSE = read('CallToolResultResponse_call-tool-result-response.json');

const WEATHER_BOT = 'spiffe://corp.example/agents/weather-bot';

const REGISTRY = `
people:
  - { id: alice@corp.example, status: active }
agents:
  - id: ${WEATHER_BOT}
    name: Weather assistant
    owner: alice@corp.example
    status: active
    purpose: Answers weather questions
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
    scope:
      tools: ["get_weather", "get_forecast"]
`;

const RELEVANT = ['registry.unregistered_agent', 'scope.tool_outside_registry'];

/** A gateway log line around one JSON-RPC message (the gateway, not the message, knows the time and the calling agent). */
const logLine = (message: unknown, time: string, session: string, agent?: string) => ({
  time,
  session_id: session,
  ...(agent ? { agent_id: agent } : {}),
  message,
});

/** The 2025-11-25 shape (samples README section 6), for a tool of our choosing. */
const oldCall = (id: number, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { path: '/etc' } } });
const oldResult = (id: number) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }], isError: false } });

function mapAll(records: unknown[]): CanonicalEvent[] {
  const mcp = createMcpAdapter();
  const events: CanonicalEvent[] = [];
  for (const r of [...records.map((r) => mcp.map(r)), mcp.flush()]) {
    expect(r.rejects).toEqual([]);
    events.push(...r.events);
  }
  return events;
}

const ruleIds = (events: CanonicalEvent[]) =>
  runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(REGISTRY, 'test'), events })
    .map((a) => a.rule_id)
    .filter((id) => RELEVANT.includes(id));

describe('MCP tools/call end to end', () => {
  it('an in-scope call by a registered agent raises neither rule', () => {
    const events = mapAll([
      logLine(REQUEST, '2026-11-02T09:00:00.000Z', 'sess-1', WEATHER_BOT),
      logLine(RESPONSE, '2026-11-02T09:00:00.800Z', 'sess-1', WEATHER_BOT),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'tool_call', agent_id: WEATHER_BOT, tool: 'get_weather', outcome: 'success' });
    expect(ruleIds(events)).toEqual([]);
  });

  it('a call outside the registered tools raises scope.tool_outside_registry', () => {
    const events = mapAll([
      logLine(oldCall(2, 'list_directory'), '2026-11-02T09:01:00.000Z', 'sess-1', WEATHER_BOT),
      logLine(oldResult(2), '2026-11-02T09:01:00.300Z', 'sess-1'),
    ]);
    expect(events[0]).toMatchObject({ tool: 'list_directory', agent_id: WEATHER_BOT });
    expect(ruleIds(events)).toEqual(['scope.tool_outside_registry']);
  });

  it('a call by an agent the registry does not list raises registry.unregistered_agent', () => {
    // No agent in the envelope: the sample's self-reported clientInfo name (ExampleClient) is the agent.
    const events = mapAll([logLine(REQUEST, '2026-11-02T09:02:00.000Z', 'sess-2'), logLine(RESPONSE, '2026-11-02T09:02:01.000Z', 'sess-2')]);
    expect(events[0]).toMatchObject({ agent_id: 'ExampleClient', attributes: { 'mcp.agent_from': 'clientInfo in params._meta (self-reported)' } });
    expect(ruleIds(events)).toEqual(['registry.unregistered_agent']);
  });
});
