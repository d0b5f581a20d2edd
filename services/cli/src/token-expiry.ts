import { Duration, durationToMs, Rfc3339 } from '@agentwatch/schemas';
import { CliError } from './load.ts';

/**
 * `token create --expires`: an RFC 3339 time with zone (`2027-01-31T00:00:00Z`) or a duration from now (`30d`, `12h`,
 * `90m`, `2w`). Returns epoch ms; throws CliError (exit 2) for anything else, and for a time not in the future.
 */
export function parseTokenExpiry(text: string, nowMs: number): number {
  const t = text.trim();
  let at: number;
  if (Duration.safeParse(t).success) at = nowMs + durationToMs(t);
  else if (Rfc3339.safeParse(t).success) at = Date.parse(t);
  else throw new CliError(`--expires ${JSON.stringify(text)}: expected an RFC 3339 time with zone (2027-01-31T00:00:00Z) or a duration such as 30d, 12h`, 2);
  if (!(at > nowMs)) throw new CliError(`--expires ${JSON.stringify(text)}: expected a time in the future`, 2);
  return at;
}
