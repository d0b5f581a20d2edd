import { join, resolve } from 'node:path';
import { createTokenStore } from '@agentwatch/api';
import { createStore, type Store, StoreInUseError } from '@agentwatch/store';
import { clickhouseSecurity } from '../clickhouse-security.ts';
import { loadConfig } from '../config.ts';
import { CliError } from '../load.ts';
import { parseTokenExpiry } from '../token-expiry.ts';
import { dataDirHolder } from '../up-pid-file.ts';

/**
 * `agentwatch token create --role R [--name TEXT] [--expires TIME|DURATION]` (cli.md, api.md): prints a new API token
 * once; only its hash is stored. Name and expiry are those of POST /v1/tokens (the expiry is checked by the server's
 * clock on every request). With embedded ClickHouse the data folder is bound to one process: while `up` holds it, this says so in one
 * line and names the way to create a token on the running server (cli.md 1.1), never a storage stack trace.
 */
export async function tokenCreate(o: {
  role: 'viewer' | 'analyst' | 'engineer' | 'admin';
  name?: string;
  expires?: string;
  config?: string;
  data?: string;
}): Promise<number> {
  // Checked before the store is opened: a bad flag is told without touching it.
  const name = (o.name ?? '').trim() || `${o.role} token from agentwatch token create`;
  const expiresAtMs = o.expires === undefined ? null : parseTokenExpiry(o.expires, Date.now());
  const config = loadConfig({ ...(o.config ? { file: o.config } : {}), env: process.env, flags: o.data ? { data_dir: o.data } : {} });
  const dataDir = resolve(config.data_dir);
  const inUse = (where: string) =>
    new CliError(
      `token create: the embedded store in ${where} is held by a running agentwatch up; create the token there with POST /v1/tokens (admin token), or stop up first`,
    );
  if (!config.clickhouse_url && dataDirHolder(dataDir) !== null) throw inUse(dataDir);
  const clickhouse = clickhouseSecurity(config, process.env);
  let store: Store;
  try {
    store = createStore({
      ...(clickhouse ? { clickhouse: clickhouse.server } : {}),
      ...(config.clickhouse_cluster ? { cluster: config.clickhouse_cluster } : {}),
      dataDir: join(dataDir, 'clickhouse'),
      database: 'agentwatch',
    });
  } catch (e) {
    // Held by a process that left no up.pid (or an older up): the engine has said so on stderr already.
    if (e instanceof StoreInUseError) throw inUse(e.dataDir);
    throw e;
  }
  try {
    await store.migrate();
    const created = await createTokenStore(store).createToken(o.role, { name, expiresAtMs, createdBy: 'cli' });
    process.stdout.write(`${created.token}\n`);
    const until = created.expires_at ? `, expires ${created.expires_at}` : '';
    process.stderr.write(`token ${created.token_id} (role ${o.role}, name ${JSON.stringify(name)}${until}) created; it is shown only once\n`);
  } finally {
    await store.close();
  }
  return 0;
}
