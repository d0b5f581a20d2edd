import { afterAll, describe, expect, it } from 'vitest';
import { COMPRESS_FROM_CHARS, decodeRegistryContent, encodeRegistryContent } from '../src/registry-content.ts';
import { closeAll, openStore } from './helpers.ts';

afterAll(closeAll);

describe('registry versions: content kept compressed when large', () => {
  it('a large text is stored gzipped and read back as it was; a small one is stored as it is', async () => {
    const big = `agents:\n${'  - id: spiffe://x/agent-é\n    name: A\n'.repeat(Math.ceil(COMPRESS_FROM_CHARS / 30))}`;
    const small = 'agents: []\n';
    expect((await encodeRegistryContent(big)).length).toBeLessThan(big.length / 10);
    expect(await encodeRegistryContent(small)).toBe(small);
    expect(await decodeRegistryContent(small)).toBe(small);
    const store = await openStore();
    await store.recordRegistryVersion({ sha256: 'big', content: big, agentCount: 1, source: 'f', loadedAtMs: 1_000 });
    await store.recordRegistryVersion({ sha256: 'small', content: small, agentCount: 0, source: 'f', loadedAtMs: 2_000 });
    expect((await store.admin.registryVersion('big'))?.content).toBe(big);
    expect((await store.admin.registryVersion('small'))?.content).toBe(small);
  });
});
