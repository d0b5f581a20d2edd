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

describe('config: secrets are never quoted in an error', () => {
  const secret = 'Zq7-not-a-real-token-9f2c1e8b7a6d5c4b';
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected a throw');
  };

  it('a YAML syntax error on the token line names the file, line and column, not the line itself', () => {
    const f = file('broken.yaml', `listen: 127.0.0.1:7070\nbootstrap_token: "${secret}\nregistry: r.yaml\n`);
    const m = message(() => loadConfig({ file: f, env: {}, flags: {} }));
    expect(m).toMatch(/broken\.yaml: not valid YAML or JSON: .*line \d+, column \d+/);
    expect(m).not.toContain(secret.slice(4, 20));
  });

  it('a token pasted where a key belongs is not echoed as the unknown key', () => {
    const f = file('pasted.yaml', `${secret}: true\n`);
    const m = message(() => loadConfig({ file: f, env: { AGENTWATCH_BOOTSTRAP_TOKEN: secret }, flags: {} }));
    expect(m).toContain('unknown key');
    expect(m).not.toContain(secret);
    const tokenShaped = `aw_${'k'.repeat(43)}`;
    expect(message(() => loadConfig({ file: file('aw.yaml', `${tokenShaped}: 1\n`), env: {}, flags: {} }))).not.toContain(tokenShaped);
  });

  it('a bootstrap token that is too short is refused by name, without its value', () => {
    const m = message(() => loadConfig({ env: { AGENTWATCH_BOOTSTRAP_TOKEN: 'short-Secret9' }, flags: {} }));
    expect(m).toContain('bootstrap_token');
    expect(m).not.toContain('short-Secret9');
  });

  it('TLS files come from the file or AGENTWATCH_TLS_CERT / AGENTWATCH_TLS_KEY (environment over file)', () => {
    const f = file('tls.yaml', 'tls_cert_file: /etc/aw/cert.pem\ntls_key_file: /etc/aw/key.pem\n');
    expect(loadConfig({ file: f, env: {}, flags: {} })).toMatchObject({ tls_cert_file: '/etc/aw/cert.pem', tls_key_file: '/etc/aw/key.pem' });
    expect(loadConfig({ file: f, env: { AGENTWATCH_TLS_CERT: '/run/c.pem', AGENTWATCH_TLS_KEY: '/run/k.pem' }, flags: {} })).toMatchObject({
      tls_cert_file: '/run/c.pem',
      tls_key_file: '/run/k.pem',
    });
  });
});
