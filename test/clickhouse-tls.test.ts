// ClickHouse server security settings (issue 15 item 2) against a REAL ClickHouse server: Debian's clickhouse-server
// (installed by scripts/ensure-clickhouse-server.sh), HTTPS only, client certificates required at the handshake, a
// user with a password. Settings go through the same path as `up` (config file + environment -> clickhouseSecurity ->
// createStore). Debian's server is old (18.16): it proves TLS, client certificates and credentials, not agentwatch's
// tables (migrations need a current ClickHouse; the embedded engine runs them in the other tests).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStore, type Store } from '@agentwatch/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseSecurity } from '../services/cli/src/clickhouse-security.ts';
import { loadConfig } from '../services/cli/src/config.ts';
import { type ClickHouseTlsServer, ensureClickHouseServer, makeCa, startClickHouseTls } from './support/clickhouse-server.ts';
import { tempDir } from './support/temp-dir.ts';

const dir = tempDir('aw-ch-tls-');
const missing = ensureClickHouseServer();
const required = !!process.env['CI'] && process.env['CI'] !== 'false' && process.env['CI'] !== '0';
let server: ClickHouseTlsServer;
const stores: Store[] = [];

/** A store opened the way `up` opens it, from a config file and an environment; resolves `SELECT 1` or rejects. */
async function select1(file: Record<string, unknown>, env: Record<string, string> = {}): Promise<unknown> {
  const path = join(dir, `config-${stores.length}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ clickhouse_url: server.url, ...file }));
  const sec = clickhouseSecurity(loadConfig({ file: path, env, flags: {} }), env);
  const store = createStore({ ...(sec ? { clickhouse: sec.server } : {}), dataDir: join(dir, 'unused'), database: 'agentwatch' });
  stores.push(store);
  const rs = await store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' });
  return rs.json();
}

describe.skipIf(missing !== '' && !required)('ClickHouse over TLS with a client certificate and a password (a real clickhouse-server)', () => {
  beforeAll(async () => {
    if (missing !== '') throw new Error(missing);
    server = await startClickHouseTls(dir);
  }, 600_000);
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await server?.stop();
  });

  const full = () => ({
    clickhouse_ca_file: server.ca,
    clickhouse_cert_file: server.clientCert,
    clickhouse_key_file: server.clientKey,
    clickhouse_user: server.user,
    clickhouse_password_file: server.passwordFile,
  });

  it('CA, client certificate, user and password file: SELECT 1 answers', async () => {
    expect(await select1(full())).toEqual([{ '1': 1 }]);
  });

  it('the password from AGENTWATCH_CLICKHOUSE_PASSWORD wins over the file', async () => {
    const wrongFile = join(dir, 'wrong-password');
    writeFileSync(wrongFile, 'not-the-password\n');
    await expect(select1({ ...full(), clickhouse_password_file: wrongFile })).rejects.toThrow(/Wrong password for user agentwatch/);
    expect(await select1({ ...full(), clickhouse_password_file: wrongFile }, { AGENTWATCH_CLICKHOUSE_PASSWORD: server.password })).toEqual([{ '1': 1 }]);
  });

  it('a wrong password is refused by the server; the error does not quote the real one', async () => {
    const err = await select1(full(), { AGENTWATCH_CLICKHOUSE_PASSWORD: 'guess' }).catch((e: unknown) => e as Error);
    expect(String(err)).toMatch(/Wrong password/);
    expect(String(err)).not.toContain(server.password);
  });

  it('without the client certificate the handshake fails', async () => {
    const { clickhouse_cert_file: _c, clickhouse_key_file: _k, ...noCert } = full();
    await expect(select1(noCert)).rejects.toThrow(/certificate|socket hang up|ECONNRESET|EPROTO/i);
  });

  it('a server certificate the configured CA did not sign is not trusted', async () => {
    const stranger = makeCa(dir, 'stranger-ca');
    await expect(select1({ ...full(), clickhouse_ca_file: stranger.cert })).rejects.toThrow(/certificate/i);
    // Nor is it by default (system CAs only).
    const { clickhouse_ca_file: _ca, ...noCa } = full();
    await expect(select1(noCa)).rejects.toThrow(/certificate/i);
  });
});
