/**
 * Cuts a request body into its records as the bytes arrive, without ever holding more than one record: NDJSON lines,
 * or the elements of a JSON array. A record larger than `maxRecordBytes` is still delimited (its size counted) but
 * only its first `maxRecordBytes` bytes are kept, so an oversized record costs no more memory than an accepted one.
 * The splitter does not parse: it finds record boundaries (strings and nesting tracked for arrays), and JSON.parse
 * judges each record alone, so one malformed element is rejected with its position while its neighbours stand.
 */
export interface SplitRecord {
  /** 1-based: the NDJSON line number, or the array element's position. */
  position: number;
  /** Byte offset of the record's first byte in the body. */
  start: number;
  /** Its whole size in bytes (also when oversized). */
  size: number;
  /** Its bytes, or its first `maxRecordBytes` bytes when oversized. May share memory with the pushed chunks. */
  bytes: Buffer;
  oversized: boolean;
  /** Set when the body's structure, not the record, is at fault (not an array, not closed, text after it). */
  error?: string;
}

export interface RecordSplitter {
  /** Feeds the next bytes of the body; complete records are handed to `emit` in order. */
  push(chunk: Buffer, emit: (r: SplitRecord) => void): void;
  /** The body ended: hands over what is left (an unterminated last line, an unclosed array's last element). */
  end(emit: (r: SplitRecord) => void): void;
}

/** Collects one record's bytes up to a cap, counting all of them. */
class RecordBytes {
  private parts: Buffer[] = [];
  private kept = 0;
  size = 0;
  start = 0;
  constructor(private readonly cap: number) {}

  begin(start: number): void {
    this.parts = [];
    this.kept = 0;
    this.size = 0;
    this.start = start;
  }

  add(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.size += to - from;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const take = Math.min(room, to - from);
    this.parts.push(chunk.subarray(from, from + take));
    this.kept += take;
  }

  take(position: number, error?: string): SplitRecord {
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.kept);
    this.parts = [];
    const r: SplitRecord = { position, start: this.start, size: this.size, bytes, oversized: this.size > this.cap };
    if (error !== undefined) r.error = error;
    return r;
  }
}

const NL = 0x0a;
const CR = 0x0d;
const isWs = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Lines of NDJSON. Blank lines (whitespace only) are skipped but counted; a trailing `\r` is dropped. */
export function ndjsonSplitter(maxRecordBytes: number): RecordSplitter {
  const rec = new RecordBytes(maxRecordBytes);
  let offset = 0;
  let line = 1;
  let open = false;
  const finish = (emit: (r: SplitRecord) => void): void => {
    const r = rec.take(line);
    if (!r.oversized) {
      let end = r.bytes.length;
      while (end > 0 && isWs(r.bytes[end - 1] as number)) end--;
      let begin = 0;
      while (begin < end && isWs(r.bytes[begin] as number)) begin++;
      if (begin === end) return;
      // Trailing `\r` and blanks are not part of the record; its size stays as sent.
      if (end < r.bytes.length) r.bytes = r.bytes.subarray(0, end);
    } else if (r.bytes[r.bytes.length - 1] === CR) {
      r.bytes = r.bytes.subarray(0, r.bytes.length - 1);
    }
    emit(r);
  };
  return {
    push(chunk, emit) {
      let i = 0;
      while (i < chunk.length) {
        if (!open) {
          rec.begin(offset + i);
          open = true;
        }
        const nl = chunk.indexOf(NL, i);
        const to = nl === -1 ? chunk.length : nl;
        rec.add(chunk, i, to);
        if (nl === -1) break;
        finish(emit);
        open = false;
        line++;
        i = nl + 1;
      }
      offset += chunk.length;
    },
    end(emit) {
      if (open) finish(emit);
      open = false;
    },
  };
}

enum State {
  /** Before the opening `[`. */
  Before,
  /** Inside the array, between elements (after `[` or `,`). */
  Between,
  /** Inside an element, outside strings. */
  Element,
  InString,
  /** After a backslash inside a string. */
  Escape,
  /** After the closing `]`: only whitespace may follow. */
  After,
  /** The body is not (or no longer) an array: the rest is one record, rejected. */
  Broken,
}

/**
 * Elements of a JSON array. Only a `]` at the array's own level ends it; a stray `}` there stays inside the current
 * element (which then fails JSON.parse). Empty elements (`[1,,2]`, `[1,]`) are records with an error.
 */
