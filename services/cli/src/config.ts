import { readFileSync } from 'node:fs';
import { AdapterOptionsError, validateAdapterOptions } from '@agentwatch/adapters';
import { createScrubber } from '@agentwatch/api/log-redaction';
import { AgentwatchConfig, EXPORTER_INLINE_SECRETS, problemsToString, toProblems } from '@agentwatch/schemas';
import { parse } from 'yaml';
import { CliError } from './load.ts';

/** `AGENTWATCH_SOURCE_TOPICS=topic=format,topic=format` -> `{topic: format}` (formats are checked by the schema). */
export function parseSourceTopicsEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const m = /^\s*([^=\s]+)\s*=\s*([^=\s]+)\s*$/.exec(entry);
    if (!m) throw new CliError(`AGENTWATCH_SOURCE_TOPICS: expected topic=format[,topic=format...], got ${JSON.stringify(entry.trim())}`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

/** Where the bootstrap token in force came from, so `up` can say so without printing it. */
export function bootstrapTokenOrigin(env: NodeJS.ProcessEnv, file: string | undefined): string {
  return env['AGENTWATCH_BOOTSTRAP_TOKEN'] ? 'the environment (AGENTWATCH_BOOTSTRAP_TOKEN)' : `bootstrap_token in ${file ?? 'the config file'}`;
}

/**
 * Secrets that have a setting of their own but may not be written in the config file (a file anyone who can read the
 * configuration can read): where to put each instead.
 */
const NOT_IN_CONFIG_FILE: Record<string, string> = {
  kafka_sasl_password: 'kafka_sasl_password_file (a file of its own) or AGENTWATCH_KAFKA_SASL_PASSWORD',
  clickhouse_password: 'clickhouse_password_file (a file of its own) or AGENTWATCH_CLICKHOUSE_PASSWORD',
};

/** Settings of the Kafka and ClickHouse security options read from `AGENTWATCH_<KEY>` (upper case). */
const SECURITY_ENV_KEYS = [
  'kafka_tls_ca_file',
  'kafka_tls_cert_file',
  'kafka_tls_key_file',
  'kafka_tls_servername',
  'kafka_sasl_mechanism',
  'kafka_sasl_username',
  'kafka_sasl_password_file',
  'clickhouse_ca_file',
  'clickhouse_cert_file',
  'clickhouse_key_file',
  'clickhouse_user',
  'clickhouse_password_file',
] as const;
const SECURITY_ENV_FLAGS = ['kafka_tls', 'kafka_tls_reject_unauthorized'] as const;

/** `true`/`false` (also 1/0, yes/no) from an environment variable; anything else is a CliError naming it. */
export function parseEnvFlag(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new CliError(`${name}: expected true or false, got ${JSON.stringify(value)}`);
}

/** The secret values a config input holds (bootstrap token, a password in CLICKHOUSE_URL), to scrub from messages. */
function secretValues(...sources: Array<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const src of sources) {
    if (typeof src['bootstrap_token'] === 'string') out.push(src['bootstrap_token']);
    for (const key of Object.keys(NOT_IN_CONFIG_FILE)) if (typeof src[key] === 'string') out.push(src[key]);
    const url = src['clickhouse_url'];
    if (typeof url === 'string' && URL.canParse(url)) {
      const { password } = new URL(url);
      if (password) out.push(password, decodeURIComponent(password));
    }
  }
  return out;
}

/** An exporter entry with its token or secret written in the config file is refused, naming where it goes instead. */
function refuseInlineExporterSecrets(exporters: unknown, file: string): void {
  if (!Array.isArray(exporters)) return;
  exporters.forEach((e: unknown, i) => {
    if (e === null || typeof e !== 'object') return;
    for (const [key, instead] of Object.entries(EXPORTER_INLINE_SECRETS))
      if (key in e) throw new CliError(`config ${file}: exporters[${i}].${key}: a secret is not accepted in the config file; use ${instead}`, 2);
  });
}

/** A YAML/JSON syntax error in one line, without the source excerpt the parser adds (it may quote a secret). */
function syntaxProblem(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]?.replace(/:\s*$/, '') ?? 'syntax error';
}

/**
 * Builds the process config once: file (`--config`, YAML or JSON) < environment < command-line flags,
 * validated as a whole with the zod schema, and each `adapters:` entry with its adapter's own options schema.
 * Libraries get the result; only this module reads process.env. Throws CliError naming the file and the field.
 */
export function loadConfig(opts: {
  file?: string;
  env: NodeJS.ProcessEnv;
  flags: Partial<Record<'registry' | 'data_dir' | 'listen', string>>;
}): AgentwatchConfig {
  const raw: Array<Record<string, unknown>> = [];
  try {
    return buildConfig(opts, raw);
  } catch (e) {
    // No message about the config may quote a secret it holds (a token in the wrong key, a URL with a password).
    if (e instanceof CliError) throw new CliError(createScrubber(secretValues(...raw))(e.message), e.exitCode);
    throw e;
  }
}

