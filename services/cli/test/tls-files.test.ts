import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/support/self-signed-cert.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { loadTlsFiles } from '../src/tls-files.ts';

const dir = tempDir('aw-tls-');
const a = selfSignedCert(dir, 'a');
const b = selfSignedCert(dir, 'b');
const refused = (c: { tls_cert_file?: string; tls_key_file?: string; tls_client_ca_file?: string }): string => {
  try {
    loadTlsFiles(c);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected loadTlsFiles to refuse');
};

describe('loadTlsFiles', () => {
  it('neither setting: plain HTTP (null); a matching pair: the PEM text and the expiry', () => {
    expect(loadTlsFiles({})).toBeNull();
    const tls = loadTlsFiles({ tls_cert_file: a.cert, tls_key_file: a.key });
    expect(tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(Date.parse(tls?.validTo ?? '')).toBeGreaterThan(Date.now());
  });

  it('one setting without the other is refused, naming the missing one', () => {
    expect(refused({ tls_cert_file: a.cert })).toMatch(/tls_key_file \(AGENTWATCH_TLS_KEY\) is not/);
    expect(refused({ tls_key_file: a.key })).toMatch(/tls_cert_file \(AGENTWATCH_TLS_CERT\) is not/);
  });

  it('a missing file, a directory, an unreadable file: the setting, the path and why', () => {
    expect(refused({ tls_cert_file: join(dir, 'nope.pem'), tls_key_file: a.key })).toBe(`tls_cert_file: cannot read ${join(dir, 'nope.pem')}: no such file`);
    mkdirSync(join(dir, 'adir'));
    expect(refused({ tls_cert_file: a.cert, tls_key_file: join(dir, 'adir') })).toMatch(/^tls_key_file: cannot read .*adir: is a directory$/);
    const locked = join(dir, 'locked.pem');
    writeFileSync(locked, readFileSync(a.key));
    chmodSync(locked, 0o000);
    // root reads any file: the permission case can only be seen as another user.
    if (process.getuid?.() !== 0) expect(refused({ tls_cert_file: a.cert, tls_key_file: locked })).toMatch(/permission denied/);
  });

  it('files that are not PEM, a key swapped for a certificate, a key of another certificate', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(refused({ tls_cert_file: junk, tls_key_file: a.key })).toMatch(/^tls_cert_file: .*junk\.pem is not a PEM certificate/);
    expect(refused({ tls_cert_file: a.cert, tls_key_file: a.cert })).toMatch(/^tls_key_file: .*a\.cert\.pem is not an unencrypted PEM private key/);
    expect(refused({ tls_cert_file: a.cert, tls_key_file: b.key })).toMatch(
      /^tls_key_file: .*b\.key\.pem is not the private key of the certificate in .*a\.cert\.pem/,
    );
  });

  it('tls_client_ca_file: only with HTTPS, and a PEM certificate', () => {
    expect(refused({ tls_client_ca_file: b.cert })).toMatch(/client certificates need HTTPS/);
    const junk = join(dir, 'junk-ca.pem');
    writeFileSync(junk, 'nope\n');
    expect(refused({ tls_cert_file: a.cert, tls_key_file: a.key, tls_client_ca_file: junk })).toMatch(
      /^tls_client_ca_file: .*junk-ca\.pem is not a PEM certificate/,
    );
    expect(loadTlsFiles({ tls_cert_file: a.cert, tls_key_file: a.key, tls_client_ca_file: b.cert })?.clientCa).toContain('BEGIN CERTIFICATE');
  });

  it('no message quotes the key material', () => {
    const keyBody = readFileSync(b.key, 'utf8').split('\n')[1] as string;
    for (const m of [refused({ tls_cert_file: a.cert, tls_key_file: b.key }), refused({ tls_cert_file: b.key, tls_key_file: b.key })])
      expect(m).not.toContain(keyBody.slice(0, 20));
  });
});