export function jsonArraySplitter(maxRecordBytes: number): RecordSplitter {
  const rec = new RecordBytes(maxRecordBytes);
  let state = State.Before;
  let offset = 0;
  let position = 0;
  let depth = 0;
  /** A comma was read and no element has started since. */
  let afterComma = false;
  let brokenReason = '';

  const emitEmpty = (emit: (r: SplitRecord) => void, at: number): void => {
    position++;
    emit({ position, start: at, size: 0, bytes: Buffer.alloc(0), oversized: false, error: 'empty array element (two commas, or a comma before `]`)' });
  };
  const breakAt = (at: number, reason: string): void => {
    state = State.Broken;
    brokenReason = reason;
    position++;
    rec.begin(at);
  };

  return {
    push(chunk, emit) {
      let i = 0;
      // Where the current element's bytes in this chunk begin (when inside one).
      let from = state === State.Element || state === State.InString || state === State.Escape || state === State.Broken ? 0 : -1;
      while (i < chunk.length) {
        const b = chunk[i] as number;
        switch (state) {
          case State.Before:
            if (isWs(b)) {
              i++;
              continue;
            }
            // A UTF-8 byte order mark at the very start is allowed (some clients write one).
            if (offset + i === 0 && b === 0xef && chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf) {
              i += 3;
              continue;
            }
            if (b === 0x5b /* [ */) {
              state = State.Between;
              i++;
              continue;
            }
            breakAt(offset + i, 'expected a JSON array of events (or NDJSON with Content-Type: application/x-ndjson)');
            from = i;
            continue;
          case State.Between:
            if (isWs(b)) {
              i++;
              continue;
            }
            if (b === 0x2c /* , */) {
              emitEmpty(emit, offset + i);
              afterComma = true;
              i++;
              continue;
            }
            if (b === 0x5d /* ] */) {
              if (afterComma) emitEmpty(emit, offset + i);
              state = State.After;
              i++;
              continue;
            }
            rec.begin(offset + i);
            from = i;
            depth = 0;
            afterComma = false;
            state = State.Element;
            continue;
          case State.Element:
            if (b === 0x22 /* " */) state = State.InString;
            else if (b === 0x7b || b === 0x5b) depth++;
            else if (b === 0x7d /* } */) {
              if (depth > 0) depth--;
            } else if (b === 0x5d /* ] */) {
              if (depth > 0) depth--;
              else {
                rec.add(chunk, from, i);
                position++;
                emit(rec.take(position));
                from = -1;
                state = State.After;
              }
            } else if (b === 0x2c /* , */ && depth === 0) {
              rec.add(chunk, from, i);
              position++;
              emit(rec.take(position));
              from = -1;
              afterComma = true;
              state = State.Between;
            }
            i++;
            continue;
          case State.InString:
            // Skip to the next quote or backslash (the common case: long runs of plain text).
            {
              const q = chunk.indexOf(0x22, i);
              const bs = chunk.indexOf(0x5c, i);
              const next = q === -1 ? bs : bs === -1 ? q : Math.min(q, bs);
              if (next === -1) {
                i = chunk.length;
                continue;
              }
              state = chunk[next] === 0x22 ? State.Element : State.Escape;
              i = next + 1;
            }
            continue;
          case State.Escape:
            state = State.InString;
            i++;
            continue;
          case State.After:
            if (isWs(b)) {
              i++;
              continue;
            }
            breakAt(offset + i, `text after the end of the array (at byte ${offset + i})`);
            from = i;
            continue;
          case State.Broken:
            i = chunk.length;
            continue;
        }
      }
      if (from !== -1 && (state === State.Element || state === State.InString || state === State.Escape || state === State.Broken))
        rec.add(chunk, from, chunk.length);
      offset += chunk.length;
    },
    end(emit) {
      switch (state) {
        case State.Before:
          // Empty or whitespace only: no records (the caller answers "empty body").
          return;
        case State.Between:
          position++;
          emit({ position, start: offset, size: 0, bytes: Buffer.alloc(0), oversized: false, error: 'the array is not closed (the body ends before `]`)' });
          return;
        case State.Element:
        case State.InString:
        case State.Escape:
          position++;
          emit(rec.take(position, 'the array is not closed: the body ends inside this element'));
          return;
        case State.Broken:
          emit(rec.take(position, brokenReason));
          return;
        case State.After:
          return;
      }
    },
  };
}
