import type { EventKind } from '@agentwatch/schemas';
import { allOf, anyOf, ConditionError, compileCondition, isConditionKeyword, type Pred, parseCondition, usedIdentifiers } from './condition.ts';
import { type Accessor, type FieldValue, lookupField } from './fields.ts';
import { type Anchor, alternation, type Cidr, cidrMatcher, parseCidr, wildcardSource } from './pattern.ts';
import { isRecord, type Reporter, typeName, type YamlPath } from './source.ts';

/**
 * Compiles a Sigma `detection` section into one predicate over canonical events. Everything is resolved
 * here, once: field accessors, regular expressions (wildcards and `re`), CIDR ranges, the condition tree.
 * The predicate allocates nothing for string and list fields.
 */

type ScalarTest = (v: string | number) => boolean;

const MODIFIERS_SUPPORTED = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  're',
  'i',
  'm',
  's',
  'cidr',
  'exists',
  'gt',
  'gte',
  'lt',
  'lte',
  'fieldref',
  'cased',
]);

const MODIFIERS_REJECTED: Record<string, string> = {
  windash: 'windash (Windows command-line dash variants) is not supported: agentwatch events carry no command lines',
  base64: 'base64 is not supported: canonical event fields are not base64-encoded payloads; match the decoded value',
  base64offset: 'base64offset is not supported: canonical event fields are not base64-encoded payloads; match the decoded value',
  utf16le: 'utf16le is not supported (it only makes sense with base64, which is not supported)',
  utf16be: 'utf16be is not supported (it only makes sense with base64, which is not supported)',
  utf16: 'utf16 is not supported (it only makes sense with base64, which is not supported)',
  wide: 'wide is not supported (it only makes sense with base64, which is not supported)',
  expand: 'expand (placeholders such as %Servers%) is not supported: write the values into the rule',
  neq: 'neq is not supported: negate a selection in the condition ("selection and not filter")',
  minute: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  hour: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  day: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  week: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  month: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  year: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
};

const IDENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Compiles the `detection` map; returns null after reporting problems. */
export function compileDetection(detection: unknown, kinds: readonly EventKind[], r: Reporter, path: YamlPath = ['detection']): Pred | null {
  if (!isRecord(detection)) {
    r.add(path, `expected a map of search identifiers and a condition, got ${typeName(detection)}`);
    return null;
  }
  const before = r.count;
  const selections = new Map<string, Pred>();
  const identifiers: string[] = [];
  for (const [name, value] of Object.entries(detection)) {
    if (name === 'condition') continue;
    const p = [...path, name];
    if (name === 'timeframe') {
      r.add(p, 'timeframe (Sigma 1 aggregations) is not supported: write a correlation rule with a timespan');
      continue;
    }
    if (!IDENT.test(name) || isConditionKeyword(name)) {
      r.add(p, `"${name}" cannot be a search identifier: use letters, digits, "_", "." or "-", and not and/or/not/of/them/all`);
      continue;
    }
    identifiers.push(name);
    const pred = compileSearch(value, kinds, r, p);
    if (pred) selections.set(name, pred);
  }
  if (!('condition' in detection)) {
    r.add(path, 'missing "condition"');
    return null;
  }
  if (identifiers.length === 0) {
    r.add(path, 'no search identifiers: define at least one selection');
    return null;
  }
  const cond = detection['condition'];
  const conds: Array<{ text: unknown; p: YamlPath }> = Array.isArray(cond)
    ? cond.map((c, i) => ({ text: c, p: [...path, 'condition', i] }))
    : [{ text: cond, p: [...path, 'condition'] }];
  if (conds.length === 0) r.add([...path, 'condition'], 'empty condition list');
  const nodes = [];
  for (const c of conds) {
    if (typeof c.text !== 'string') {
      r.add(c.p, `expected a condition string, got ${typeName(c.text)}`);
      continue;
    }
    try {
      nodes.push(parseCondition(c.text, identifiers));
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      r.add(c.p, e.message);
    }
  }
  if (r.count === before) {
    // A selection the condition never uses is almost always a forgotten filter ("selection" instead of
    // "selection and not filter"); refuse it rather than run a rule that means something else.
    const used = new Set<string>();
    for (const n of nodes) usedIdentifiers(n, used);
    for (const name of identifiers) if (!used.has(name)) r.add([...path, name], `search identifier "${name}" is not used in the condition`);
  }
  if (r.count > before) return null;
  // A condition list is an OR of its conditions (Sigma rules specification, "Condition").
  return anyOf(nodes.map((n) => compileCondition(n, selections)));
}

