import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exporterTarget } from '@agentwatch/exporters';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/support/self-signed-cert.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { loadConfig } from '../src/config.ts';
import { resolveExporterSecrets } from '../src/exporter-secrets.ts';

const dir = tempDir('aw-exporter-config-');
const ca = selfSignedCert(dir, 'ca');
const TOKEN = `hec-${Math.random().toString(36).slice(2)}-secret`;
const tokenFile = join(dir, 'hec-token');
writeFileSync(tokenFile, `${TOKEN}\n`);

/** The config as `up` loads it, then the exporters' secrets from it and the same environment. */
function build(exporters: unknown[], env: Record<string, string> = {}) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ exporters }));
  const config = loadConfig({ file: path, env, flags: {} });
  return { config, secrets: resolveExporterSecrets(config.exporters, env) };
}
function refused(exporters: unknown[], env: Record<string, string> = {}): string {
  try {
    build(exporters, env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the exporters to be refused');
}

const hec = { name: 'splunk', type: 'hec', url: 'https://splunk.example:8088/services/collector/event', token_file: tokenFile };

describe('exporters: config (exporters.md)', () => {
  it('reads every type with its defaults, and the secret from its file or variable', () => {
    const { config, secrets } = build(
      [
        hec,
        { name: 'soc', type: 'syslog', address: 'tls://siem.example:6514', ca_file: ca.cert, filter: { min_severity: 'high' } },
        { name: 'lake', type: 'ocsf', path: '/var/lib/agentwatch/findings.ndjson' },
        { name: 'soar', type: 'webhook', url: 'https://soar.example/hooks/aw', secret_env: 'SOAR_SECRET' },
        { name: 'topic', type: 'kafka', topic: 'agentwatch.alerts.export', brokers: ['k1:9093'] },
      ],
      { SOAR_SECRET: 'hmac-key-0123456789' },
    );
    expect(config.exporters.map((e) => [e.name, e.type, e.batch_size, e.timeout])).toEqual([
      ['splunk', 'hec', 100, '10s'],
      ['soc', 'syslog', 100, '10s'],
      ['lake', 'ocsf', 100, '10s'],
      ['soar', 'webhook', 100, '10s'],
      ['topic', 'kafka', 100, '10s'],
    ]);
    expect(secrets.get('splunk')?.secret).toBe(TOKEN);
    expect(secrets.get('soar')?.secret).toBe('hmac-key-0123456789');
    expect(secrets.get('soc')?.tls).toMatchObject({ rejectUnauthorized: true });
    expect(secrets.get('soc')?.tls?.ca).toContain('BEGIN CERTIFICATE');
  });

  it('a token or secret written in the config file is refused, naming where it goes and never quoting it', () => {
    const m = refused([{ ...hec, token_file: undefined, token: TOKEN }]);
    expect(m).toMatch(/exporters\[0\]\.token: a secret is not accepted in the config file; use token_file or token_env/);
    expect(m).not.toContain(TOKEN);
    expect(refused([{ name: 'soar', type: 'webhook', url: 'https://soar.example/h', secret: 'x' }])).toMatch(
      /exporters\[0\]\.secret: .*secret_file or secret_env/,
    );
  });

  it('refuses what cannot work: no secret, two secrets, an unset variable, an empty file, duplicate names, a bad address', () => {
    expect(refused([{ ...hec, token_file: undefined }])).toMatch(/set exactly one of token_file and token_env/);
    expect(refused([{ ...hec, token_env: 'T' }])).toMatch(/set exactly one of token_file and token_env/);
    expect(refused([{ ...hec, token_file: undefined, token_env: 'HEC_TOKEN' }])).toMatch(
      /exporters\[0\] \(splunk\)\.token_env: the environment variable HEC_TOKEN is not set or empty/,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(refused([{ ...hec, token_file: empty }])).toMatch(/exporters\[0\] \(splunk\)\.token_file: .*empty/);
    expect(refused([hec, hec])).toMatch(/two exporters are named "splunk"/);
    expect(refused([{ name: 's', type: 'syslog', address: 'syslog.example:514' }])).toMatch(/expected \(tcp\|udp\|tls\|relp\|relp\+tls\):\/\/host:port/);
    expect(refused([{ name: 's', type: 'syslog', address: 'tcp://siem.example:514', ca_file: ca.cert }])).toMatch(
      /TLS settings .* need a tls:\/\/ or relp\+tls:\/\/ address/,
    );
    expect(refused([{ name: 'l', type: 'ocsf' }])).toMatch(/set exactly one of path and url/);
    expect(refused([{ name: 'bad name!', type: 'ocsf', path: '/x' }])).toMatch(/name/);
    expect(refused([{ ...hec, cert_file: ca.cert }])).toMatch(/set cert_file and key_file together/);
  });

  it("an exporter's target shown in GET /v1/exporters and logs carries no credentials", () => {
    const { config } = build([{ ...hec, url: 'https://user:pass@splunk.example:8088/services/collector/event?token=abc' }]);
    expect(exporterTarget(config.exporters[0] as (typeof config.exporters)[number])).toBe('https://splunk.example:8088/services/collector/event');
  });
});
