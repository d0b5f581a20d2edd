import { describe, expect, it } from 'vitest';
import { MAX_REGISTRY_ALIASES, parseRegistry } from '../src/registry/load-registry.ts';

/** A registry is hostile input too (POST /v1/registry/validate, a hot-reloaded file): aliases must not expand it. */
describe('registry aliases', () => {
  const bomb = (levels: number): string => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < levels; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    return `${lines.join('\n')}\nagents: []\n`;
  };

  it('a billion-laughs document is a problem, never a throw or an expansion', () => {
    const r = parseRegistry(bomb(12), 'bomb.yaml');
    expect(r).toEqual({
      ok: false,
      syntax: false,
      problems: [{ file: 'bomb.yaml', path: '(document)', message: `refused: too many YAML aliases (at most ${MAX_REGISTRY_ALIASES} expansions)` }],
    });
  });

  it('a few aliases stay allowed (shared scope lists are a real use)', () => {
    const text = `agents:
  - { id: a, name: A, owner: bob@corp.example, status: active, purpose: p, registered_at: 2026-01-01, scope: &scope { tools: ["erp.read"] } }
  - { id: b, name: B, owner: bob@corp.example, status: active, purpose: p, registered_at: 2026-01-01, scope: *scope }
`;
    const r = parseRegistry(text, 'ok.yaml');
    expect(r.ok ? r.registry.agentCount : r.problems).toBe(2);
  });

  it('a syntax error is marked as such (not YAML/JSON at all)', () => {
    const r = parseRegistry('agents: [\n  - {', 'broken.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.syntax).toBe(true);
  });
});
