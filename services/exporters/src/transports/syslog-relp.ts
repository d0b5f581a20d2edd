import type { Socket } from 'node:net';
import {
  encodeRelpFrame,
  nextTxnr,
  parseRelpOffers,
  parseRelpResponse,
  RELP_MAX_DATA_BYTES,
  type RelpFrame,
  RelpFrameReader,
  RelpProtocolError,
} from './relp-frame.ts';
import { formatSyslogAddress, type SyslogAddress } from './syslog-address.ts';
import { syslogFailure } from './syslog-failure.ts';
import { openSyslogSocket } from './syslog-socket.ts';
import { DeliveryError, type TransportTls } from './transport.ts';

/** Frames sent before their responses (librelp's default window). */
export const RELP_DEFAULT_WINDOW = 128;

export interface RelpClientOptions {
  /** `relp://` or `relp+tls://` (TLS from the first byte, as librelp does; rsyslog's imrelp wants a client certificate). */
  address: SyslogAddress;
  tls?: TransportTls;
  /** Bound on connecting and opening the session, and on waiting for the next response while frames are outstanding. */
  timeoutMs: number;
  /** Offered as `relp_software`. */
  software: string;
  window?: number;
  /** Largest message sent; a longer one fails as permanent (default RELP_MAX_DATA_BYTES). */
  maxDataBytes?: number;
}

/**
 * A RELP client (Reliable Event Logging Protocol, rsyslog's imrelp): each syslog message is a `syslog` command the
 * receiver answers with `rsp 200` once it took the message, so unlike TCP syslog the sender knows what arrived.
 *
 * One session at a time, opened on the first send (`open` with relp_version=0 and commands=syslog; the receiver must
 * answer 200 and offer `syslog`) and again on the first send after it broke. `send` pipelines up to `window` frames and
 * resolves when every one got `rsp 200`. Failures are DeliveryErrors whose `delivered` is the count of leading messages
 * acknowledged, so the outbox resends exactly the rest:
 * - a response other than 200 to a `syslog` frame: permanent for that message (the receiver read it and refused it;
 *   the same bytes would be refused again). RELP knows only 200 and 500; librelp answers 500 to a message only when the
 *   session did not enable `syslog`, which the open already checks, so a 500 comes from another server's own rule.
 * - connection refused, reset or closed (also after the server's `serverclose` hint), TLS failure, a refused or
 *   unusable `open`, a server breaking the framing, or no response within timeoutMs: transient. Messages whose
 *   response was lost with the connection are sent again, so a receiver may see a repeat (with its alert id + version).
 */
export class RelpClient {
  private session: RelpSession | undefined;
  private readonly name: string;
  private readonly window: number;
  private readonly maxDataBytes: number;

  constructor(private readonly opts: RelpClientOptions) {
    this.name = formatSyslogAddress(opts.address);
    this.window = opts.window ?? RELP_DEFAULT_WINDOW;
    this.maxDataBytes = opts.maxDataBytes ?? RELP_MAX_DATA_BYTES;
    if (!(Number.isInteger(this.window) && this.window >= 1)) throw new RangeError(`RELP ${this.name}: window must be an integer >= 1, got ${this.window}`);
  }

  /** Sends the messages in order; see the class comment for what a failure's `delivered` counts. */
  async send(messages: readonly Buffer[]): Promise<void> {
    const tooBig = messages.findIndex((m) => m.length > this.maxDataBytes);
    const sendable = tooBig < 0 ? messages : messages.slice(0, tooBig);
    if (sendable.length > 0) {
      let session = this.session;
      if (!session || session.gone) {
        this.session = undefined;
        session = await RelpSession.open(this.opts, this.name);
        this.session = session;
      }
      await session.transmit(sendable, this.window, this.opts.timeoutMs);
    }
    if (tooBig >= 0)
      throw new DeliveryError(
        `relp ${this.name}: message ${tooBig} of the batch is ${messages[tooBig]!.length} octets, over the ${this.maxDataBytes} a RELP frame carries`,
        {
          permanent: true,
          delivered: tooBig,
        },
      );
  }

