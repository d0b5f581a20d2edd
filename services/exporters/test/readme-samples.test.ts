import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, renderSamples, withSamples } from '../scripts/export-samples.ts';

describe('README "Export" samples', () => {
  it('match what the format functions make of the sample alert (run the script with --write after a change)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withSamples(readme, renderSamples())).toBe(readme);
  });
});
