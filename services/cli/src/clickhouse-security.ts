import type { AgentwatchConfig } from '@agentwatch/schemas';
import { ClickHouseConnectionError, type ClickHouseServer, serverClientOptions } from '@agentwatch/store';
import { CliError } from './load.ts';
import { readCertificateAndKey, readCertificateFile, resolveSecret } from './setting-files.ts';

type ClickHouseSettings = Pick<
  AgentwatchConfig,
  'clickhouse_url' | 'clickhouse_ca_file' | 'clickhouse_cert_file' | 'clickhouse_key_file' | 'clickhouse_user' | 'clickhouse_password_file'
>;

/** The ClickHouse server `up` and `token create` store into, and the secrets to scrub from their logs. */
export interface ClickHouseSecurity {
  server: ClickHouseServer;
  secrets: string[];
}

/**
 * The ClickHouse server of CLICKHOUSE_URL with its CA, client certificate and credentials, every file read and checked
 * now (a CliError, exit 2, naming the setting and the path). The password: AGENTWATCH_CLICKHOUSE_PASSWORD, else the file
 * `clickhouse_password_file` names. Null without `clickhouse_url` (the embedded engine); a `clickhouse_*` setting
 * without it is refused, as it would be ignored.
 */
export function clickhouseSecurity(c: ClickHouseSettings, env: NodeJS.ProcessEnv): ClickHouseSecurity | null {
  const password = resolveSecret({ fileSetting: 'clickhouse_password_file', file: c.clickhouse_password_file, envName: 'AGENTWATCH_CLICKHOUSE_PASSWORD', env });
  if (!c.clickhouse_url) {
    const stray = (['clickhouse_ca_file', 'clickhouse_cert_file', 'clickhouse_key_file', 'clickhouse_user', 'clickhouse_password_file'] as const).find(
      (k) => c[k] !== undefined,
    );
    const given = stray ?? (password !== undefined ? 'AGENTWATCH_CLICKHOUSE_PASSWORD' : null);
    if (given) throw new CliError(`${given} is set but clickhouse_url (CLICKHOUSE_URL) is not: the embedded store needs no credentials`, 2);
    return null;
  }
  const server: ClickHouseServer = { url: c.clickhouse_url };
  const secrets: string[] = [];
  if (c.clickhouse_user !== undefined) server.username = c.clickhouse_user;
  if (password !== undefined) {
    server.password = password;
    secrets.push(password);
  }
  if (password !== undefined && server.username === undefined) server.username = 'default';
  if (c.clickhouse_ca_file) server.ca = readCertificateFile('clickhouse_ca_file', c.clickhouse_ca_file);
  const pair = readCertificateAndKey(
    { setting: 'clickhouse_cert_file', path: c.clickhouse_cert_file },
    { setting: 'clickhouse_key_file', path: c.clickhouse_key_file },
  );
  if (pair) {
    server.cert = pair.cert;
    server.key = pair.key;
    secrets.push(pair.key);
  }
  try {
    serverClientOptions(server);
  } catch (e) {
    if (e instanceof ClickHouseConnectionError) throw new CliError(e.message, 2);
    throw e;
  }
  return { server, secrets };
}