/** A search identifier: a map (AND of fields) or a list of maps (OR). Keyword lists are refused. */
function compileSearch(value: unknown, kinds: readonly EventKind[], r: Reporter, path: YamlPath): Pred | null {
  if (isRecord(value)) return compileMap(value, kinds, r, path);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      r.add(path, 'empty list: expected field maps');
      return null;
    }
    if (value.every((v) => !isRecord(v))) {
      r.add(path, 'keyword lists (full-text search over the whole event) are not supported: agentwatch events are structured; match named fields instead');
      return null;
    }
    const preds: Pred[] = [];
    value.forEach((v, i) => {
      if (!isRecord(v)) {
        r.add([...path, i], `expected a map of field: value, got ${typeName(v)} (a list mixing maps and keywords is not supported)`);
        return;
      }
      const p = compileMap(v, kinds, r, [...path, i]);
      if (p) preds.push(p);
    });
    return preds.length === value.length ? anyOf(preds) : null;
  }
  r.add(
    path,
    `expected a map of field: value or a list of such maps, got ${typeName(value)}${typeof value === 'string' ? ' (keyword search is not supported)' : ''}`,
  );
  return null;
}

function compileMap(map: Record<string, unknown>, kinds: readonly EventKind[], r: Reporter, path: YamlPath): Pred | null {
  const entries = Object.entries(map);
  if (entries.length === 0) {
    r.add(path, 'empty map: expected at least one field: value');
    return null;
  }
  const preds: Pred[] = [];
  let ok = true;
  for (const [key, value] of entries) {
    const p = compileField(key, value, kinds, r, [...path, key]);
    if (p) preds.push(p);
    else ok = false;
  }
  return ok ? allOf(preds) : null;
}

interface Mods {
  anchor: Anchor;
  all: boolean;
  re: boolean;
  reFlags: string;
  cidr: boolean;
  exists: boolean;
  cmp: 'gt' | 'gte' | 'lt' | 'lte' | null;
  fieldref: boolean;
  cased: boolean;
}

function parseMods(mods: readonly string[], r: Reporter, path: YamlPath): Mods | null {
  const m: Mods = { anchor: 'exact', all: false, re: false, reFlags: '', cidr: false, exists: false, cmp: null, fieldref: false, cased: false };
  const seen = new Set<string>();
  let ok = true;
  const bad = (msg: string): void => {
    r.add(path, msg);
    ok = false;
  };
  for (const [idx, raw] of mods.entries()) {
    const mod = raw;
    if (mod === '') {
      bad('empty modifier ("||" or a trailing "|")');
      continue;
    }
    if (!MODIFIERS_SUPPORTED.has(mod)) {
      const rejected = MODIFIERS_REJECTED[mod];
      bad(rejected ? `modifier "${mod}": ${rejected}` : `unknown modifier "${mod}" (supported: ${[...MODIFIERS_SUPPORTED].join(', ')})`);
      continue;
    }
    if (seen.has(mod)) {
      bad(`modifier "${mod}" given twice`);
      continue;
    }
    seen.add(mod);
    switch (mod) {
      case 'contains':
      case 'startswith':
      case 'endswith':
        if (m.anchor !== 'exact') bad(`modifiers "${m.anchor}" and "${mod}" cannot be combined`);
        m.anchor = mod;
        break;
      case 'i':
      case 'm':
      case 's': {
        const prev = mods.slice(0, idx);
        if (!prev.includes('re') || prev.slice(prev.indexOf('re') + 1).some((p) => !['i', 'm', 's'].includes(p))) {
          bad(`"${mod}" is a sub-modifier of "re" and must follow it directly, e.g. field|re|${mod}`);
        }
        m.reFlags += mod;
        break;
      }
      case 'all':
        m.all = true;
        break;
      case 're':
        m.re = true;
        break;
      case 'cidr':
        m.cidr = true;
        break;
      case 'exists':
        m.exists = true;
        break;
      case 'fieldref':
        m.fieldref = true;
        break;
      case 'cased':
        m.cased = true;
        break;
      default:
        if (m.cmp !== null) bad(`modifiers "${m.cmp}" and "${mod}" cannot be combined; use two fields entries in separate selections`);
        m.cmp = mod as 'gt' | 'gte' | 'lt' | 'lte';
    }
  }
  if (!ok) return null;
  const types = [m.re && 're', m.cidr && 'cidr', m.exists && 'exists', m.cmp, m.fieldref && 'fieldref'].filter((x): x is string => typeof x === 'string');
  const type = types[0];
  if (types.length > 1) bad(`modifiers "${types.join('" and "')}" cannot be combined`);
  else if (type !== undefined && m.anchor !== 'exact') bad(`"${m.anchor}" cannot be combined with "${type}"`);
  else if (m.cased && type !== undefined && type !== 'fieldref') {
    bad(`"cased" cannot be combined with "${type}"${type === 're' ? ' (regular expressions are case-sensitive unless |i is given)' : ''}`);
  } else if (m.all && (m.exists || m.cmp !== null)) bad(`"all" cannot be combined with "${m.exists ? 'exists' : m.cmp}"`);
  return ok ? m : null;
}

