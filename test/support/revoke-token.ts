// Revokes an API token in an embedded store, as a child process of its own (chdb binds a data folder to one
// process, so the test process cannot open the folder `up` uses). There is no CLI command for it (a running up revokes
// with DELETE /v1/tokens/{id}). Usage: node --import tsx revoke-token.ts <data-dir> <token_id>
import { join, resolve } from 'node:path';
import { createTokenStore } from '@agentwatch/api';
import { createStore } from '@agentwatch/store';

const [dataDir, tokenId] = process.argv.slice(2);
if (!dataDir || !tokenId) throw new Error('usage: revoke-token.ts <data-dir> <token_id>');
const store = createStore({ dataDir: join(resolve(dataDir), 'clickhouse'), database: 'agentwatch' });
try {
  await store.migrate();
  if (!(await createTokenStore(store).revoke(tokenId))) throw new Error(`no token ${tokenId}`);
  process.stderr.write(`token ${tokenId} revoked\n`);
} finally {
  await store.close();
}
