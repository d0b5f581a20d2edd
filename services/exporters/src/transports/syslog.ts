import { deliveryId, type Origin } from '../formats/delivery.ts';
import { alertToSyslog } from '../formats/syslog.ts';
import { formatSyslogAddress, parseSyslogAddress } from './syslog-address.ts';
import { RelpClient } from './syslog-relp.ts';
import { octetCountedFrame, SyslogStream } from './syslog-stream.ts';
import { SYSLOG_UDP_MAX_BYTES, SyslogUdp } from './syslog-udp.ts';
import { DeliveryError, type ExportItem, type Transport, type TransportTls } from './transport.ts';

export { parseSyslogAddress, type SyslogAddress } from './syslog-address.ts';
export { RELP_DEFAULT_WINDOW } from './syslog-relp.ts';
export { SYSLOG_UDP_MAX_BYTES } from './syslog-udp.ts';

export interface SyslogTransportOptions {
  /** `tcp://host:port`, `udp://host:port`, `tls://host:port`, `relp://host:port` or `relp+tls://host:port`. */
  address: string;
  /**
   * CA, client certificate and key for `tls://` and `relp+tls://` (read from files by the caller); without it the
   * system CAs apply. rsyslog's imrelp with TLS requires a client certificate.
   */
  tls?: TransportTls;
  /** Syslog HOSTNAME and the CEF product version. */
  origin: Origin;
  /**
   * Bound on connecting and on flushing one batch (default 10 s), for RELP on the session open and on each wait for
   * the next response: a receiver that stops reading or answering fails the send, never hangs it.
   */
  timeoutMs?: number;
  /** RELP only: frames sent before their responses (default RELP_DEFAULT_WINDOW). */
  relpWindow?: number;
}

export const SYSLOG_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The syslog exporter's transport: each alert version as one RFC 5424 line carrying CEF (alertToSyslog).
 *
 * - `tcp://` and `tls://`: RFC 6587 octet counting (`<len> <msg>`, RFC 5425 for TLS) on one persistent connection,
 *   reconnected on the next send after an error. `send` resolves when every frame was flushed to the socket. TCP syslog
 *   has no application acknowledgement: bytes the kernel accepted are lost if the receiver dies before reading them,
 *   so delivery is as good as the receiver's uptime (RELP or an HTTP exporter acknowledge; this does not).
 * - `relp://` and `relp+tls://`: RELP (syslog-relp.ts), the reliable choice: each message is acknowledged by the
 *   receiver, `send` resolves once all were, and a failure's `delivered` counts the leading acknowledged ones, so the
 *   outbox resends only the rest and an outage loses nothing (a message whose acknowledgement was lost arrives twice).
 * - `udp://`: one message per datagram (RFC 5426), no acknowledgement at all; a message over 65,000 octets is refused
 *   with a permanent DeliveryError naming the alert (the ones before it are sent and counted as delivered).
 *
 * Connection refusal, reset, TLS failure and timeouts are transient DeliveryErrors (the outbox retries with backoff);
 * a transient failure counts nothing of the batch as delivered, so a receiver may see a repeat, which it recognises by
 * the alert id + version the CEF carries (`cs5`). Throws a RangeError at creation for an address it cannot use.
 */
export function createSyslogTransport(opts: SyslogTransportOptions): Transport {
  const address = parseSyslogAddress(opts.address);
  const timeoutMs = opts.timeoutMs ?? SYSLOG_DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`syslog exporter ${opts.address}: timeoutMs must be > 0, got ${timeoutMs}`);
  if (opts.tls && address.protocol !== 'tls' && address.protocol !== 'relp+tls')
    throw new RangeError(
      `syslog exporter address ${JSON.stringify(opts.address)}: TLS settings given for a ${address.protocol}:// address (use tls:// or relp+tls://)`,
    );
  const lines = (items: readonly ExportItem[]) => items.map((i) => alertToSyslog(i.alert, i.delivery, opts.origin));

  if (address.protocol === 'udp') {
    const udp = new SyslogUdp(address, timeoutMs);
    return {
      send: serial(async (items) => {
        const datagrams = lines(items).map((l) => Buffer.from(l, 'utf8'));
        const tooBig = datagrams.findIndex((d) => d.length > SYSLOG_UDP_MAX_BYTES);
        await udp.write(tooBig < 0 ? datagrams : datagrams.slice(0, tooBig));
        if (tooBig >= 0) {
          const item = items[tooBig]!;
          throw new DeliveryError(
            `syslog ${formatSyslogAddress(address)}: alert ${deliveryId(item.alert.alert_id, item.delivery.version)} is ${datagrams[tooBig]!.length} octets, over the ${SYSLOG_UDP_MAX_BYTES} a UDP datagram carries here`,
            { permanent: true, delivered: tooBig },
          );
        }
      }),
      close: () => udp.close(),
    };
  }

  if (address.protocol === 'relp' || address.protocol === 'relp+tls') {
    const relp = new RelpClient({
      address,
      ...(opts.tls ? { tls: opts.tls } : {}),
      timeoutMs,
      software: `agentwatch,${opts.origin.productVersion.replace(/[^\w.+-]/g, '')}`,
      ...(opts.relpWindow !== undefined ? { window: opts.relpWindow } : {}),
    });
    return {
      send: serial((items) => relp.send(lines(items).map((l) => Buffer.from(l, 'utf8')))),
      close: () => relp.close(),
    };
  }

  const stream = new SyslogStream(address, address.protocol === 'tls' ? (opts.tls ?? {}) : undefined, timeoutMs);
  return {
    send: serial((items) => stream.write(lines(items).map(octetCountedFrame))),
    close: () => stream.close(),
  };
}

/** Runs sends one after another even if a caller overlaps them, so frames of two batches never interleave. */
function serial(send: (items: readonly ExportItem[]) => Promise<void>): (items: readonly ExportItem[]) => Promise<void> {
  let last: Promise<unknown> = Promise.resolve();
  return (items) => {
    const next = last.then(() => send(items));
    last = next.catch(() => undefined);
    return next;
  };
}
