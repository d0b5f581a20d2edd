import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Detections must be deterministic and free of I/O, so replay and live give the same alerts: no wall
 * clock, no randomness, no network or store clients. (Loaders under src/sigma and src/testing read
 * files; they are edges, not rule logic, and are allowed `node:fs`.)
 */
describe('detections purity', () => {
  const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'rules'))];
  const banned: Array<[RegExp, string]> = [
    [/\bDate\.now\s*\(/, 'Date.now()'],
    [/\bnew Date\(\s*\)/, 'new Date() without an argument'],
    [/\bMath\.random\s*\(/, 'Math.random()'],
    [/\bperformance\.now\s*\(/, 'performance.now()'],
    [/from ['"](kafkajs|@clickhouse\/client|pino|node:http|node:net)['"]/, 'an I/O client import'],
    [/\bprocess\.env\b/, 'process.env'],
  ];
  for (const file of files) {
    it(relative(ROOT, file), () => {
      const text = readFileSync(file, 'utf8');
      for (const [re, what] of banned) expect(re.test(text), `${relative(ROOT, file)} uses ${what}`).toBe(false);
      if (!/\/(sigma|testing)\//.test(file)) expect(/from ['"]node:fs['"]/.test(text), `${relative(ROOT, file)} reads files`).toBe(false);
    });
  }
});
