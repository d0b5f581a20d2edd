import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/support/self-signed-cert.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { loadConfig } from '../src/config.ts';
import { kafkaSecurity } from '../src/kafka-security.ts';

const dir = tempDir('aw-kafka-sec-');
const ca = selfSignedCert(dir, 'ca');
const client = selfSignedCert(dir, 'client');
const other = selfSignedCert(dir, 'other');
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-secret`;
const passwordFile = join(dir, 'sasl-password');
writeFileSync(passwordFile, `${PASSWORD}\n`);

/** The config as `up` loads it (file < environment), then the security options from it and the same environment. */
function build(file: Record<string, unknown>, env: Record<string, string> = {}) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ kafka_brokers: ['127.0.0.1:9093'], ...file }));
  return kafkaSecurity(loadConfig({ file: path, env, flags: {} }), env);
}
function refused(file: Record<string, unknown>, env: Record<string, string> = {}): string {
  try {
    build(file, env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the security settings to be refused');
}

describe('kafkaSecurity: the ssl/sasl options of the one Kafka client', () => {
  it('no settings: plaintext, no SASL', () => {
    expect(build({}).options).toEqual({});
    expect(build({}).summary).toEqual({ tls: false });
  });

  it('a CA and a client certificate: TLS with them, certificate checks on', () => {
    const s = build({ kafka_tls_ca_file: ca.cert, kafka_tls_cert_file: client.cert, kafka_tls_key_file: client.key });
    expect(s.options.ssl).toEqual({
      rejectUnauthorized: true,
      ca: [readFileSync(ca.cert, 'utf8')],
      cert: readFileSync(client.cert, 'utf8'),
      key: readFileSync(client.key, 'utf8'),
    });
    expect(s.secrets).toEqual([readFileSync(client.key, 'utf8')]);
    expect(s.warnings).toEqual([]);
    expect(s.summary).toEqual({ tls: true, tls_ca: ca.cert, tls_client_cert: client.cert });
  });

  it('kafka_tls: true alone trusts the system CAs; servername passes through; checks off only when said, and then loudly', () => {
    expect(build({ kafka_tls: true }).options.ssl).toEqual({ rejectUnauthorized: true });
    expect(build({ kafka_tls: true, kafka_tls_servername: 'kafka.internal' }).options.ssl).toMatchObject({ servername: 'kafka.internal' });
    const off = build({ kafka_tls: true, kafka_tls_reject_unauthorized: false });
    expect(off.options.ssl).toEqual({ rejectUnauthorized: false });
    expect(off.warnings.join('\n')).toMatch(/NOT checked \(kafka_tls_reject_unauthorized: false\)/);
    expect(refused({ kafka_tls_reject_unauthorized: false })).toMatch(/kafka_tls_reject_unauthorized is false but TLS is not on/);
    expect(refused({ kafka_tls: false, kafka_tls_ca_file: ca.cert })).toMatch(/kafka_tls is false but kafka_tls_ca_file is set/);
    expect(refused({ kafka_tls_servername: 'x' })).toMatch(/kafka_tls_servername is set but TLS is not on/);
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('SASL %s: user from the config, password from its file (newline dropped)', (mechanism) => {
    const s = build({ kafka_tls_ca_file: ca.cert, kafka_sasl_mechanism: mechanism, kafka_sasl_username: 'svc', kafka_sasl_password_file: passwordFile });
    expect(s.options.sasl).toEqual({ mechanism, username: 'svc', password: PASSWORD });
    expect(s.secrets).toContain(PASSWORD);
    expect(JSON.stringify(s.summary)).not.toContain(PASSWORD);
    expect(s.summary).toMatchObject({ sasl_mechanism: mechanism, sasl_username: 'svc' });
  });

  it('environment over the config file: settings, the password file, and the password itself', () => {
    const envFile = join(dir, 'env-password');
    writeFileSync(envFile, 'from-env-file');
    const file = { kafka_sasl_mechanism: 'plain', kafka_sasl_username: 'file-user', kafka_sasl_password_file: passwordFile, kafka_tls: true };
    expect(build(file).options.sasl).toMatchObject({ username: 'file-user', password: PASSWORD });
    expect(build(file, { AGENTWATCH_KAFKA_SASL_USERNAME: 'env-user', AGENTWATCH_KAFKA_SASL_MECHANISM: 'scram-sha-512' }).options.sasl).toMatchObject({
      mechanism: 'scram-sha-512',
      username: 'env-user',
    });
    expect(build(file, { AGENTWATCH_KAFKA_SASL_PASSWORD_FILE: envFile }).options.sasl).toMatchObject({ password: 'from-env-file' });
    expect(build(file, { AGENTWATCH_KAFKA_SASL_PASSWORD: 'from-env' }).options.sasl).toMatchObject({ password: 'from-env' });
    expect(refused(file, { AGENTWATCH_KAFKA_SASL_PASSWORD: 'a', AGENTWATCH_KAFKA_SASL_PASSWORD_FILE: envFile })).toMatch(
      /AGENTWATCH_KAFKA_SASL_PASSWORD and AGENTWATCH_KAFKA_SASL_PASSWORD_FILE are both set/,
    );
    expect(build({}, { AGENTWATCH_KAFKA_TLS: 'true', AGENTWATCH_KAFKA_TLS_CA_FILE: ca.cert }).options.ssl).toMatchObject({ ca: [expect.any(String)] });
    expect(build({ kafka_tls: true }, { AGENTWATCH_KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }).options.ssl).toEqual({ rejectUnauthorized: false });
    expect(() => build({}, { AGENTWATCH_KAFKA_TLS: 'maybe' })).toThrow(/AGENTWATCH_KAFKA_TLS: expected true or false, got "maybe"/);
  });

  it('half a SASL setting is refused, naming what is missing', () => {
    expect(refused({ kafka_sasl_username: 'svc' })).toMatch(/kafka_sasl_username is set but kafka_sasl_mechanism is not/);
    expect(refused({}, { AGENTWATCH_KAFKA_SASL_PASSWORD: 'x' })).toMatch(/a SASL password is set but kafka_sasl_mechanism is not/);
    expect(refused({ kafka_sasl_mechanism: 'plain', kafka_sasl_password_file: passwordFile })).toMatch(/kafka_sasl_username is not set/);
    expect(refused({ kafka_sasl_mechanism: 'scram-sha-256', kafka_sasl_username: 'svc' })).toMatch(
      /no password is given: kafka_sasl_password_file, or AGENTWATCH_KAFKA_SASL_PASSWORD/,
    );
    expect(refused({ kafka_sasl_mechanism: 'gssapi' })).toMatch(/kafka_sasl_mechanism/);
  });

  it('a password written in the config file is refused (secrets come from files or the environment), without quoting it', () => {
    const m = refused({ kafka_sasl_password: PASSWORD });
    expect(m).toMatch(/kafka_sasl_password: a secret is not accepted in the config file; use kafka_sasl_password_file .* or AGENTWATCH_KAFKA_SASL_PASSWORD/);
    expect(m).not.toContain(PASSWORD);
  });

  it('bad files: the setting, the path and why; never their contents', () => {
    const missing = join(dir, 'nope.pem');
    expect(refused({ kafka_tls_ca_file: missing })).toBe(`kafka_tls_ca_file: cannot read ${missing}: no such file`);
    mkdirSync(join(dir, 'adir'), { recursive: true });
    expect(refused({ kafka_sasl_mechanism: 'plain', kafka_sasl_username: 'u', kafka_sasl_password_file: join(dir, 'adir') })).toMatch(
      /^kafka_sasl_password_file: cannot read .*adir: is a directory$/,
    );
    const locked = join(dir, 'locked');
    writeFileSync(locked, 'secret\n');
    chmodSync(locked, 0o000);
    // root reads any file: the permission case can only be seen as another user.
    if (process.getuid?.() !== 0)
      expect(refused({ kafka_sasl_mechanism: 'plain', kafka_sasl_username: 'u', kafka_sasl_password_file: locked })).toMatch(/permission denied/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(refused({ kafka_sasl_mechanism: 'plain', kafka_sasl_username: 'u', kafka_sasl_password_file: empty })).toMatch(
      /^kafka_sasl_password_file: .*empty is empty/,
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(refused({ kafka_tls_ca_file: junk })).toMatch(/^kafka_tls_ca_file: .*junk\.pem is not a PEM certificate/);
    expect(refused({ kafka_tls_cert_file: client.cert })).toMatch(/kafka_tls_cert_file is set but kafka_tls_key_file is not/);
    expect(refused({ kafka_tls_key_file: client.key })).toMatch(/kafka_tls_key_file is set but kafka_tls_cert_file is not/);
    const mismatch = refused({ kafka_tls_cert_file: client.cert, kafka_tls_key_file: other.key });
    expect(mismatch).toMatch(/^kafka_tls_key_file: .*other\.key\.pem is not the private key of the certificate in .*client\.cert\.pem/);
    const keyBody = readFileSync(other.key, 'utf8').split('\n')[1] as string;
    expect(mismatch).not.toContain(keyBody.slice(0, 20));
    expect(refused({ kafka_tls_cert_file: client.cert, kafka_tls_key_file: client.cert })).toMatch(/is not an unencrypted PEM private key/);
  });
});