/** One `field|mod|mod: value` entry. */
function compileField(key: string, value: unknown, kinds: readonly EventKind[], r: Reporter, path: YamlPath): Pred | null {
  const [fieldName = '', ...modNames] = key.split('|');
  if (fieldName === '') {
    r.add(path, 'a value without a field name is a keyword search, which is not supported: name a canonical event field');
    return null;
  }
  const found = lookupField(fieldName, kinds);
  if (!found.ok) {
    r.add(path, found.message);
    return null;
  }
  const { get } = found.field;
  const m = parseMods(modNames, r, path);
  if (!m) return null;

  if (isRecord(value)) {
    r.add(
      path,
      `expected a value or a list of values, got a map${fieldName === 'approval' ? ' (write approval.by: ...)' : ' (nested maps are not supported; use dotted field names such as approval.by or attributes.<key>)'}`,
    );
    return null;
  }
  const isList = Array.isArray(value);
  const values: unknown[] = isList ? value : [value];
  if (isList && values.length === 0) {
    r.add(path, 'empty list of values');
    return null;
  }
  if (m.all && values.length < 2) {
    r.add(path, '"all" needs a list of at least two values (Sigma forbids it on a single value)');
    return null;
  }
  let ok = true;
  values.forEach((v, i) => {
    if (Array.isArray(v) || isRecord(v)) {
      r.add(isList ? [...path, i] : path, `expected a scalar value, got ${typeName(v)}`);
      ok = false;
    }
  });
  if (!ok) return null;

  // exists: a boolean, presence of the field.
  if (m.exists) {
    if (typeof value !== 'boolean') {
      r.add(path, `"exists" expects true or false, got ${isList ? 'a list' : JSON.stringify(value)}`);
      return null;
    }
    return value ? (e) => get(e) !== undefined : (e) => get(e) === undefined;
  }

  // gt / gte / lt / lte: one number.
  if (m.cmp !== null) {
    if (isList || typeof value !== 'number' || !Number.isFinite(value)) {
      r.add(path, `"${m.cmp}" expects one number, got ${isList ? 'a list' : JSON.stringify(value)}`);
      return null;
    }
    return fieldTest(get, numericTest(m.cmp, value));
  }

  // null: the field is absent (or an empty list); only alone, without modifiers.
  if (values.some((v) => v === null)) {
    if (isList) {
      r.add(path, 'null cannot be part of a list of values (Sigma rules specification): put "field: null" in its own selection');
      return null;
    }
    if (modNames.length > 0) {
      r.add(path, `null cannot be used with modifiers (${modNames.join('|')})`);
      return null;
    }
    return (e) => {
      const v = get(e);
      return v === undefined || (Array.isArray(v) && v.length === 0);
    };
  }

  if (m.cidr) {
    const ranges: Cidr[] = [];
    values.forEach((v, i) => {
      const p = isList ? [...path, i] : path;
      if (typeof v !== 'string') {
        r.add(p, `"cidr" expects a CIDR string such as 10.0.0.0/8, got ${JSON.stringify(v)}`);
        return;
      }
      const c = parseCidr(v.trim());
      if (typeof c === 'string') r.add(p, `invalid CIDR: ${c}`);
      else ranges.push(c);
    });
    if (ranges.length !== values.length) return null;
    if (m.all) {
      const tests = ranges.map((c) => stringOnly(cidrMatcher([c])));
      return fieldTestAll(get, tests);
    }
    return fieldTest(get, stringOnly(cidrMatcher(ranges)));
  }

  if (m.re) {
    const tests: ScalarTest[] = [];
    values.forEach((v, i) => {
      const p = isList ? [...path, i] : path;
      if (typeof v !== 'string') {
        r.add(p, `"re" expects a regular expression string, got ${JSON.stringify(v)}`);
        return;
      }
      try {
        const re = new RegExp(v, m.reFlags);
        tests.push((x) => re.test(typeof x === 'string' ? x : String(x)));
      } catch (e) {
        const inline = /\(\?[a-z]+[:)]/.test(v) ? ' (inline flags such as (?i) are not JavaScript syntax: use field|re|i)' : '';
        r.add(p, `invalid regular expression: ${(e as Error).message}${inline}`);
      }
    });
    if (tests.length !== values.length) return null;
    return m.all ? fieldTestAll(get, tests) : fieldTest(get, anyScalar(tests));
  }

  if (m.fieldref) {
    const others: Accessor[] = [];
    values.forEach((v, i) => {
      const p = isList ? [...path, i] : path;
      if (typeof v !== 'string') {
        r.add(p, `"fieldref" expects a field name, got ${JSON.stringify(v)}`);
        return;
      }
      const other = lookupField(v, kinds);
      if (!other.ok) r.add(p, `fieldref: ${other.message}`);
      else others.push(other.field.get);
    });
    if (others.length !== values.length) return null;
    const preds = others.map((o) => fieldRefPred(get, o, m.cased));
    return m.all ? allOf(preds) : anyOf(preds);
  }

  // Plain values, optionally contains / startswith / endswith / cased / all.
  for (const [i, v] of values.entries()) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      r.add(isList ? [...path, i] : path, `expected a string, number or boolean, got ${typeName(v)}`);
      return null;
    }
  }
  const scalars = values as Array<string | number | boolean>;
  if (m.all)
    return fieldTestAll(
      get,
      scalars.map((v) => valueTest([v], m.anchor, m.cased)),
    );
  return fieldTest(get, valueTest(scalars, m.anchor, m.cased));
}

