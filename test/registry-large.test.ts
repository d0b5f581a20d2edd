import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LARGE_REGISTRY_CHARS, parseRegistry, readLarge } from '@agentwatch/detections';
import { simulateFleet } from '@agentwatch/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { tempDir } from './support/temp-dir.ts';

const dir = tempDir('aw-registry-large-');
let text = '';

beforeAll(async () => {
  await simulateFleet({ agents: 600, days: 1, seed: 5, eventsPerAgentDay: 1, outDir: dir });
  text = readFileSync(join(dir, 'registry.yaml'), 'utf8');
}, 120_000);

const whole = (t: string): unknown => parseDocument(t, { uniqueKeys: true }).toJS();

describe('large registries are read item by item (bench:scale: 3.4 GB -> a fraction at 100k agents)', () => {
  it('gives the value the whole-document parse gives', () => {
    expect(text.length).toBeGreaterThan(LARGE_REGISTRY_CHARS);
    expect(readLarge(text)).toEqual(whole(text));
    const big = parseRegistry(text, 'big');
    expect(big.ok).toBe(true);
    if (!big.ok) return;
    expect(big.registry.agentCount).toBe(600);
    const value = whole(text) as { agents: unknown[] };
    expect(big.registry.source.agents).toHaveLength(value.agents.length);
  });

  it('lists at column 0, comments between items and other top-level keys read the same', () => {
    const t = `# head\nversion: 1\npeople:\n- { id: a@x, status: active }\n# between\n- id: b@x\n  status: departed\nagents:\n  - id: spiffe://x/a\n    name: A   # trailing\n    scope:\n      tools: ["a.*"]\n\n  - id: spiffe://x/b\n    purpose: |\n      two\n      lines\n`;
    expect(readLarge(t)).toEqual(whole(t));
  });

  it('falls back to the whole document (undefined) for anchors and aliases, flow lists, several documents, duplicate keys', () => {
    expect(readLarge('agents:\n  - &a { id: x }\n  - *a\n')).toBeUndefined();
    expect(readLarge('agents: [{ id: x }]\npeople:\n  - { id: y }\n')).toEqual(whole('agents: [{ id: x }]\npeople:\n  - { id: y }\n'));
    expect(readLarge('---\nagents:\n  - { id: x }\n')).toBeUndefined();
    expect(readLarge('agents:\n  - { id: x }\nagents:\n  - { id: y }\n')).toBeUndefined();
    expect(readLarge('agents:\n  - id: x\n    id: y\n')).toBeUndefined();
    expect(readLarge('agents:\n  - id: x\n bad: indent\n')).toBeUndefined();
  });

  it('a broken large registry reports the whole-document errors', () => {
    const broken = `${text}\nagents:\n  - { id: oops\n`;
    const r = parseRegistry(broken, 'broken');
    expect(r.ok).toBe(false);
  });
});
