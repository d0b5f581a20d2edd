import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CliError } from './load.ts';

/**
 * Files named by settings (certificates, keys, password files), read at start-up so a bad one stops the command with
 * one line naming the setting and the path, never a TLS or authentication error later. Messages never quote file
 * contents (keys and passwords are secrets). Every error is a CliError with exit code 2.
 */

/** The text of the file `path` named by `setting`; a CliError saying why it cannot be read. */
export function readSettingFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new CliError(`${setting}: cannot read ${path}: ${why}`, 2);
  }
}

/** A password file: its first line, without the newline editors add; an empty one is refused. */
export function readPasswordFile(setting: string, path: string): string {
  const password = readSettingFile(setting, path).replace(/\r?\n$/, '');
  if (password === '') throw new CliError(`${setting}: ${path} is empty (expected the password)`, 2);
  if (/[\r\n]/.test(password)) throw new CliError(`${setting}: ${path} has more than one line (expected the password alone)`, 2);
  return password;
}

/** PEM certificate(s) (a CA bundle or a chain): the text, checked to start with a certificate. */
export function readCertificateFile(setting: string, path: string): string {
  const pem = readSettingFile(setting, path);
  try {
    new X509Certificate(pem);
  } catch {
    throw new CliError(`${setting}: ${path} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`, 2);
  }
  return pem;
}

/**
 * A client certificate and its key, named by two settings: both or neither (undefined), each readable, the key
 * unencrypted PEM and the private key of the certificate.
 */
export function readCertificateAndKey(
  cert: { setting: string; path: string | undefined },
  key: { setting: string; path: string | undefined },
): { cert: string; key: string } | undefined {
  if (!cert.path && !key.path) return undefined;
  if (!cert.path || !key.path) {
    const [given, missing] = cert.path ? [cert.setting, key.setting] : [key.setting, cert.setting];
    throw new CliError(`${given} is set but ${missing} is not: a client certificate needs both the certificate and its private key`, 2);
  }
  const certPem = readCertificateFile(cert.setting, cert.path);
  const keyPem = readSettingFile(key.setting, key.path);
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw new CliError(`${key.setting}: ${key.path} is not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----)`, 2);
  }
  if (!new X509Certificate(certPem).checkPrivateKey(privateKey))
    throw new CliError(`${key.setting}: ${key.path} is not the private key of the certificate in ${cert.path} (${cert.setting})`, 2);
  return { cert: certPem, key: keyPem };
}

/** `AGENTWATCH_<NAME>` and its `_FILE` twin: where a secret comes from when both the environment and a file may say. */
export interface SecretSource {
  /** The setting naming a file (`kafka_sasl_password_file`), as loaded (config file or its environment variable). */
  fileSetting: string;
  file: string | undefined;
  /** The environment variable that holds the secret itself (`AGENTWATCH_KAFKA_SASL_PASSWORD`). */
  envName: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The secret: the environment variable when set (the environment overrides the config file), else the file the
 * setting names, else undefined. The variable and the setting's own variable (`..._FILE`) both set is refused:
 * two answers in the same place.
 */
export function resolveSecret(s: SecretSource): string | undefined {
  const fromEnv = s.env[s.envName];
  const fileEnvName = `AGENTWATCH_${s.fileSetting.toUpperCase()}`;
  if (fromEnv && s.env[fileEnvName]) throw new CliError(`${s.envName} and ${fileEnvName} are both set: give the secret one way`, 2);
  if (fromEnv) return fromEnv;
  return s.file ? readPasswordFile(s.fileSetting, s.file) : undefined;
}
