import { readFileSync } from 'node:fs';
import { AgentwatchConfig, problemsToString, toProblems } from '@agentwatch/schemas';
import { parse } from 'yaml';
import { CliError } from './load.ts';

/**
 * Builds the process config once: file (`--config`, YAML or JSON) < environment < command-line flags,
 * validated as a whole with the zod schema. Libraries get the result; only this module reads process.env.
 */
export function loadConfig(opts: {
  file?: string;
  env: NodeJS.ProcessEnv;
  flags: Partial<Record<'registry' | 'data_dir' | 'listen', string>>;
}): AgentwatchConfig {
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read config ${opts.file}: ${(e as Error).message}`);
    }
    const parsed: unknown = parse(text);
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new CliError(`config ${opts.file}: expected a mapping at the top level`);
    fromFile = (parsed ?? {}) as Record<string, unknown>;
  }
  const env = opts.env;
  const fromEnv: Record<string, unknown> = {};
  if (env['KAFKA_BROKERS'])
    fromEnv['kafka_brokers'] = env['KAFKA_BROKERS']
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (env['AGENTWATCH_EVENTS_TOPIC']) fromEnv['events_topic'] = env['AGENTWATCH_EVENTS_TOPIC'];
  for (const key of ['alerts_topic', 'dlq_topic', 'tokens_topic', 'checkpoints_topic']) {
    const value = env[`AGENTWATCH_${key.toUpperCase()}`];
    if (value) fromEnv[key] = value;
  }
  if (env['AGENTWATCH_GROUP_ID']) fromEnv['consumer_group'] = env['AGENTWATCH_GROUP_ID'];
  if (env['AGENTWATCH_KAFKA_SESSION_TIMEOUT']) fromEnv['kafka_session_timeout'] = env['AGENTWATCH_KAFKA_SESSION_TIMEOUT'];
  if (env['CLICKHOUSE_URL']) fromEnv['clickhouse_url'] = env['CLICKHOUSE_URL'];
  if (env['AGENTWATCH_BOOTSTRAP_TOKEN']) fromEnv['bootstrap_token'] = env['AGENTWATCH_BOOTSTRAP_TOKEN'];
  if (env['AGENTWATCH_LISTEN']) fromEnv['listen'] = env['AGENTWATCH_LISTEN'];
  const flags = Object.fromEntries(Object.entries(opts.flags).filter(([, v]) => v !== undefined));
  const r = AgentwatchConfig.safeParse({ ...fromFile, ...fromEnv, ...flags });
  if (!r.success) throw new CliError(`invalid configuration (${opts.file ?? 'environment and flags'}): ${problemsToString(toProblems(r.error))}`);
  return r.data;
}