  /** Ends the session with `close` (waiting for its response, bounded by timeoutMs), then the connection. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close(this.opts.timeoutMs);
  }
}

/** One connection and its RELP session: transaction numbers, the responses awaited, the frame reader. */
class RelpSession {
  private txnr = 1;
  private readonly waiting = new Map<number, { resolve: (f: RelpFrame) => void; reject: (e: DeliveryError) => void }>();
  private readonly reader = new RelpFrameReader();
  /** Why the session is over, once it is. */
  private ended: DeliveryError | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly name: string,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.end(this.failure('connection failed', e)));
    socket.on('end', () => this.end(this.failure('connection closed by the receiver')));
    socket.on('close', () => this.end(this.failure('connection closed')));
  }

  get gone(): boolean {
    return this.ended !== undefined;
  }

  /** Connects and opens a session; throws a transient DeliveryError (delivered 0) when either fails. */
  static async open(opts: RelpClientOptions, name: string): Promise<RelpSession> {
    const socket = await connect(opts, name);
    const session = new RelpSession(socket, name);
    const offers = `relp_version=0\nrelp_software=${opts.software}\ncommands=syslog`;
    const rsp = await session.withTimeout(session.request('open', offers), opts.timeoutMs, 'no answer to the session open');
    const parsed = session.guard(() => parseRelpResponse(rsp.data));
    const refused = (why: string) => {
      session.end(session.failure(why));
      return session.ended!;
    };
    if (parsed.status !== 200) throw refused(`the receiver refused the session: ${parsed.status} ${parsed.text}`);
    const offered = parseRelpOffers(parsed.body);
    if (!offered.has('relp_version')) throw refused('the receiver did not offer relp_version');
    if (!offered.get('commands')?.includes('syslog')) throw refused('the receiver does not offer the syslog command');
    return session;
  }

  /** Sends the messages as `syslog` frames, at most `window` unanswered; see RelpClient for the failures. */
  transmit(messages: readonly Buffer[], window: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const acked = new Array<boolean>(messages.length).fill(false);
      let leading = 0;
      let next = 0;
      let inFlight = 0;
      let refusal: { at: number; text: string } | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: DeliveryError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(new DeliveryError(err.message, { ...err.opts, delivered: err.opts.delivered ?? leading }));
        else resolve();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.end(this.failure(`no response within ${timeoutMs} ms (${inFlight} frames outstanding)`));
        }, timeoutMs);
      };
      const progress = () => {
        while (leading < messages.length && acked[leading]) leading++;
        if (leading === messages.length) return finish();
        if (refusal && leading === refusal.at)
          return finish(new DeliveryError(`relp ${this.name}: the receiver refused message ${refusal.at} of the batch: ${refusal.text}`, { permanent: true }));
        // After a refusal nothing more is sent: only the responses to frames before it are awaited.
        while (!refusal && inFlight < window && next < messages.length) {
          const i = next++;
          inFlight++;
          this.request('syslog', messages[i]!).then(
            (rsp) => {
              inFlight--;
              if (settled) return;
              arm();
              let r: ReturnType<typeof parseRelpResponse>;
              try {
                r = this.guard(() => parseRelpResponse(rsp.data));
              } catch (e) {
                return finish(e as DeliveryError);
              }
              if (r.status === 200) acked[i] = true;
              else if (!refusal || i < refusal.at) refusal = { at: i, text: `${r.status} ${r.text}`.trim() };
              progress();
            },
            (e: DeliveryError) => finish(e),
          );
        }
      };
      if (this.ended) return finish(this.ended);
      arm();
      progress();
    });
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.ended && this.waiting.size === 0) {
      await this.withTimeout(this.request('close'), timeoutMs, 'no answer to close').catch(() => undefined);
    }
    this.end(this.failure('session closed by the sender'));
  }

  /** Writes one command frame; resolves with its `rsp` frame. */
  private request(command: string, data: Buffer | string = ''): Promise<RelpFrame> {
    if (this.ended) return Promise.reject(this.ended);
    const txnr = this.txnr;
    this.txnr = nextTxnr(txnr);
    return new Promise<RelpFrame>((resolve, reject) => {
      this.waiting.set(txnr, { resolve, reject });
      this.socket.write(encodeRelpFrame(txnr, command, data));
    });
  }

  private receive(chunk: Buffer): void {
    let frames: RelpFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.end(this.failure('protocol error', e as Error));
      return;
    }
    for (const f of frames) {
      if (this.ended) return;
      if (f.txnr === 0) {
        // Hints need no answer; the only one RELP defines says the server is going away.
        if (f.command === 'serverclose') this.end(this.failure('the receiver closed the session (serverclose)'));
        continue;
      }
      const w = this.waiting.get(f.txnr);
      if (f.command !== 'rsp' || !w) {
        this.end(this.failure(`protocol error: unexpected frame ${f.txnr} ${f.command}`));
        return;
      }
      this.waiting.delete(f.txnr);
      w.resolve(f);
    }
  }

  /** Ends the session once: the socket is destroyed and every awaited response fails with `why`. */
  private end(why: DeliveryError): void {
    if (this.ended) return;
    this.ended = why;
    this.socket.destroy();
    for (const w of this.waiting.values()) w.reject(why);
    this.waiting.clear();
  }

  private withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.end(this.failure(`${what} within ${ms} ms`));
        reject(this.ended);
      }, ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  /** Runs a parse; a RelpProtocolError ends the session and comes back as its transient DeliveryError. */
  private guard<T>(parse: () => T): T {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof RelpProtocolError)) throw e;
      this.end(this.failure('protocol error', e));
      throw this.ended;
    }
  }

  private failure(what: string, cause?: Error): DeliveryError {
    return syslogFailure(this.name, what, cause);
  }
}

/** A TCP or TLS connection (TLS for `relp+tls://`), bounded by timeoutMs. */
function connect(opts: RelpClientOptions, name: string): Promise<Socket> {
  const tls = opts.address.protocol === 'relp+tls' ? (opts.tls ?? {}) : undefined;
  return openSyslogSocket(opts.address.host, opts.address.port, tls, opts.timeoutMs, name);
}
