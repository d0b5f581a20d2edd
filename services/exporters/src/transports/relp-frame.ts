/**
 * RELP framing (librelp's doc/relp.md, protocol version 0 as rsyslog speaks it):
 * `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. TXNR is 1-999,999,999 (0 is for hints such as the server's
 * `serverclose`), COMMAND 1-32 letters, DATALEN the octets of DATA (no SP and no DATA when 0).
 */

/** The largest transaction number; the one after it is 1 again. */
export const RELP_MAX_TXNR = 999_999_999;

/**
 * The largest DATA this client sends or accepts in one frame: RELP version 1 fixes it at 128 KiB. A receiver may take
 * less (rsyslog's imrelp truncates over its maxDataSize, by default its global maxMessageSize, 8 KiB unless set).
 */
export const RELP_MAX_DATA_BYTES = 128 * 1024;

export interface RelpFrame {
  txnr: number;
  command: string;
  data: Buffer;
}

/** The server broke the framing or the session's rules: the connection cannot be trusted any more. */
export class RelpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelpProtocolError';
  }
}

export function nextTxnr(txnr: number): number {
  return txnr >= RELP_MAX_TXNR ? 1 : txnr + 1;
}

/** One frame's bytes. */
export function encodeRelpFrame(txnr: number, command: string, data: Buffer | string = ''): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const head = Buffer.from(body.length > 0 ? `${txnr} ${command} ${body.length} ` : `${txnr} ${command} 0`, 'ascii');
  return Buffer.concat([head, body, Buffer.from('\n', 'ascii')]);
}

/** A complete header, and whether DATA follows (SP) or the trailer does (LF, DATALEN 0). */
const HEADER = /^(\d{1,9}) ([A-Za-z]{1,32}) (\d{1,9})([ \n])/;
/** What the start of a header may look like while more bytes are on their way. */
const HEADER_PREFIX = /^(\d{0,9}|\d{1,9} [A-Za-z]{0,32}|\d{1,9} [A-Za-z]{1,32} \d{0,9})$/;
/** Longest header: 9 + 1 + 32 + 1 + 9 + 1 octets. */
const HEADER_MAX = 53;

/**
 * Cuts the byte stream a RELP server sends into frames. The server is a peer on the network, so anything off the
 * grammar (a bad header, DATALEN over `maxDataBytes`, a missing trailer) throws a RelpProtocolError naming what it saw.
 */
export class RelpFrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxDataBytes = RELP_MAX_DATA_BYTES) {}

  /** Adds received bytes; returns the frames they complete, in order. */
  push(chunk: Buffer): RelpFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RelpFrame[] = [];
    for (;;) {
      const head = this.buf.subarray(0, HEADER_MAX).toString('latin1');
      const m = HEADER.exec(head);
      if (!m) {
        if (HEADER_PREFIX.test(head) && head.length < HEADER_MAX) return out;
        throw new RelpProtocolError(`bad RELP frame header ${JSON.stringify(head.slice(0, 60))}`);
      }
      const [whole, txnr, command, len, sep] = m as unknown as [string, string, string, string, string];
      const dataLen = Number(len);
      if (dataLen > this.maxDataBytes) throw new RelpProtocolError(`RELP frame of ${dataLen} octets, over the ${this.maxDataBytes} accepted`);
      if (sep === '\n' && dataLen !== 0) throw new RelpProtocolError(`RELP frame header ${JSON.stringify(whole)} announces data but ends the frame`);
      if (sep === ' ' && dataLen === 0) throw new RelpProtocolError(`RELP frame header ${JSON.stringify(whole)}: DATALEN 0 takes no space`);
      const start = whole.length;
      const end = sep === '\n' ? start - 1 : start + dataLen;
      if (this.buf.length < end + 1) return out;
      if (this.buf[end] !== 0x0a) throw new RelpProtocolError(`RELP frame ${txnr} ${command}: no LF after its ${dataLen} octets of data`);
      out.push({ txnr: Number(txnr), command, data: Buffer.from(this.buf.subarray(start, sep === '\n' ? start : end)) });
      this.buf = this.buf.subarray(end + 1);
    }
  }
}

/** A `rsp` frame's data: `STATUS [SP HUMAN-TEXT] [LF DATA]`. */
export interface RelpResponse {
  status: number;
  /** The human-readable text after the status ("OK"). */
  text: string;
  /** What follows the first LF (the offers of an `open` response). */
  body: string;
}

/** Reads a `rsp` frame's data; throws RelpProtocolError when it does not start with a 3-digit status. */
export function parseRelpResponse(data: Buffer): RelpResponse {
  const s = data.toString('utf8');
  const lf = s.indexOf('\n');
  const first = lf < 0 ? s : s.slice(0, lf);
  const m = /^(\d{3})(?: (.*))?$/.exec(first);
  if (!m) throw new RelpProtocolError(`RELP response without a status: ${JSON.stringify(first.slice(0, 80))}`);
  return { status: Number(m[1]), text: m[2] ?? '', body: lf < 0 ? '' : s.slice(lf + 1) };
}

/** Offers (`name=value,value` one a line) as a map of name to values. */
export function parseRelpOffers(body: string): Map<string, string[]> {
  const offers = new Map<string, string[]>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    offers.set(
      name,
      eq < 0
        ? []
        : line
            .slice(eq + 1)
            .split(',')
            .filter(Boolean),
    );
  }
  return offers;
}
