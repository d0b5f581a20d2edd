import type { Socket } from 'node:net';
import { setImmediate } from 'node:timers/promises';
import { formatSyslogAddress, type SyslogAddress } from './syslog-address.ts';
import { syslogFailure } from './syslog-failure.ts';
import { openSyslogSocket } from './syslog-socket.ts';
import type { DeliveryError, TransportTls } from './transport.ts';

/**
 * RFC 6587 octet-counting frame: `<length in octets> <message>`. It is what RFC 5425 requires over TLS and what
 * rsyslog's imtcp reads without configuration; unlike newline framing it survives a message that contains a newline.
 */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** How long a fresh connection must stay open before the first write (see SyslogStream.notRefused). */
export const ACCEPT_GRACE_MS = 250;

/**
 * One persistent TCP or TLS connection to a syslog receiver. It connects on the first write and again on the first
 * write after any error, end or close (lazily: nothing reconnects in the background). `write` resolves once the
 * frames were flushed to the kernel (the socket's write callback), which is all TCP syslog can know: the protocol has
 * no application acknowledgement, so bytes the kernel accepted are lost if the receiver dies before reading them.
 * Measured against rsyslog stopped (SIGTERM) while batches of 20 flowed: 20 to 540 of 4,000 messages lost per stop, the
 * batches sent in the stop's first milliseconds. A connection per batch, counted as sent only once the receiver closed
 * its side after reading, lost as many (rsyslog reads and closes, then drops what it read while stopping): no plain
 * TCP sender can tell, only an acknowledging protocol (RELP) could.
 * Every failure is a transient DeliveryError that counts nothing of the batch as delivered (the outbox resends it
 * whole; a receiver may see a repeat, recognisable by its alert id + version).
 */
export class SyslogStream {
  private socket: Socket | undefined;
  private readonly name: string;

  constructor(
    private readonly address: SyslogAddress,
    private readonly tls: TransportTls | undefined,
    private readonly timeoutMs: number,
  ) {
    this.name = formatSyslogAddress(address);
  }

  /** Writes the frames in order on the connection; throws DeliveryError (transient) on refusal, reset, TLS failure or timeout. */
  async write(frames: readonly Buffer[]): Promise<void> {
    if (frames.length === 0) return;
    // One turn of the event loop first, so an end or reset the receiver already sent is seen before writing into it.
    await setImmediate();
    const socket = this.socket ?? (await this.connect());
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: DeliveryError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (err) {
          this.drop(socket);
          reject(err);
        } else resolve();
      };
      const onError = (e: Error) => finish(this.failure('send failed', e));
      const onClose = () => finish(this.failure('connection closed by the receiver while sending'));
      const timer = setTimeout(() => finish(this.failure(`frames not flushed within ${this.timeoutMs} ms (receiver not reading)`)), this.timeoutMs);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(Buffer.concat(frames), (err) => finish(err ? this.failure('send failed', err) : undefined));
    });
  }

  /** Ends the connection (FIN after the queued bytes), destroying it if the receiver does not close within the timeout. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), this.timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  private connect(): Promise<Socket> {
    return openSyslogSocket(this.address.host, this.address.port, this.tls, this.timeoutMs, this.name).then((socket) => {
      this.watch(socket);
      return this.notRefused(socket);
    });
  }

  /**
   * A receiver may accept a connection and then drop it at once: rsyslog refusing a TLS client certificate (checked
   * after the handshake, and in TLS 1.3 after the client already counts it done) or a sender not in its allowed list.
   * A batch written in that moment would count as sent and be lost, every time. So a fresh connection is used only
   * after a short quiet period (ACCEPT_GRACE_MS, at most a quarter of the timeout) without end, reset or close; rsyslog
   * drops a refused client within a few milliseconds on loopback. Once per connection, so a persistent one pays it once.
   */
  private notRefused(socket: Socket): Promise<Socket> {
    const graceMs = Math.min(ACCEPT_GRACE_MS, this.timeoutMs / 4);
    return new Promise<Socket>((resolve, reject) => {
      const refused = (e?: Error) => {
        clearTimeout(timer);
        this.drop(socket);
        reject(this.failure('the receiver closed the connection right after accepting it (client certificate or sender refused?)', e));
      };
      const onError = (e: Error) => refused(e);
      const onGone = () => refused();
      const timer = setTimeout(() => {
        socket.off('error', onError);
        socket.off('end', onGone);
        socket.off('close', onGone);
        resolve(socket);
      }, graceMs);
      socket.once('error', onError);
      socket.once('end', onGone);
      socket.once('close', onGone);
    });
  }

  /** A syslog receiver never talks back: its end or close means the connection is gone, so the next write reconnects. */
  private watch(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', () => {});
    socket.on('error', () => this.drop(socket));
    socket.on('end', () => this.drop(socket));
    socket.on('close', () => this.drop(socket));
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }

  private failure(what: string, cause?: Error): DeliveryError {
    return syslogFailure(this.name, what, cause);
  }
}
