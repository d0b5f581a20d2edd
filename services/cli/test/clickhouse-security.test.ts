import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/support/self-signed-cert.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { clickhouseSecurity } from '../src/clickhouse-security.ts';
import { loadConfig } from '../src/config.ts';

const dir = tempDir('aw-ch-sec-');
const ca = selfSignedCert(dir, 'ca');
const client = selfSignedCert(dir, 'client');
const PASSWORD = `chpw-${Math.random().toString(36).slice(2)}`;
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, `${PASSWORD}\n`);

function build(file: Record<string, unknown>, env: Record<string, string> = {}) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, JSON.stringify(file));
  return clickhouseSecurity(loadConfig({ file: path, env, flags: {} }), env);
}
function refused(file: Record<string, unknown>, env: Record<string, string> = {}): string {
  try {
    build(file, env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the ClickHouse settings to be refused');
}

describe('clickhouseSecurity: the ClickHouse server of CLICKHOUSE_URL with TLS and credentials', () => {
  it('no clickhouse_url: the embedded store (null); a clickhouse_* setting without it is refused', () => {
    expect(build({})).toBeNull();
    expect(refused({ clickhouse_user: 'svc' })).toMatch(/clickhouse_user is set but clickhouse_url \(CLICKHOUSE_URL\) is not/);
    expect(refused({}, { AGENTWATCH_CLICKHOUSE_PASSWORD: 'x' })).toMatch(/AGENTWATCH_CLICKHOUSE_PASSWORD is set but clickhouse_url/);
  });

  it('all settings: PEM text, user, password from its file; the password and key are secrets to scrub', () => {
    const s = build({
      clickhouse_url: 'https://ch.example:8443',
      clickhouse_ca_file: ca.cert,
      clickhouse_cert_file: client.cert,
      clickhouse_key_file: client.key,
      clickhouse_user: 'svc',
      clickhouse_password_file: passwordFile,
    });
    expect(s?.server).toEqual({
      url: 'https://ch.example:8443',
      username: 'svc',
      password: PASSWORD,
      ca: readFileSync(ca.cert, 'utf8'),
      cert: readFileSync(client.cert, 'utf8'),
      key: readFileSync(client.key, 'utf8'),
    });
    expect(s?.secrets).toEqual([PASSWORD, readFileSync(client.key, 'utf8')]);
  });

  it('environment over file: CLICKHOUSE_URL, AGENTWATCH_CLICKHOUSE_USER, AGENTWATCH_CLICKHOUSE_PASSWORD; a password alone logs in as default', () => {
    const s = build(
      { clickhouse_url: 'https://file:8443', clickhouse_user: 'file-user', clickhouse_password_file: passwordFile },
      { CLICKHOUSE_URL: 'https://env:8443', AGENTWATCH_CLICKHOUSE_USER: 'env-user', AGENTWATCH_CLICKHOUSE_PASSWORD: 'env-pw' },
    );
    expect(s?.server).toEqual({ url: 'https://env:8443', username: 'env-user', password: 'env-pw' });
    expect(build({ clickhouse_url: 'https://ch:8443' }, { AGENTWATCH_CLICKHOUSE_PASSWORD: 'pw' })?.server).toMatchObject({ username: 'default' });
  });

  it('refused: TLS files with http://, credentials twice, a password in the config file, bad files', () => {
    expect(refused({ clickhouse_url: 'http://ch:8123', clickhouse_ca_file: ca.cert })).toMatch(/TLS needs https/);
    expect(refused({ clickhouse_url: 'https://u:p@ch:8443', clickhouse_user: 'svc' })).toMatch(/give the credentials one way/);
    const inline = refused({ clickhouse_url: 'https://ch:8443', clickhouse_password: PASSWORD });
    expect(inline).toMatch(/clickhouse_password: a secret is not accepted in the config file; use clickhouse_password_file/);
    expect(inline).not.toContain(PASSWORD);
    expect(refused({ clickhouse_url: 'https://ch:8443', clickhouse_ca_file: join(dir, 'none.pem') })).toBe(
      `clickhouse_ca_file: cannot read ${join(dir, 'none.pem')}: no such file`,
    );
    expect(refused({ clickhouse_url: 'https://ch:8443', clickhouse_key_file: client.key })).toMatch(
      /clickhouse_key_file is set but clickhouse_cert_file is not/,
    );
  });
});
