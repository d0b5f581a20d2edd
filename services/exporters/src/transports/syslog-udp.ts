import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { formatSyslogAddress, type SyslogAddress } from './syslog-address.ts';
import { syslogFailure } from './syslog-failure.ts';
import { DeliveryError } from './transport.ts';

/**
 * The largest syslog message sent as one UDP datagram, in octets. IPv4 allows 65,507 octets of UDP payload; a little
 * is kept below that. Receivers often take less (rsyslog: its maxMessageSize, 8 KiB unless raised) and cut the rest.
 */
export const SYSLOG_UDP_MAX_BYTES = 65_000;

/**
 * Syslog over UDP (RFC 5426): one message per datagram, on a connected socket. UDP has no acknowledgement at all: a
 * datagram the kernel took may be dropped on the way or by a full receive buffer, and nothing tells. The one signal
 * there is: on a connected socket an ICMP port unreachable for an earlier datagram surfaces as ECONNREFUSED on a later
 * send; that is a transient DeliveryError counting nothing of the batch as delivered (which earlier datagram was
 * refused is unknown, so the outbox resends the batch).
 */
export class SyslogUdp {
  private socket: Socket | undefined;
  private readonly name: string;

  constructor(
    private readonly address: SyslogAddress,
    private readonly timeoutMs: number,
  ) {
    this.name = formatSyslogAddress(address);
  }

  /** Sends each message as one datagram, in order; resolves once the kernel took them all. */
  async write(datagrams: readonly Buffer[]): Promise<void> {
    if (datagrams.length === 0) return;
    const socket = this.socket ?? (await this.connect());
    this.socket = socket;
    for (const d of datagrams) {
      await this.withTimeout(new Promise<void>((resolve, reject) => socket.send(d, (err) => (err ? reject(err) : resolve()))), 'datagram not sent').catch(
        (e: unknown) => {
          // ECONNREFUSED leaves a connected socket usable; anything else starts afresh on the next send.
          if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') this.drop(socket);
          throw e instanceof DeliveryError ? e : this.failure('send failed', e as Error);
        },
      );
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async connect(): Promise<Socket> {
    const { host, port } = this.address;
    const resolved = await this.withTimeout(lookup(host), 'host name not resolved').catch((e: unknown) => {
      throw e instanceof DeliveryError ? e : this.failure('host name not resolved', e as Error);
    });
    const socket = createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
    // An asynchronous error (ICMP) must never be an unhandled 'error' event that ends the process.
    socket.on('error', () => this.drop(socket));
    await this.withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
        socket.connect(port, resolved.address);
      }),
      'socket not connected',
    ).catch((e: unknown) => {
      this.drop(socket);
      throw e instanceof DeliveryError ? e : this.failure('connect failed', e as Error);
    });
    return socket;
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    try {
      socket.close();
    } catch {
      // already closed
    }
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.failure(`${what} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private failure(what: string, cause?: Error): DeliveryError {
    return syslogFailure(this.name, what, cause);
  }
}
