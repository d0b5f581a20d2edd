/**
 * Sigma string values: wildcards (`*` any run, `?` one character) and the backslash escape, turned into
 * regular-expression source once at compile time.
 *
 * Escapes (Sigma rules specification, "Escape Character"): `\*` and `\?` are a literal `*` / `?`, `\\` is
 * one literal backslash, and a backslash before any other character is itself literal. So `C:\Windows`
 * and `C:\\Windows` are the same value, `\\*` is a backslash followed by a wildcard, `\\\*` a backslash and
 * a literal star.
 */

/** Where the value must sit in the field: whole value, prefix, suffix or anywhere. */
export type Anchor = 'exact' | 'startswith' | 'endswith' | 'contains';

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/;

function escapeChar(c: string): string {
  return REGEX_SPECIAL.test(c) ? `\\${c}` : c;
}

/** Whether the value contains an unescaped wildcard. */
export function hasWildcard(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const n = value[i + 1];
      if (n === '*' || n === '?' || n === '\\') i++;
    } else if (c === '*' || c === '?') return true;
  }
  return false;
}

/**
 * Regex source (for the `su` flags, plus `i` unless cased) matching a Sigma value at the given anchor.
 * Leading/trailing `*` next to an anchor are folded away so the engine never scans `^.*`.
 */
export function wildcardSource(value: string, anchor: Anchor): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\') {
      const n = value[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        parts.push(escapeChar(n));
        i++;
      } else parts.push('\\\\');
    } else if (c === '*') {
      if (parts[parts.length - 1] !== '.*') parts.push('.*');
    } else if (c === '?') parts.push('.');
    else parts.push(escapeChar(c));
  }
  let start = anchor === 'exact' || anchor === 'startswith';
  let end = anchor === 'exact' || anchor === 'endswith';
  while (parts[0] === '.*') {
    parts.shift();
    start = false;
  }
  while (parts.length > 0 && parts[parts.length - 1] === '.*') {
    parts.pop();
    end = false;
  }
  return `${start ? '^' : ''}${parts.join('')}${end ? '$' : ''}`;
}

/** One regex for several alternatives (OR), or null when there are none. */
export function alternation(sources: readonly string[], cased: boolean): RegExp | null {
  if (sources.length === 0) return null;
  const src = sources.length === 1 ? (sources[0] as string) : sources.map((s) => `(?:${s})`).join('|');
  return new RegExp(src, cased ? 'su' : 'isu');
}

// ---------------------------------------------------------------------------------------------------
// IP addresses and CIDR ranges, parsed without allocation on the hot path.

/** Scratch space for the address under test: 8 groups of 16 bits (IPv4 uses groups 6 and 7). */
const scratch = new Uint16Array(8);
/** Scratch for the IPv6 parser: groups before and after `::`. */
const headGroups = new Uint16Array(8);
const tailGroups = new Uint16Array(8);

/** Address families as parsed: plain IPv4, IPv4-mapped IPv6 (`::ffff:a.b.c.d`), other IPv6; 0 = not an address. */
type Family = 0 | 4 | 5 | 6;

/** Parses dotted IPv4 `s[from..to)` into a uint32, or -1. */
function parseV4(s: string, from: number, to: number): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return acc * 256 + part;
}

