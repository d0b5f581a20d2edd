import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { syslogFailure } from './syslog-failure.ts';
import type { TransportTls } from './transport.ts';

/**
 * Opens the TCP or TLS connection of a syslog transport (plain octet-counted syslog or RELP), bounded by `timeoutMs`:
 * the socket once connected (TLS: handshake done), or a transient DeliveryError naming `name` when it cannot be made.
 */
export function openSyslogSocket(host: string, port: number, tls: TransportTls | undefined, timeoutMs: number, name: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = tls
      ? tlsConnect({
          host,
          port,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.rejectUnauthorized ?? true,
          // SNI takes a DNS name only; for an IP address the certificate's IP SAN is checked instead.
          ...(tls.servername ? { servername: tls.servername } : /^[\d.]+$|:/.test(host) ? {} : { servername: host }),
        })
      : netConnect({ host, port });
    const timer = setTimeout(() => fail(syslogFailure(name, `no connection within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.once('error', (e) => fail(syslogFailure(name, 'connect failed', e)));
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
