import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A certificate and key made by openssl for a test: the certificate is also the CA a client trusts. */
export interface CertPair {
  cert: string;
  key: string;
}

/**
 * Writes `<name>.cert.pem` and `<name>.key.pem` in `dir`: a self-signed P-256 certificate for 127.0.0.1 and
 * localhost, valid one day (the command the README gives, with a short lifetime).
 */
export function selfSignedCert(dir: string, name = 'api'): CertPair {
  const cert = join(dir, `${name}.cert.pem`);
  const key = join(dir, `${name}.key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert, key };
}
