import { describe, expect, it } from 'vitest';
import { ClickHouseConnectionError, serverClientOptions } from '../src/clickhouse-connection.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n';

describe('serverClientOptions: the @clickhouse/client options of a ClickHouse server', () => {
  it('URL only: as before (credentials, if any, in the URL)', () => {
    expect(serverClientOptions({ url: 'http://u:p@ch:8123' })).toEqual({ url: 'http://u:p@ch:8123', application: 'agentwatch', request_timeout: 300_000 });
  });

  it('user and password go in the client options, never in the URL', () => {
    const o = serverClientOptions({ url: 'https://ch:8443', username: 'svc', password: 'pw' });
    expect(o).toMatchObject({ url: 'https://ch:8443', username: 'svc', password: 'pw' });
    expect(String(o.url)).not.toContain('pw');
  });

  it('a CA: the client TLS options with it; a client certificate without a password: certificate authentication', () => {
    expect(serverClientOptions({ url: 'https://ch:8443', ca: PEM }).tls).toEqual({ ca_cert: Buffer.from(PEM) });
    const mutual = serverClientOptions({ url: 'https://ch:8443', ca: PEM, cert: PEM, key: KEY, username: 'svc' });
    expect(mutual.tls).toEqual({ ca_cert: Buffer.from(PEM), cert: Buffer.from(PEM), key: Buffer.from(KEY) });
    expect(mutual.http_agent).toBeUndefined();
  });

  it('a client certificate with a password: our agent presents the certificate, the password logs in (Basic)', () => {
    const o = serverClientOptions({ url: 'https://ch:8443', ca: PEM, cert: PEM, key: KEY, username: 'svc', password: 'pw' });
    expect(o.tls).toBeUndefined();
    expect(o.set_basic_auth_header).toBe(true);
    expect(o.http_agent).toBeDefined();
  });

  it.each([
    [{ url: 'http://ch:8123', ca: PEM }, /TLS needs https/],
    [{ url: 'https://ch:8443', cert: PEM }, /both the certificate and its private key/],
    [{ url: 'https://u:p@ch:8443', username: 'svc' }, /give the credentials one way/],
    [{ url: 'https://ch:8443?x', password: 'pw' }, null],
    [{ url: 'ftp://ch' }, /expected http:\/\/ or https:\/\//],
  ] as const)('%o', (server, problem) => {
    if (problem === null) expect(() => serverClientOptions(server)).not.toThrow();
    else expect(() => serverClientOptions(server)).toThrow(ClickHouseConnectionError);
    if (problem !== null) expect(() => serverClientOptions(server)).toThrow(problem);
  });
});