/** OR over values: one alternation regex for their string forms, plus numeric equality for numbers. */
function valueTest(values: ReadonlyArray<string | number | boolean>, anchor: Anchor, cased: boolean): ScalarTest {
  const sources: string[] = [];
  const nums: number[] = [];
  let onlyNumbers = true;
  for (const v of values) {
    if (typeof v === 'number' && anchor === 'exact') nums.push(v);
    else onlyNumbers = false;
    sources.push(wildcardSource(typeof v === 'string' ? v : String(v), anchor));
  }
  const re = alternation(sources, cased) as RegExp;
  if (nums.length === 0) return (x) => re.test(typeof x === 'string' ? x : String(x));
  if (nums.length === 1 && onlyNumbers) {
    const n = nums[0] as number;
    return (x) => (typeof x === 'number' ? x === n : re.test(x));
  }
  return (x) => (typeof x === 'string' ? re.test(x) : nums.includes(x) || (!onlyNumbers && re.test(String(x))));
}

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function numericTest(op: 'gt' | 'gte' | 'lt' | 'lte', bound: number): ScalarTest {
  const num = (x: string | number): number => (typeof x === 'number' ? x : NUMERIC.test(x) ? Number(x) : Number.NaN);
  switch (op) {
    case 'gt':
      return (x) => num(x) > bound;
    case 'gte':
      return (x) => num(x) >= bound;
    case 'lt':
      return (x) => num(x) < bound;
    case 'lte':
      return (x) => num(x) <= bound;
  }
}

const stringOnly =
  (t: (s: string) => boolean): ScalarTest =>
  (x) =>
    typeof x === 'string' && t(x);

function anyScalar(tests: readonly ScalarTest[]): ScalarTest {
  if (tests.length === 1) return tests[0] as ScalarTest;
  return (x) => {
    for (let i = 0; i < tests.length; i++) if ((tests[i] as ScalarTest)(x)) return true;
    return false;
  };
}

/** Whether the value (or, for a list field, any element) passes the test. */
function passes(v: FieldValue, t: ScalarTest): boolean {
  if (typeof v === 'string' || typeof v === 'number') return t(v);
  if (v === undefined) return false;
  for (let i = 0; i < v.length; i++) if (t(v[i] as string)) return true;
  return false;
}

function fieldTest(get: Accessor, t: ScalarTest): Pred {
  return (e) => passes(get(e), t);
}

/** `all`: every test must pass (on a list field, each test on some element). */
function fieldTestAll(get: Accessor, tests: readonly ScalarTest[]): Pred {
  return (e) => {
    const v = get(e);
    if (v === undefined) return false;
    for (let i = 0; i < tests.length; i++) if (!passes(v, tests[i] as ScalarTest)) return false;
    return true;
  };
}

function textEq(a: string, b: string, cased: boolean): boolean {
  if (a.length !== b.length) return false;
  return a === b || (!cased && a.toLowerCase() === b.toLowerCase());
}

/** `field|fieldref: other`: the two fields hold the same value (any element of a list field). */
function fieldRefPred(get: Accessor, other: Accessor, cased: boolean): Pred {
  return (e) => {
    const a = get(e);
    const b = other(e);
    if (a === undefined || b === undefined) return false;
    const as = typeof a === 'object' ? a : [typeof a === 'number' ? String(a) : a];
    const bs = typeof b === 'object' ? b : [typeof b === 'number' ? String(b) : b];
    for (const x of as) for (const y of bs) if (textEq(x, y, cased)) return true;
    return false;
  };
}
