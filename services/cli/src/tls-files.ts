import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { CliError } from './load.ts';
import { readSettingFile } from './setting-files.ts';

/** What the API serves HTTPS with: the PEM text of the certificate chain and its private key. */
export interface TlsFiles {
  cert: string;
  key: string;
  /** PEM CA certificate(s) client certificates must chain to (mutual TLS), when `tls_client_ca_file` is set. */
  clientCa?: string;
  /** The leaf certificate's expiry (ISO 8601), for the start-up log. */
  validTo: string;
}

const read = readSettingFile;

/**
 * Reads and checks the API's certificate and key at start-up, so a bad pair stops `up` with one line naming the
 * setting and file instead of a TLS error on the first connection. Both settings or neither (null: plain HTTP);
 * `tls_client_ca_file` only with them.
 * Messages never quote file contents (the key is a secret). Throws CliError (exit code 2).
 */
export function loadTlsFiles(c: {
  tls_cert_file?: string | undefined;
  tls_key_file?: string | undefined;
  tls_client_ca_file?: string | undefined;
}): TlsFiles | null {
  const certPath = c.tls_cert_file;
  const keyPath = c.tls_key_file;
  if (!certPath && !keyPath) {
    if (c.tls_client_ca_file) throw new CliError('tls_client_ca_file is set but tls_cert_file and tls_key_file are not: client certificates need HTTPS', 2);
    return null;
  }
  if (!certPath || !keyPath) {
    const [given, missing] = certPath ? ['tls_cert_file', 'tls_key_file (AGENTWATCH_TLS_KEY)'] : ['tls_key_file', 'tls_cert_file (AGENTWATCH_TLS_CERT)'];
    throw new CliError(`${given} is set but ${missing} is not: HTTPS needs both the certificate and its private key`, 2);
  }
  const cert = read('tls_cert_file', certPath);
  const key = read('tls_key_file', keyPath);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new CliError(`tls_cert_file: ${certPath} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`, 2);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new CliError(`tls_key_file: ${keyPath} is not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----)`, 2);
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new CliError(`tls_key_file: ${keyPath} is not the private key of the certificate in ${certPath} (tls_cert_file)`, 2);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new CliError(`tls_cert_file ${certPath} / tls_key_file ${keyPath}: not usable for TLS: ${(e as Error).message}`, 2);
  }
  const validTo = new Date(leaf.validTo).toISOString();
  if (!c.tls_client_ca_file) return { cert, key, validTo };
  const clientCa = read('tls_client_ca_file', c.tls_client_ca_file);
  try {
    new X509Certificate(clientCa);
  } catch {
    throw new CliError(`tls_client_ca_file: ${c.tls_client_ca_file} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`, 2);
  }
  return { cert, key, clientCa, validTo };
}
