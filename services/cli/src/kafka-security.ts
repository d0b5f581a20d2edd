import type { ConnectionOptions } from 'node:tls';
import type { AgentwatchConfig } from '@agentwatch/schemas';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { CliError } from './load.ts';
import { readCertificateAndKey, readCertificateFile, resolveSecret } from './setting-files.ts';

/** The TLS and SASL part of the kafkajs client config, and what `up` may say about it. */
export interface KafkaSecurity {
  /** For `new Kafka({...})`: every client agentwatch makes (consumers, producers, admins) comes from that one instance. */
  options: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  /** Values to scrub from every log line and message (the SASL password, the client key). */
  secrets: string[];
  /** Log fields for the start-up line: paths, mechanism and user name; never a secret. */
  summary: Record<string, string | boolean>;
  /** Lines `up` logs as warnings at every start (certificate checks off, a password sent without TLS). */
  warnings: string[];
}

type SecurityConfig = Pick<
  AgentwatchConfig,
  | 'kafka_tls'
  | 'kafka_tls_ca_file'
  | 'kafka_tls_cert_file'
  | 'kafka_tls_key_file'
  | 'kafka_tls_servername'
  | 'kafka_tls_reject_unauthorized'
  | 'kafka_sasl_mechanism'
  | 'kafka_sasl_username'
  | 'kafka_sasl_password_file'
>;

/**
 * Builds the kafkajs `ssl` and `sasl` options from the config (file < environment) and the secrets from files or
 * AGENTWATCH_KAFKA_SASL_PASSWORD, reading and checking every file now: a missing or unreadable file, a certificate
 * that is not PEM, a key that does not match, half a setting, is a CliError (exit 2) naming the setting and the path.
 * TLS is on with `kafka_tls: true` or any `kafka_tls_*_file`; certificate checks are only off when
 * `kafka_tls_reject_unauthorized` is false, and then a warning says so.
 */
export function kafkaSecurity(c: SecurityConfig, env: NodeJS.ProcessEnv): KafkaSecurity {
  const files = (['kafka_tls_ca_file', 'kafka_tls_cert_file', 'kafka_tls_key_file'] as const).filter((k) => c[k] !== undefined);
  if (c.kafka_tls === false && files.length > 0) throw new CliError(`kafka_tls is false but ${files.join(', ')} is set: remove one or the other`, 2);
  const tls = c.kafka_tls === true || files.length > 0;
  if (!tls && c.kafka_tls_servername) throw new CliError('kafka_tls_servername is set but TLS is not on (kafka_tls: true, or kafka_tls_ca_file)', 2);
  if (!tls && !c.kafka_tls_reject_unauthorized)
    throw new CliError('kafka_tls_reject_unauthorized is false but TLS is not on (kafka_tls: true, or kafka_tls_ca_file)', 2);

  const secrets: string[] = [];
  const summary: Record<string, string | boolean> = { tls };
  const warnings: string[] = [];
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (tls) {
    const ssl: ConnectionOptions = { rejectUnauthorized: c.kafka_tls_reject_unauthorized };
    if (c.kafka_tls_ca_file) {
      ssl.ca = [readCertificateFile('kafka_tls_ca_file', c.kafka_tls_ca_file)];
      summary['tls_ca'] = c.kafka_tls_ca_file;
    }
    const pair = readCertificateAndKey(
      { setting: 'kafka_tls_cert_file', path: c.kafka_tls_cert_file },
      { setting: 'kafka_tls_key_file', path: c.kafka_tls_key_file },
    );
    if (pair) {
      ssl.cert = pair.cert;
      ssl.key = pair.key;
      secrets.push(pair.key);
      summary['tls_client_cert'] = c.kafka_tls_cert_file as string;
    }
    if (c.kafka_tls_servername) {
      ssl.servername = c.kafka_tls_servername;
      summary['tls_servername'] = c.kafka_tls_servername;
    }
    if (!c.kafka_tls_reject_unauthorized)
      warnings.push('kafka: broker certificates are NOT checked (kafka_tls_reject_unauthorized: false); anyone on the path can read and change the traffic');
    options.ssl = ssl;
  }

  const password = resolveSecret({ fileSetting: 'kafka_sasl_password_file', file: c.kafka_sasl_password_file, envName: 'AGENTWATCH_KAFKA_SASL_PASSWORD', env });
  const mechanism = c.kafka_sasl_mechanism;
  if (!mechanism) {
    const given = c.kafka_sasl_username ? 'kafka_sasl_username' : password !== undefined ? 'a SASL password' : null;
    if (given) throw new CliError(`${given} is set but kafka_sasl_mechanism is not (plain, scram-sha-256 or scram-sha-512)`, 2);
    return { options, secrets, summary, warnings };
  }
  if (!c.kafka_sasl_username) throw new CliError(`kafka_sasl_mechanism is ${mechanism} but kafka_sasl_username is not set`, 2);
  if (password === undefined)
    throw new CliError(`kafka_sasl_mechanism is ${mechanism} but no password is given: kafka_sasl_password_file, or AGENTWATCH_KAFKA_SASL_PASSWORD`, 2);
  secrets.push(password);
  if (!tls && mechanism === 'plain') warnings.push('kafka: SASL PLAIN without TLS sends the password in clear text; set kafka_tls (or kafka_tls_ca_file)');
  const sasl: SASLOptions = { mechanism, username: c.kafka_sasl_username, password };
  options.sasl = sasl;
  summary['sasl_mechanism'] = mechanism;
  summary['sasl_username'] = c.kafka_sasl_username;
  return { options, secrets, summary, warnings };
}
