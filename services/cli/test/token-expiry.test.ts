import { describe, expect, it } from 'vitest';
import { CliError } from '../src/load.ts';
import { parseTokenExpiry } from '../src/token-expiry.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('token create --expires', () => {
  it('takes a duration from now or an RFC 3339 time with zone', () => {
    expect(parseTokenExpiry('30d', NOW)).toBe(NOW + 30 * 86_400_000);
    expect(parseTokenExpiry('12h', NOW)).toBe(NOW + 12 * 3_600_000);
    expect(parseTokenExpiry(' 2w ', NOW)).toBe(NOW + 14 * 86_400_000);
    expect(parseTokenExpiry('2027-01-31T00:00:00Z', NOW)).toBe(Date.parse('2027-01-31T00:00:00Z'));
    expect(parseTokenExpiry('2027-01-31T02:00:00+02:00', NOW)).toBe(Date.parse('2027-01-31T00:00:00Z'));
  });

  it('refuses anything else, and times not in the future, with exit code 2', () => {
    for (const bad of ['tomorrow', '30', '2027-01-31', '2027-01-31T00:00:00', '-1d', '0d', '2026-12-07T12:00:00Z', '2020-01-01T00:00:00Z']) {
      let err: unknown;
      try {
        parseTokenExpiry(bad, NOW);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode, bad).toBe(2);
      expect((err as CliError).message, bad).toMatch(/^--expires /);
    }
  });
});
