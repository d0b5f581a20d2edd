import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { loadConfig, parseSourceTopicsEnv } from '../src/config.ts';

const dir = tempDir('aw-config-');
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('config: source_topics and adapters', () => {
  it('reads source_topics and adapters from the file, AGENTWATCH_SOURCE_TOPICS over the file', () => {
    const f = file(
      'ok.yaml',
      `source_topics:\n  raw.cloudtrail: cloudtrail\n  raw.vault: vault\nadapters:\n  otlp: { agentIdTemplate: 'spiffe://corp.example/agents/{value}' }\n`,
    );
    const fromFile = loadConfig({ file: f, env: {}, flags: {} });
    expect(fromFile.source_topics).toEqual({ 'raw.cloudtrail': 'cloudtrail', 'raw.vault': 'vault' });
    expect(fromFile.adapters).toEqual({ otlp: { agentIdTemplate: 'spiffe://corp.example/agents/{value}' } });
    const fromEnv = loadConfig({ file: f, env: { AGENTWATCH_SOURCE_TOPICS: ' raw.opa = opa ,raw.mcp=mcp' }, flags: {} });
    expect(fromEnv.source_topics).toEqual({ 'raw.opa': 'opa', 'raw.mcp': 'mcp' });
    expect(loadConfig({ env: {}, flags: {} })).toMatchObject({ source_topics: {}, adapters: {} });
  });

  it('AGENTWATCH_SOURCE_TOPICS entries must be topic=format with a known format', () => {
    expect(parseSourceTopicsEnv('a=otlp,,b=vault')).toEqual({ a: 'otlp', b: 'vault' });
    expect(() => loadConfig({ env: { AGENTWATCH_SOURCE_TOPICS: 'raw.cloudtrail' }, flags: {} })).toThrow(
      'AGENTWATCH_SOURCE_TOPICS: expected topic=format[,topic=format...], got "raw.cloudtrail"',
    );
    expect(() => loadConfig({ env: { AGENTWATCH_SOURCE_TOPICS: 'raw.x=syslog' }, flags: {} })).toThrow(/source_topics\.raw\.x: .*otlp.*mcp/);
  });

  it('a source topic that is also an agentwatch topic is refused (its output would be read again)', () => {
    expect(() => loadConfig({ env: { AGENTWATCH_SOURCE_TOPICS: 'agentwatch.events=otlp' }, flags: {} })).toThrow(
      'source_topics.agentwatch.events: is also events_topic',
    );
    expect(() => loadConfig({ env: { AGENTWATCH_SOURCE_TOPICS: 'dead=vault', AGENTWATCH_DLQ_TOPIC: 'dead' }, flags: {} })).toThrow(/is also dlq_topic/);
  });

  it('adapter options are checked by their adapter at load time, naming file, format and field', () => {
    const bad = file('bad.yaml', 'adapters:\n  opa:\n    agentPaths: []\n    defaultAgent: 7\n  okta: { nope: true }\n');
    expect(() => loadConfig({ file: bad, env: {}, flags: {} })).toThrow(
      `invalid configuration (${bad}): adapters.okta.nope: unknown key "nope"; adapters.opa.defaultAgent: Invalid input: expected string, received number`,
    );
    const unknown = file('unknown.yaml', 'adapters:\n  otel: {}\n');
    expect(() => loadConfig({ file: unknown, env: {}, flags: {} })).toThrow(/adapters\.otel: unknown key "otel"/);
  });
});
