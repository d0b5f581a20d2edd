import { describe, expect, it } from 'vitest';
import { ADAPTER_FORMATS, AdapterOptionsError, createAdapter, validateAdapterOptions, valueAtPath } from '../src/index.ts';

/** The config file's `adapters:` section, checked against each adapter's own options schema at start-up. */
describe('validateAdapterOptions', () => {
  it('accepts empty options for every format, and valid non-default ones', () => {
    expect(validateAdapterOptions(Object.fromEntries(ADAPTER_FORMATS.map((f) => [f, {}])))).toBeTruthy();
    const ok = { otlp: { agentIdFrom: ['resource:service.name'], agentIdTemplate: 'spiffe://corp.example/agents/{value}' }, opa: { defaultAgent: 'gw' } };
    expect(validateAdapterOptions(ok)).toEqual(ok);
  });

  it('names the format and the field as the config file spells it, for every problem at once', () => {
    let error: unknown;
    try {
      validateAdapterOptions({ otlp: { agentIdFrom: ['span:gen_ai.agent.id', 'gen_ai.agent.name'], maxAttributes: 2 }, vault: { colour: 'red' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdapterOptionsError);
    const e = error as AdapterOptionsError;
    expect(e.format).toBe('otlp');
    expect(e.problems).toEqual([
      { path: 'adapters.otlp.agentIdFrom[1]', message: 'expected "span:<attribute>", "agent_span:<attribute>" or "resource:<attribute>"' },
      { path: 'adapters.otlp.maxAttributes', message: expect.stringMatching(/>=16|16/) },
      { path: 'adapters.vault.colour', message: 'unknown key "colour"' },
    ]);
    expect(e.message).toContain('adapters.otlp.agentIdFrom[1]: expected "span:<attribute>"');
  });

  it('refuses a format that has no adapter, and options that are not an object', () => {
    expect(() => validateAdapterOptions({ otel: {} })).toThrow('adapters.otel: unknown format; expected one of otlp, vault, cloudtrail, okta, opa, mcp');
    expect(() => validateAdapterOptions({ mcp: ['x'] })).toThrow(/^adapters\.mcp: /);
  });

  it('what it accepts, createAdapter accepts', () => {
    const options = { agentIdFrom: ['resource:service.name'] };
    validateAdapterOptions({ otlp: options });
    expect(createAdapter('otlp', options).format).toBe('otlp');
  });
});

describe('valueAtPath', () => {
  const record = { resourceSpans: [{ scopeSpans: [{}, { spans: [{ a: 1 }, { b: 2 }] }] }], resource_logs: [{ x: 'y' }], 'a.b': { c: 3 } };
  it('follows reject paths into a record (lowerCamelCase, then snake_case), or gives undefined', () => {
    expect(valueAtPath(record, 'resourceSpans[0].scopeSpans[1].spans[1]')).toEqual({ b: 2 });
    expect(valueAtPath(record, 'resourceLogs[0].x')).toBe('y');
    expect(valueAtPath(record, '["a.b"].c')).toBe(3);
    expect(valueAtPath(record, 'resourceSpans[3]')).toBeUndefined();
    expect(valueAtPath(record, 'resourceSpans.x')).toBeUndefined();
    expect(valueAtPath([{ k: 1 }], '[0].k')).toBe(1);
  });
});
