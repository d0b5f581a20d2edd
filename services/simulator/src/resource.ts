import type { Rng } from './rng.ts';

/** Per-day values resource templates can refer to. */
export interface DayCtx {
  yr: string;
  mo: string;
  date: string;
  datePath: string;
  /** Employee e-mail addresses (`{user}`). */
  users: readonly string[];
}

export type ResGen = (rng: Rng, day: DayCtx) => string;
type Part = string | ResGen;

/**
 * Compiles a resource template (see ToolSpec.res) into a generator. Placeholders: `{n:A-B}` integer,
 * `{h:K}` hex, `{yr}`, `{mo}`, `{d}`, `{dp}`, `{user}`, `{a|b|c}` choice.
 */
export function compileResource(template: string): ResGen {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push(placeholder(m[1] as string, template));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const fixed = parts[0];
    return () => fixed;
  }
  return (rng, day) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(rng, day);
    return out;
  };
}

function placeholder(body: string, template: string): ResGen {
  if (body === 'yr') return (_r, d) => d.yr;
  if (body === 'mo') return (_r, d) => d.mo;
  if (body === 'd') return (_r, d) => d.date;
  if (body === 'dp') return (_r, d) => d.datePath;
  if (body === 'user') return (r, d) => r.pick(d.users);
  const num = /^n:(\d+)-(\d+)$/.exec(body);
  if (num) {
    const lo = Number(num[1]);
    const hi = Number(num[2]);
    // Skewed towards recent (higher) ids, as real record ids are.
    return (r) => String(hi - Math.floor((hi - lo + 1) * r.next() ** 1.6));
  }
  const hex = /^h:(\d+)$/.exec(body);
  if (hex) {
    const len = Number(hex[1]);
    return (r) => r.hex(len);
  }
  if (body.includes('|')) {
    const options = body.split('|');
    return (r) => r.pick(options);
  }
  throw new Error(`bad placeholder {${body}} in resource template ${template}`);
}

/** The day context for the UTC day starting at `dayStartMs`. */
export function dayCtx(dayStartMs: number, users: readonly string[]): DayCtx {
  const iso = new Date(dayStartMs).toISOString();
  return { yr: iso.slice(0, 4), mo: iso.slice(5, 7), date: iso.slice(0, 10), datePath: iso.slice(0, 10).replaceAll('-', '/'), users };
}