/** Parses an address into {@link scratch} and returns its {@link Family}. A zone (`%eth0`) is ignored. */
function parseAddress(s: string, from = 0, toIn = s.length): Family {
  let to = toIn;
  const pct = s.indexOf('%', from);
  if (pct >= 0 && pct < to) to = pct;
  if (s.indexOf(':', from) < 0 || s.indexOf(':', from) >= to) {
    const v4 = parseV4(s, from, to);
    if (v4 < 0) return 0;
    scratch.fill(0);
    scratch[6] = v4 >>> 16;
    scratch[7] = v4 & 0xffff;
    return 4;
  }
  // IPv6: up to 8 groups, one `::`, optional trailing dotted IPv4.
  let head = 0; // groups before ::
  let tail = -1; // groups after :: (-1: no :: seen)
  let i = from;
  if (s.startsWith('::', i)) {
    tail = 0;
    i += 2;
  }
  while (i < to) {
    // read a group or a trailing IPv4
    let j = i;
    let val = 0;
    let n = 0;
    while (j < to) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      val = val * 16 + d;
      n++;
      j++;
    }
    if (j < to && s.charCodeAt(j) === 46) {
      const v4 = parseV4(s, i, to);
      if (v4 < 0) return 0;
      const hi = v4 >>> 16;
      const lo = v4 & 0xffff;
      if (tail < 0) {
        if (head > 6) return 0;
        headGroups[head++] = hi;
        headGroups[head++] = lo;
      } else {
        if (tail > 6) return 0;
        tailGroups[tail++] = hi;
        tailGroups[tail++] = lo;
      }
      i = to;
      break;
    }
    if (n === 0 || n > 4) return 0;
    if (tail < 0) {
      if (head >= 8) return 0;
      headGroups[head++] = val;
    } else {
      if (tail >= 8) return 0;
      tailGroups[tail++] = val;
    }
    i = j;
    if (i >= to) break;
    if (s.charCodeAt(i) !== 58) return 0;
    if (s.charCodeAt(i + 1) === 58) {
      if (tail >= 0) return 0; // second ::
      tail = 0;
      i += 2;
    } else {
      i += 1;
      if (i >= to) return 0; // trailing single colon
    }
  }
  if (tail < 0 ? head !== 8 : head + tail > 7) return 0;
  scratch.fill(0);
  for (let g = 0; g < head; g++) scratch[g] = headGroups[g] as number;
  for (let g = 0; g < tail; g++) scratch[8 - tail + g] = tailGroups[g] as number;
  if (scratch[0] === 0 && scratch[1] === 0 && scratch[2] === 0 && scratch[3] === 0 && scratch[4] === 0 && scratch[5] === 0xffff) return 5;
  return 6;
}

/** A compiled CIDR range. */
export interface Cidr {
  readonly family: 4 | 6;
  /** Network address as 8 16-bit groups (IPv4 in groups 6..7). */
  readonly net: Uint16Array;
  /** Prefix length in bits within the family (0..32 or 0..128). */
  readonly bits: number;
  readonly text: string;
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). Host bits set beyond the prefix are an error. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const fam = parseAddress(addr);
  if (fam === 0) return `"${addr}" is not an IPv4 or IPv6 address`;
  const family: 4 | 6 = fam === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > max) return `prefix length "/${b}" must be 0..${max} for IPv${family}`;
    bits = Number(b);
  }
  const net = new Uint16Array(scratch);
  if (!prefixEquals(net, net, family, bits, true)) return `"${text}" has host bits set beyond /${bits}`;
  return { family, net, bits, text };
}

/** Compares the first `bits` of the family's part of `a` and `b`; with `checkHost`, instead checks `a` has no bits past the prefix. */
function prefixEquals(a: Uint16Array, b: Uint16Array, family: 4 | 6, bits: number, checkHost = false): boolean {
  const first = family === 4 ? 6 : 0;
  let remaining = bits;
  for (let g = first; g < 8; g++) {
    const take = Math.min(16, Math.max(0, remaining));
    remaining -= 16;
    const mask = take === 0 ? 0 : (0xffff << (16 - take)) & 0xffff;
    const av = a[g] as number;
    if (checkHost) {
      if ((av & ~mask & 0xffff) !== 0) return false;
    } else if ((av & mask) !== ((b[g] as number) & mask)) return false;
  }
  return true;
}

/** A test for "the address is in one of these ranges"; caches the last address parsed. */
export function cidrMatcher(ranges: readonly Cidr[]): (value: string) => boolean {
  let lastValue: string | undefined;
  let lastResult = false;
  return (value: string) => {
    if (value === lastValue) return lastResult;
    lastValue = value;
    const fam = parseAddress(value);
    lastResult = false;
    if (fam !== 0) {
      for (const r of ranges) {
        // An IPv4 range matches IPv4 and IPv4-mapped IPv6 addresses (::ffff:10.1.2.3); an IPv6 range matches
        // addresses written as IPv6 only.
        if (r.family === 4 ? fam === 6 : fam === 4) continue;
        if (prefixEquals(scratch, r.net, r.family, r.bits)) {
          lastResult = true;
          break;
        }
      }
    }
    return lastResult;
  };
}
