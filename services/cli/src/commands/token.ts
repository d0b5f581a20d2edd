import { join, resolve } from 'node:path';
import { createTokenStore } from '@agentwatch/api';
import { createStore } from '@agentwatch/store';
import { loadConfig } from '../config.ts';

/**
 * `agentwatch token create --role R` (cli.md, api.md): prints a new API token once; only its hash is
 * stored. With embedded ClickHouse the data folder is bound to one process, so run it while `up` is
 * stopped, or point both at a ClickHouse server (CLICKHOUSE_URL).
 */
export async function tokenCreate(o: { role: 'viewer' | 'analyst' | 'engineer' | 'admin'; config?: string; data?: string }): Promise<number> {
  const config = loadConfig({ ...(o.config ? { file: o.config } : {}), env: process.env, flags: o.data ? { data_dir: o.data } : {} });
  const store = createStore({
    ...(config.clickhouse_url ? { clickhouseUrl: config.clickhouse_url } : {}),
    dataDir: join(resolve(config.data_dir), 'clickhouse'),
    database: 'agentwatch',
  });
  try {
    await store.migrate();
    const created = await createTokenStore(store).createToken(o.role);
    process.stdout.write(`${created.token}\n`);
    process.stderr.write(`token ${created.token_id} (role ${o.role}) created; it is shown only once\n`);
  } finally {
    await store.close();
  }
  return 0;
}
