/**
 * An independent CEF / RFC 5424 reader for the tests, written from the CEF spec rather than from our writer: header
 * fields split on unescaped pipes; an extension key is the word before an unescaped `=`, its value runs to the space
 * before the next key.
 */
export interface ParsedCef {
  header: string[];
  ext: Map<string, string>;
}

export interface ParsedSyslog {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  msg: string;
}

export function parseSyslog(line: string): ParsedSyslog {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[[^\]]*\]) ([\s\S]*)$/.exec(line);
  if (!m) throw new Error(`not an RFC 5424 line: ${line.slice(0, 80)}`);
  const g = m.slice(1) as [string, string, string, string, string, string, string, string, string];
  return { pri: Number(g[0]), version: g[1], timestamp: g[2], hostname: g[3], appName: g[4], procId: g[5], msgId: g[6], structuredData: g[7], msg: g[8] };
}

export function parseCef(text: string): ParsedCef {
  const header: string[] = [];
  let cur = '';
  let i = 0;
  while (header.length < 7) {
    const c = text[i];
    if (c === undefined) throw new Error('CEF header ends early');
    if (c === '\\' && (text[i + 1] === '\\' || text[i + 1] === '|')) {
      cur += text[i + 1];
      i += 2;
    } else if (c === '|') {
      header.push(cur);
      cur = '';
      i += 1;
    } else {
      cur += c;
      i += 1;
    }
  }
  const rest = text.slice(i);
  // Positions of unescaped '=' (an escaped one is preceded by an odd number of backslashes).
  const eqs: number[] = [];
  for (let j = 0; j < rest.length; j++) {
    if (rest[j] !== '=') continue;
    let bs = 0;
    for (let k = j - 1; k >= 0 && rest[k] === '\\'; k--) bs++;
    if (bs % 2 === 0) eqs.push(j);
  }
  const keyStart = (eq: number) => rest.lastIndexOf(' ', eq) + 1;
  const ext = new Map<string, string>();
  eqs.forEach((eq, n) => {
    const key = rest.slice(keyStart(eq), eq);
    const next = eqs[n + 1];
    const end = next === undefined ? rest.length : keyStart(next) - 1;
    const raw = rest.slice(eq + 1, end);
    ext.set(
      key,
      raw.replace(/\\(.)/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch)),
    );
  });
  return { header, ext };
}