function buildConfig(
  opts: { file?: string; env: NodeJS.ProcessEnv; flags: Partial<Record<'registry' | 'data_dir' | 'listen', string>> },
  raw: Array<Record<string, unknown>>,
): AgentwatchConfig {
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read config ${opts.file}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch (e) {
      throw new CliError(`config ${opts.file}: not valid YAML or JSON: ${syntaxProblem(e)}`);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new CliError(`config ${opts.file}: expected a mapping at the top level`);
    fromFile = (parsed ?? {}) as Record<string, unknown>;
    raw.push(fromFile);
    for (const [key, instead] of Object.entries(NOT_IN_CONFIG_FILE))
      if (key in fromFile) throw new CliError(`config ${opts.file}: ${key}: a secret is not accepted in the config file; use ${instead}`, 2);
    refuseInlineExporterSecrets(fromFile['exporters'], opts.file);
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
  if (env['AGENTWATCH_PARTITION_SKEW']) fromEnv['partition_skew'] = env['AGENTWATCH_PARTITION_SKEW'];
  if (env['AGENTWATCH_CHECKPOINT_INTERVAL']) fromEnv['checkpoint_interval'] = env['AGENTWATCH_CHECKPOINT_INTERVAL'];
  if (env['AGENTWATCH_KAFKA_SESSION_TIMEOUT']) fromEnv['kafka_session_timeout'] = env['AGENTWATCH_KAFKA_SESSION_TIMEOUT'];
  if (env['AGENTWATCH_KAFKA_COMPRESSION']) fromEnv['kafka_compression'] = env['AGENTWATCH_KAFKA_COMPRESSION'];
  if (env['CLICKHOUSE_URL']) fromEnv['clickhouse_url'] = env['CLICKHOUSE_URL'];
  if (env['CLICKHOUSE_CLUSTER']) fromEnv['clickhouse_cluster'] = env['CLICKHOUSE_CLUSTER'];
  if (env['AGENTWATCH_BOOTSTRAP_TOKEN']) fromEnv['bootstrap_token'] = env['AGENTWATCH_BOOTSTRAP_TOKEN'];
  if (env['AGENTWATCH_LISTEN']) fromEnv['listen'] = env['AGENTWATCH_LISTEN'];
  if (env['AGENTWATCH_TLS_CERT']) fromEnv['tls_cert_file'] = env['AGENTWATCH_TLS_CERT'];
  if (env['AGENTWATCH_TLS_KEY']) fromEnv['tls_key_file'] = env['AGENTWATCH_TLS_KEY'];
  if (env['AGENTWATCH_TLS_CLIENT_CA']) fromEnv['tls_client_ca_file'] = env['AGENTWATCH_TLS_CLIENT_CA'];
  for (const key of SECURITY_ENV_KEYS) {
    const value = env[`AGENTWATCH_${key.toUpperCase()}`];
    if (value) fromEnv[key] = value;
  }
  for (const key of SECURITY_ENV_FLAGS) {
    const name = `AGENTWATCH_${key.toUpperCase()}`;
    const value = env[name];
    if (value) fromEnv[key] = parseEnvFlag(name, value);
  }
  if (env['AGENTWATCH_SOURCE_TOPICS']) fromEnv['source_topics'] = parseSourceTopicsEnv(env['AGENTWATCH_SOURCE_TOPICS']);
  raw.push(fromEnv);
  const flags = Object.fromEntries(Object.entries(opts.flags).filter(([, v]) => v !== undefined));
  const r = AgentwatchConfig.safeParse({ ...fromFile, ...fromEnv, ...flags });
  const where = opts.file ?? 'environment and flags';
  if (!r.success) throw new CliError(`invalid configuration (${where}): ${problemsToString(toProblems(r.error))}`);
  try {
    validateAdapterOptions(r.data.adapters);
  } catch (e) {
    if (e instanceof AdapterOptionsError) throw new CliError(`invalid configuration (${where}): ${e.message}`);
    throw e;
  }
  const c = r.data;
  const own = {
    events_topic: c.events_topic,
    dlq_topic: c.dlq_topic,
    alerts_topic: c.alerts_topic,
    tokens_topic: c.tokens_topic,
    checkpoints_topic: c.checkpoints_topic,
  };
  for (const topic of Object.keys(c.source_topics)) {
    const clash = Object.entries(own).find(([, t]) => t === topic);
    if (clash)
      throw new CliError(`invalid configuration (${where}): source_topics.${topic}: is also ${clash[0]}; a source topic must be a raw topic of its own`);
  }
  return c;
}
