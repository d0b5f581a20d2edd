import { rootCertificates } from 'node:tls';
import type { createClient } from '@clickhouse/client';

type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;

/**
 * A ClickHouse server and how to reach it safely: the URL (http:// or https://), the user and password, and for
 * https:// the CA to trust and a client certificate. Values, not paths: the command reads the files at start-up
 * (services/cli/src/clickhouse-security.ts), so a bad file is a start-up error naming its setting.
 */
export interface ClickHouseServer {
  url: string;
  username?: string;
  password?: string;
  /** PEM CA certificate(s) the server's certificate must chain to (default: the system's CAs). */
  ca?: string;
  /** PEM client certificate and its key (mutual TLS). */
  cert?: string;
  key?: string;
}

/** A server connection that cannot work as configured (TLS over http://, credentials given twice, half a key pair). */
export class ClickHouseConnectionError extends Error {
  override name = 'ClickHouseConnectionError';
}

/**
 * The @clickhouse/client options for `server`. Credentials go in the client's `username`/`password` (sent as a header,
 * never in the URL). Throws ClickHouseConnectionError when `ca`/`cert` come with an http:// URL, when the URL already
 * carries a user or password and `username`/`password` are given too, or when only one of `cert` and `key` is there.
 *
 * With a client certificate @clickhouse/client asks the server for certificate authentication
 * (`X-ClickHouse-SSL-Certificate-Auth: on`): the ClickHouse user must then be one identified by `ssl_certificates`.
 */
export function serverClientOptions(server: ClickHouseServer): ClientOptions {
  let url: URL;
  try {
    url = new URL(server.url);
  } catch {
    throw new ClickHouseConnectionError('clickhouse_url: not a URL');
  }
  const https = url.protocol === 'https:';
  if (!https && url.protocol !== 'http:') throw new ClickHouseConnectionError(`clickhouse_url: expected http:// or https://, got ${url.protocol}//`);
  if (!https && (server.ca || server.cert))
    throw new ClickHouseConnectionError('a CA or client certificate is set but clickhouse_url is http://: TLS needs https://');
  if ((server.cert === undefined) !== (server.key === undefined))
    throw new ClickHouseConnectionError('a client certificate needs both the certificate and its private key');
  if ((url.username || url.password) && (server.username !== undefined || server.password !== undefined))
    throw new ClickHouseConnectionError('clickhouse_url carries a user or password and clickhouse_user / a password are set too: give the credentials one way');
  const options: ClientOptions = { url: server.url, application: 'agentwatch', request_timeout: 300_000 };
  if (server.username !== undefined) options.username = server.username;
  if (server.password !== undefined) options.password = server.password;
  if (server.ca || server.cert) {
    // The client's TLS options always take a CA: without one of ours, the system's (what Node trusts by default).
    const ca_cert = Buffer.from(server.ca ?? rootCertificates.join('\n'));
    options.tls = server.cert && server.key ? { ca_cert, cert: Buffer.from(server.cert), key: Buffer.from(server.key) } : { ca_cert };
  }
  return options;
}
