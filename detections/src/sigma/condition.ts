import type { CanonicalEvent } from '@agentwatch/schemas';

/**
 * The Sigma `condition` language, the subset agentwatch runs: search identifiers, `and`, `or`, `not`,
 * parentheses, `1 of <pattern>`, `all of <pattern>`, `1 of them`, `all of them`. Precedence (loosest
 * first): or, and, not, `x of`, parentheses. `them` excludes identifiers starting with `_`.
 */

export type Pred = (e: CanonicalEvent) => boolean;

export type CondNode =
  | { t: 'id'; name: string }
  | { t: 'not'; x: CondNode }
  | { t: 'and'; xs: CondNode[] }
  | { t: 'or'; xs: CondNode[] }
  | { t: 'of'; all: boolean; names: string[] };

interface Token {
  text: string;
  pos: number;
}

export class ConditionError extends Error {}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all']);

export const isConditionKeyword = (s: string): boolean => KEYWORDS.has(s.toLowerCase());

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s+|[()]|[A-Za-z0-9_.*?-]+|./gy;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    const text = m[0];
    if (/^\s+$/.test(text)) continue;
    if (text === '|') {
      throw new ConditionError(
        `aggregation expressions ("| count() ...", "| near ...") are not supported (obsolete in Sigma 2); write a correlation rule instead (at character ${m.index + 1})`,
      );
    }
    if (text.length === 1 && !/[()A-Za-z0-9_.*?-]/.test(text)) throw new ConditionError(`unexpected character "${text}" at character ${m.index + 1}`);
    out.push({ text, pos: m.index });
  }
  return out;
}

/** Parses a condition string against the declared search identifiers (in declaration order). */
export function parseCondition(src: string, identifiers: readonly string[]): CondNode {
  const tokens = tokenize(src);
  if (tokens.length === 0) throw new ConditionError('empty condition');
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const lower = (t: Token | undefined): string | undefined => t?.text.toLowerCase();
  const at = (t: Token | undefined): string => (t ? `"${t.text}" at character ${t.pos + 1}` : 'end of condition');

  const parseOr = (): CondNode => {
    const xs = [parseAnd()];
    while (lower(peek()) === 'or') {
      i++;
      xs.push(parseAnd());
    }
    return xs.length === 1 ? (xs[0] as CondNode) : { t: 'or', xs };
  };
  const parseAnd = (): CondNode => {
    const xs = [parseNot()];
    while (lower(peek()) === 'and') {
      i++;
      xs.push(parseNot());
    }
    return xs.length === 1 ? (xs[0] as CondNode) : { t: 'and', xs };
  };
  const parseNot = (): CondNode => {
    if (lower(peek()) === 'not') {
      i++;
      return { t: 'not', x: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): CondNode => {
    const tok = peek();
    if (!tok) throw new ConditionError('condition ends where a search identifier, "not", "(" or "1 of"/"all of" was expected');
    const word = tok.text.toLowerCase();
    if (tok.text === '(') {
      i++;
      const inner = parseOr();
      if (peek()?.text !== ')') throw new ConditionError(`expected ")" to close the "(" at character ${tok.pos + 1}, found ${at(peek())}`);
      i++;
      return inner;
    }
    const next = lower(tokens[i + 1]);
    if (word === 'all' && next !== 'of') throw new ConditionError(`expected "of" after ${at(tok)}`);
    if (next === 'of') {
      if (word !== '1' && word !== 'all') {
        throw new ConditionError(`"${tok.text} of" is not supported: only "1 of" and "all of" (at character ${tok.pos + 1})`);
      }
      i += 2;
      const target = peek();
      if (!target || target.text === '(' || target.text === ')') throw new ConditionError(`expected "them" or an identifier pattern after "${tok.text} of"`);
      i++;
      let names: string[];
      if (target.text.toLowerCase() === 'them') {
        names = identifiers.filter((n) => !n.startsWith('_'));
        if (names.length === 0) throw new ConditionError('"them" matches no search identifier (identifiers starting with "_" are excluded)');
      } else {
        if (isConditionKeyword(target.text)) throw new ConditionError(`expected "them" or an identifier pattern, found ${at(target)}`);
        const re = new RegExp(
          `^${target.text
            .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        );
        names = identifiers.filter((n) => re.test(n));
        if (names.length === 0) throw new ConditionError(`pattern "${target.text}" matches no search identifier (declared: ${identifiers.join(', ')})`);
      }
      return { t: 'of', all: word === 'all', names };
    }
    if (isConditionKeyword(tok.text) || tok.text === ')') throw new ConditionError(`unexpected ${at(tok)}`);
    if (/[*?]/.test(tok.text)) throw new ConditionError(`wildcards in "${tok.text}" are only allowed after "1 of" / "all of" (at character ${tok.pos + 1})`);
    if (!identifiers.includes(tok.text)) {
      throw new ConditionError(`unknown search identifier "${tok.text}" (declared: ${identifiers.join(', ') || 'none'})`);
    }
    i++;
    return { t: 'id', name: tok.text };
  };

  const node = parseOr();
  if (i < tokens.length) throw new ConditionError(`unexpected ${at(peek())}; expected "and", "or" or the end`);
  return node;
}

/** Names of the search identifiers a condition uses. */
export function usedIdentifiers(node: CondNode, out = new Set<string>()): Set<string> {
  switch (node.t) {
    case 'id':
      out.add(node.name);
      break;
    case 'not':
      usedIdentifiers(node.x, out);
      break;
    case 'and':
    case 'or':
      for (const x of node.xs) usedIdentifiers(x, out);
      break;
    case 'of':
      for (const n of node.names) out.add(n);
      break;
  }
  return out;
}

/** AND of predicates, unrolled for the common small cases. */
export function allOf(ps: readonly Pred[]): Pred {
  if (ps.length === 1) return ps[0] as Pred;
  if (ps.length === 2) {
    const [a, b] = ps as [Pred, Pred];
    return (e) => a(e) && b(e);
  }
  if (ps.length === 3) {
    const [a, b, c] = ps as [Pred, Pred, Pred];
    return (e) => a(e) && b(e) && c(e);
  }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (!(ps[i] as Pred)(e)) return false;
    return true;
  };
}

/** OR of predicates. */
export function anyOf(ps: readonly Pred[]): Pred {
  if (ps.length === 1) return ps[0] as Pred;
  if (ps.length === 2) {
    const [a, b] = ps as [Pred, Pred];
    return (e) => a(e) || b(e);
  }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if ((ps[i] as Pred)(e)) return true;
    return false;
  };
}

/** Compiles a parsed condition into one predicate over the compiled search identifiers. */
export function compileCondition(node: CondNode, selections: ReadonlyMap<string, Pred>): Pred {
  switch (node.t) {
    case 'id':
      return selections.get(node.name) as Pred;
    case 'not': {
      const x = compileCondition(node.x, selections);
      return (e) => !x(e);
    }
    case 'and':
      return allOf(node.xs.map((x) => compileCondition(x, selections)));
    case 'or':
      return anyOf(node.xs.map((x) => compileCondition(x, selections)));
    case 'of': {
      const ps = node.names.map((n) => selections.get(n) as Pred);
      return node.all ? allOf(ps) : anyOf(ps);
    }
  }
}
