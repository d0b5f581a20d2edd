import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { createClient } from '@clickhouse/client';

type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;

/** Sockets to the server at most (the client's own default for `max_open_connections`). */
const MAX_SOCKETS = 10;

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
 * A client certificate with a password: the certificate is presented at the TLS handshake (a server or proxy that
 * requires one) and the user logs in with the password. A client certificate without a password: the server is asked
 * to identify the user by the certificate (`X-ClickHouse-SSL-Certificate-Auth`, a ClickHouse user with
 * `ssl_certificates`).
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
  if (server.cert && server.key && server.password !== undefined) {
    // A client certificate for the TLS handshake AND a password login. The client's own mutual-TLS mode would ask for
    // certificate authentication, which ClickHouse refuses alongside a password; an agent of ours presents the
    // certificate and the password goes in the Authorization header.
    options.http_agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, cert: server.cert, key: server.key, ...(server.ca ? { ca: server.ca } : {}) });
    options.set_basic_auth_header = true;
  } else if (server.ca || server.cert) {
    // The client's TLS options always take a CA: without one of ours, the system's (what Node trusts by default).
    const ca_cert = Buffer.from(server.ca ?? rootCertificates.join('\n'));
    options.tls = server.cert && server.key ? { ca_cert, cert: Buffer.from(server.cert), key: Buffer.from(server.key) } : { ca_cert };
  }
  return options;
}
