import { createHash } from 'node:crypto';
import { CATEGORIES, type CanonicalEvent, type Category, EVENT_KINDS, type EventKind, type Severity } from '@agentwatch/schemas';
import type { Finding, Rule, RuleContext } from '../engine/types.ts';
import { actionPhrase } from '../rule-helpers.ts';
import { list, shortName } from '../text.ts';
import type { Pred } from './condition.ts';
import { CorrelationNode, type CorrelationType, type CorrFire, type CountCondition, DetectionNode, type MatchNode } from './correlation.ts';
import { compileDetection } from './detection.ts';
import { type Accessor, type FieldRef, lookupField, valueText } from './fields.ts';
import { isRecord, parseYamlDocuments, Reporter, type SigmaProblem, type SourceDoc, typeName, type YamlPath } from './source.ts';
import { compileTemplate, groupText, type Render } from './template.ts';

/** Where a compiled Sigma rule came from. */
export interface SigmaRuleInfo {
  readonly file: string;
  /** 0-based document index within the file. */
  readonly document: number;
  readonly title: string;
  readonly name?: string;
  readonly sigmaId?: string;
  readonly type: 'detection' | CorrelationType;
  readonly status?: string;
  /** Rule ids (`sigma.<...>`) of the rules a correlation references. */
  readonly references: readonly string[];
}

/** A Sigma rule compiled to the engine's {@link Rule} interface, with its origin. */
export interface SigmaRule extends Rule<unknown> {
  readonly sigma: SigmaRuleInfo;
}

export type SigmaCompileResult = { ok: true; rules: SigmaRule[] } | { ok: false; problems: SigmaProblem[] };

/** Highest count a correlation condition may name: state per group is bounded by it. */
export const MAX_CORRELATION_COUNT = 10_000;

const LEVELS: Record<string, Severity> = { informational: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };
const DEFAULT_RISK: Record<Severity, number> = { info: 10, low: 30, medium: 50, high: 70, critical: 90 };
const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const RELATED_TYPES = ['derived', 'obsolete', 'merged', 'renamed', 'similar', 'correlation'];
const CORRELATION_TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];
const DEFAULT_DEDUP_WINDOW_MS = 3_600_000;
const DEFAULT_CATEGORY: Category = 'runtime';

const COMMON_KEYS = [
  'title',
  'id',
  'name',
  'related',
  'taxonomy',
  'status',
  'description',
  'license',
  'author',
  'references',
  'date',
  'modified',
  'falsepositives',
  'level',
  'tags',
  'custom',
];
const DETECTION_KEYS = new Set([...COMMON_KEYS, 'logsource', 'detection', 'fields']);
const CORRELATION_KEYS = new Set([...COMMON_KEYS, 'correlation', 'generate']);
const CUSTOM_KEYS = ['category', 'risk_score', 'dedup_window', 'dedup_key', 'title', 'summary', 'version', 'known_gaps'];
const RULE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DATE = /^\d{4}[-/](0[1-9]|1[0-2])[-/](0[1-9]|[12]\d|3[01])$/;
const TAG = /^[A-Za-z0-9_.:-]+$/;
const TIMESPAN = /^(\d+)(s|m|h|d)$/;
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

// ---------------------------------------------------------------------------------------------------
// Parsed documents

interface SpecBase {
  doc: SourceDoc;
  /** Problems of this document (it is not compiled when any were reported). */
  r: Reporter;
  title: string;
  name?: string;
  sigmaId?: string;
  /** `name` if given, else `id`: the part after `sigma.` in the rule id. */
  key?: string;
  status?: string;
  version: string;
  category: Category;
  severity: Severity;
  riskScore?: number;
  description?: string;
  tags: string[];
  dedupWindowMs: number;
  falsePositives: string[];
  knownGaps: string[];
  titleTemplate?: { text: string; path: YamlPath };
  summaryTemplate?: { text: string; path: YamlPath };
  dedupKey?: { fields: string[]; path: YamlPath };
}

interface DetectionSpec extends SpecBase {
  type: 'detection';
  kinds: EventKind[];
  pred: Pred | null;
  fields: FieldRef[];
}

interface CorrelationSpec extends SpecBase {
  type: CorrelationType;
  refs: Array<{ ref: string; path: YamlPath }>;
  groupBy: string[];
  timespanMs: number;
  timespanText: string;
  condition: CountCondition;
  field?: string;
  aliases: Record<string, Record<string, string>>;
  generate: boolean;
  /** Filled in by linking. */
  children?: Spec[];
  kinds?: EventKind[];
}

type Spec = DetectionSpec | CorrelationSpec;

const valid = (s: Spec): boolean => s.r.count === 0;

/** Reads and checks the metadata every rule carries; reports problems on `r`. */
function parseCommon(v: Record<string, unknown>, r: Reporter): Omit<SpecBase, 'doc' | 'r'> {
  const str = (key: string, required = false): string | undefined => {
    const x = v[key];
    if (x === undefined || x === null) {
      if (required) r.add([], `missing "${key}"`);
      return undefined;
    }
    if (typeof x !== 'string' || x.trim() === '') {
      r.add([key], `expected a non-empty string, got ${typeName(x)}${typeof x === 'number' ? ' (quote it)' : ''}`);
      return undefined;
    }
    return x;
  };
  const strList = (path: YamlPath, x: unknown, allowSingle: boolean): string[] => {
    if (x === undefined || x === null) return [];
    if (allowSingle && typeof x === 'string') return [x];
    if (!Array.isArray(x)) {
      r.add(path, `expected a list of strings, got ${typeName(x)}`);
      return [];
    }
    const out: string[] = [];
    x.forEach((item, i) => {
      if (typeof item !== 'string' || item === '') r.add([...path, i], `expected a non-empty string, got ${typeName(item)}`);
      else out.push(item);
    });
    return out;
  };

  const title = str('title', true) ?? '(untitled)';
  if (title.length > 256) r.add(['title'], 'title is longer than 256 characters');
  const name = str('name');
  const sigmaId = str('id');
  const key = name ?? sigmaId;
  if (key === undefined) r.add([], 'missing "name" or "id": agentwatch needs one to give the rule a stable id (sigma.<name>, else sigma.<id>)');
  else if (!RULE_KEY.test(key)) {
    r.add(
      [name !== undefined ? 'name' : 'id'],
      `"${key}" cannot be part of a rule id: use 1..128 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }

  const status = str('status');
  if (status !== undefined && !STATUSES.includes(status)) r.add(['status'], `expected one of ${STATUSES.join(', ')}, got "${status}"`);
  const description = str('description');
  str('license');
  str('author');
  strList(['references'], v['references'], false);
  for (const d of ['date', 'modified'] as const) {
    const x = v[d];
    if (x !== undefined && (typeof x !== 'string' || !DATE.test(x)))
      r.add([d], `expected a date YYYY-MM-DD, got ${typeof x === 'string' ? `"${x}"` : typeName(x)}`);
  }
  const taxonomy = v['taxonomy'];
  if (taxonomy !== undefined && taxonomy !== 'agentwatch') {
    r.add(['taxonomy'], `only the "agentwatch" taxonomy (canonical event fields, events.md) is supported, got ${JSON.stringify(taxonomy)}`);
  }
  const related = v['related'];
  if (related !== undefined) {
    if (!Array.isArray(related)) r.add(['related'], `expected a list of {id, type}, got ${typeName(related)}`);
    else
      related.forEach((item, i) => {
        if (!isRecord(item) || typeof item['id'] !== 'string' || typeof item['type'] !== 'string' || !RELATED_TYPES.includes(item['type'])) {
          r.add(['related', i], `expected {id: <rule id>, type: ${RELATED_TYPES.join('|')}}`);
        }
      });
  }

  let severity: Severity = 'medium';
  const level = v['level'];
  if (level !== undefined) {
    const s = typeof level === 'string' ? LEVELS[level] : undefined;
    if (s === undefined) r.add(['level'], `expected one of ${Object.keys(LEVELS).join(', ')}, got ${JSON.stringify(level)}`);
    else severity = s;
  }
  const tags = strList(['tags'], v['tags'], false).flatMap((t, i) => {
    if (!TAG.test(t)) {
      r.add(['tags', i], `tag "${t}" has characters outside letters, digits, "_", ".", ":" and "-"`);
      return [];
    }
    return [mapTag(t)];
  });
  const falsePositives = strList(['falsepositives'], v['falsepositives'], true);

  const out: Omit<SpecBase, 'doc' | 'r'> = {
    title,
    version: '',
    category: DEFAULT_CATEGORY,
    severity,
    tags,
    dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
    falsePositives,
    knownGaps: [],
  };
  if (name !== undefined) out.name = name;
  if (sigmaId !== undefined) out.sigmaId = sigmaId;
  if (key !== undefined) out.key = key;
  if (status !== undefined) out.status = status;
  if (description !== undefined) out.description = description;

  const custom = v['custom'];
  let version: string | undefined;
  if (custom !== undefined) {
    if (!isRecord(custom)) r.add(['custom'], `expected a map of agentwatch extensions, got ${typeName(custom)}`);
    else {
      for (const [k, x] of Object.entries(custom)) {
        const p = ['custom', k];
        switch (k) {
          case 'category':
            if (typeof x !== 'string' || !(CATEGORIES as readonly string[]).includes(x))
              r.add(p, `expected one of ${CATEGORIES.join(', ')}, got ${JSON.stringify(x)}`);
            else out.category = x as Category;
            break;
          case 'risk_score':
            if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 100) r.add(p, `expected an integer 0..100, got ${JSON.stringify(x)}`);
            else out.riskScore = x;
            break;
          case 'dedup_window': {
            const m = typeof x === 'string' ? DURATION.exec(x) : null;
            const ms = m ? Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0) : 0;
            if (ms <= 0) r.add(p, `expected a positive duration such as 30m, 1h or 1d, got ${JSON.stringify(x)}`);
            else out.dedupWindowMs = ms;
            break;
          }
          case 'dedup_key': {
            const fields = typeof x === 'string' ? [x] : Array.isArray(x) && x.length > 0 && x.every((f) => typeof f === 'string') ? (x as string[]) : null;
            if (fields === null) r.add(p, `expected a field name or a list of field names, got ${typeName(x)}`);
            else out.dedupKey = { fields, path: p };
            break;
          }
          case 'title':
          case 'summary':
            if (typeof x !== 'string' || x.trim() === '') r.add(p, `expected a template string, got ${typeName(x)}`);
            else if (k === 'title') out.titleTemplate = { text: x, path: p };
            else out.summaryTemplate = { text: x, path: p };
            break;
          case 'version':
            if (typeof x !== 'string' && typeof x !== 'number') r.add(p, `expected a version string, got ${typeName(x)}`);
            else version = String(x);
            break;
          case 'known_gaps':
            out.knownGaps = strList(p, x, true);
            break;
          default:
            r.add(p, `unknown agentwatch extension "custom.${k}" (known: ${CUSTOM_KEYS.map((c) => `custom.${c}`).join(', ')})`);
        }
      }
    }
  }
  const modified = typeof v['modified'] === 'string' ? v['modified'].replaceAll('/', '-') : undefined;
  const date = typeof v['date'] === 'string' ? v['date'].replaceAll('/', '-') : undefined;
  out.version = version ?? modified ?? date ?? `sha-${createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 12)}`;
  return out;
}

/** `attack.t1059.001` -> `mitre-attack:T1059.001`; every other tag is kept as written. */
export function mapTag(tag: string): string {
  const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(tag);
  return m ? `mitre-attack:${(m[1] as string).toUpperCase()}` : tag;
}

function checkKeys(v: Record<string, unknown>, allowed: ReadonlySet<string>, kind: string, r: Reporter): void {
  for (const k of Object.keys(v)) {
    if (allowed.has(k)) continue;
    if (k === 'scope') r.add([k], '"scope" is not supported: agentwatch cannot restrict a rule to machine types; narrow the detection instead');
    else if (k === 'correlation' || k === 'generate')
      r.add([k], `"${k}" belongs to correlation rules, but this document is a detection rule (it has logsource/detection)`);
    else if (k === 'logsource' || k === 'detection' || k === 'fields') r.add([k], `"${k}" belongs to detection rules, but this document is a correlation rule`);
    else r.add([k], `unknown top-level key "${k}" for a ${kind} rule (agentwatch extensions go under "custom:")`);
  }
}

function parseDocument(doc: SourceDoc, problems: SigmaProblem[]): Spec | null {
  const r = new Reporter(doc, problems);
  const v = doc.value;
  if (!isRecord(v)) {
    r.add([], `expected a Sigma rule (a map with title, logsource and detection, or a correlation), got ${typeName(v)}`);
    return null;
  }
  const isCorrelation = 'correlation' in v;
  const isDetection = 'detection' in v || 'logsource' in v;
  if (!isCorrelation && !isDetection) {
    if ('filter' in v || v['action'] !== undefined) r.add([], 'Sigma filters and meta-rule actions are not supported; only detection and correlation rules');
    else r.add([], 'expected "logsource" and "detection" (a detection rule) or "correlation" (a correlation rule)');
    return null;
  }
  if (isCorrelation && isDetection) {
    r.add([], 'a document is either a detection rule (logsource + detection) or a correlation rule (correlation), not both');
    return null;
  }
  const common = parseCommon(v, r);
  if (isDetection) {
    checkKeys(v, DETECTION_KEYS, 'detection', r);
    const kinds = parseLogsource(v['logsource'], r);
    const pred = kinds ? compileDetection(v['detection'], kinds, r) : null;
    if (v['detection'] === undefined) r.add([], 'missing "detection"');
    const fields: FieldRef[] = [];
    const rawFields = v['fields'];
    if (rawFields !== undefined) {
      if (!Array.isArray(rawFields)) r.add(['fields'], `expected a list of field names, got ${typeName(rawFields)}`);
      else
        rawFields.forEach((f, i) => {
          if (typeof f !== 'string') {
            r.add(['fields', i], `expected a field name, got ${typeName(f)}`);
            return;
          }
          const found = lookupField(f, kinds ?? EVENT_KINDS);
          if (!found.ok) r.add(['fields', i], found.message);
          else fields.push(found.field);
        });
    }
    return { ...common, doc, r, type: 'detection', kinds: kinds ?? [...EVENT_KINDS], pred, fields };
  }
  checkKeys(v, CORRELATION_KEYS, 'correlation', r);
  // A broken correlation is still indexed by name/id, so rules referencing it get a precise message.
  const c = parseCorrelation(v, r) ?? {
    type: 'event_count' as const,
    refs: [],
    groupBy: [],
    timespanMs: 0,
    timespanText: '',
    condition: {},
    aliases: {},
    generate: false,
  };
  if (common.dedupKey) r.add(common.dedupKey.path, 'correlation rules fold alerts by their group-by values; custom.dedup_key is for detection rules');
  return { ...common, doc, r, ...c };
}

/** `logsource`: product agentwatch, optional category = event kind. Returns the kinds, or null. */
function parseLogsource(ls: unknown, r: Reporter): EventKind[] | null {
  if (ls === undefined) {
    r.add([], 'missing "logsource" (product: agentwatch)');
    return null;
  }
  if (!isRecord(ls)) {
    r.add(['logsource'], `expected a map with product: agentwatch, got ${typeName(ls)}`);
    return null;
  }
  let ok = true;
  let kinds: EventKind[] = [...EVENT_KINDS];
  for (const [k, x] of Object.entries(ls)) {
    const p = ['logsource', k];
    switch (k) {
      case 'product':
        if (x !== 'agentwatch') {
          r.add(p, `expected "agentwatch", got ${JSON.stringify(x)}: agentwatch runs Sigma rules over its canonical events only`);
          ok = false;
        }
        break;
      case 'category':
        if (typeof x !== 'string' || !(EVENT_KINDS as readonly string[]).includes(x)) {
          r.add(p, `expected an event kind (${EVENT_KINDS.join(', ')}), got ${JSON.stringify(x)}`);
          ok = false;
        } else kinds = [x as EventKind];
        break;
      case 'definition':
        if (typeof x !== 'string') r.add(p, `expected a string, got ${typeName(x)}`);
        break;
      case 'service':
        r.add(p, 'logsource.service is not supported: agentwatch has one source of canonical events; use category to pick an event kind');
        ok = false;
        break;
      default:
        r.add(p, `unknown logsource key "${k}" (supported: product, category, definition)`);
        ok = false;
    }
  }
  if (ls['product'] === undefined) {
    r.add(['logsource'], 'missing "product: agentwatch"');
    ok = false;
  }
  return ok ? kinds : null;
}

function parseCorrelation(v: Record<string, unknown>, r: Reporter): Omit<CorrelationSpec, keyof SpecBase> | null {
  const c = v['correlation'];
  if (!isRecord(c)) {
    r.add(['correlation'], `expected a map with type, rules, group-by, timespan and condition, got ${typeName(c)}`);
    return null;
  }
  const before = r.count;
  for (const k of Object.keys(c)) {
    if (!['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate'].includes(k)) {
      r.add(['correlation', k], `unknown correlation key "${k}" (supported: type, rules, group-by, timespan, condition, aliases, generate)`);
    }
  }
  const type = c['type'];
  if (typeof type !== 'string' || !(CORRELATION_TYPES as readonly string[]).includes(type)) {
    r.add(
      ['correlation', 'type'],
      `expected one of ${CORRELATION_TYPES.join(', ')}, got ${JSON.stringify(type)}${typeof type === 'string' && type.startsWith('value_') ? ' (value aggregations other than value_count are not supported)' : ''}`,
    );
    return null;
  }
  const ctype = type as CorrelationType;

  const refs: Array<{ ref: string; path: YamlPath }> = [];
  const rules = c['rules'];
  if (!Array.isArray(rules) || rules.length === 0) r.add(['correlation', 'rules'], `expected a non-empty list of rule names or ids, got ${typeName(rules)}`);
  else
    rules.forEach((x, i) => {
      const p = ['correlation', 'rules', i];
      if (typeof x !== 'string' || x === '') r.add(p, `expected a rule name or id, got ${typeName(x)}`);
      else if (refs.some((q) => q.ref === x)) r.add(p, `rule "${x}" listed twice`);
      else refs.push({ ref: x, path: p });
    });
  if ((ctype === 'temporal' || ctype === 'temporal_ordered') && Array.isArray(rules) && rules.length < 2) {
    r.add(['correlation', 'rules'], `${ctype} needs at least two rules`);
  }

  const groupBy: string[] = [];
  const gb = c['group-by'];
  if (gb !== undefined && gb !== null) {
    if (!Array.isArray(gb)) r.add(['correlation', 'group-by'], `expected a list of field names, got ${typeName(gb)}`);
    else
      gb.forEach((x, i) => {
        if (typeof x !== 'string' || x === '') r.add(['correlation', 'group-by', i], `expected a field name, got ${typeName(x)}`);
        else if (groupBy.includes(x)) r.add(['correlation', 'group-by', i], `"${x}" listed twice`);
        else groupBy.push(x);
      });
  }

  let timespanMs = 0;
  const ts = c['timespan'];
  const tm = typeof ts === 'string' ? TIMESPAN.exec(ts) : null;
  if (!tm || Number(tm[1]) <= 0) r.add(['correlation', 'timespan'], `expected a positive timespan such as 30s, 5m, 1h or 1d, got ${JSON.stringify(ts)}`);
  else timespanMs = Number(tm[1]) * (UNIT_MS[tm[2] as string] ?? 0);

  const condition: CountCondition = {};
  let field: string | undefined;
  const cond = c['condition'];
  if (cond === undefined || cond === null) {
    if (ctype === 'event_count' || ctype === 'value_count')
      r.add(['correlation'], `missing "condition" (e.g. gte: 10)${ctype === 'value_count' ? ' with "field"' : ''}`);
  } else if (ctype === 'temporal_ordered') {
    r.add(['correlation', 'condition'], 'a condition is not supported for temporal_ordered: every referenced rule must match, in order');
  } else if (!isRecord(cond)) {
    r.add(['correlation', 'condition'], `expected a map such as {gte: 10}, got ${typeName(cond)}`);
  } else {
    for (const [k, x] of Object.entries(cond)) {
      const p = ['correlation', 'condition', k];
      if (k === 'field') {
        if (ctype !== 'value_count') r.add(p, '"field" is only for value_count correlations');
        else if (typeof x !== 'string' || x === '')
          r.add(p, `expected one field name${Array.isArray(x) ? ' (counting combinations of several fields is not supported)' : ''}, got ${typeName(x)}`);
        else field = x;
      } else if (k === 'gt' || k === 'gte' || k === 'lt' || k === 'lte' || k === 'eq') {
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) r.add(p, `expected a whole number >= 0, got ${JSON.stringify(x)}`);
        else if (x > MAX_CORRELATION_COUNT) r.add(p, `at most ${MAX_CORRELATION_COUNT} (state per group is bounded by the condition)`);
        else condition[k] = x;
      } else r.add(p, `unknown condition operator "${k}" (supported: gt, gte, lt, lte, eq${ctype === 'value_count' ? ', field' : ''})`);
    }
    if (ctype === 'value_count' && field === undefined && !('field' in cond))
      r.add(['correlation', 'condition'], 'value_count needs "field": the field whose distinct values are counted');
    if (Object.keys(condition).length === 0) r.add(['correlation', 'condition'], 'expected at least one of gt, gte, lt, lte, eq');
    else if (condition.gt === undefined && condition.gte === undefined && condition.eq === undefined) {
      r.add(
        ['correlation', 'condition'],
        'a condition with only lt/lte would fire on the first event: agentwatch evaluates correlations as events arrive and does not detect absence at the end of a window; add gt/gte (a range) or use eq',
      );
    } else if (condition.eq === 0 || (condition.gte === 0 && condition.gt === undefined)) {
      r.add(['correlation', 'condition'], 'a condition that holds for a count of 0 cannot be evaluated on arriving events');
    }
    if (ctype === 'temporal' && Array.isArray(rules)) {
      const bound = Math.max(condition.gt !== undefined ? condition.gt + 1 : 0, condition.gte ?? 0, condition.eq ?? 0);
      if (bound > rules.length) r.add(['correlation', 'condition'], `can never hold: the correlation references only ${rules.length} rules`);
    }
  }
  if (ctype === 'temporal' && Object.keys(condition).length === 0 && Array.isArray(rules)) condition.gte = rules.length;
  if (ctype === 'temporal_ordered' && Array.isArray(rules)) condition.gte = rules.length;

  const aliases: Record<string, Record<string, string>> = {};
  const al = c['aliases'];
  if (al !== undefined && al !== null) {
    if (!isRecord(al)) r.add(['correlation', 'aliases'], `expected a map alias -> {rule: field}, got ${typeName(al)}`);
    else
      for (const [alias, m] of Object.entries(al)) {
        if (!isRecord(m) || Object.values(m).some((f) => typeof f !== 'string')) {
          r.add(['correlation', 'aliases', alias], 'expected a map of rule name -> field name');
          continue;
        }
        aliases[alias] = m as Record<string, string>;
        if (!groupBy.includes(alias)) r.add(['correlation', 'aliases', alias], `alias "${alias}" is not used in group-by`);
      }
  }

  const g1 = v['generate'];
  const g2 = c['generate'];
  for (const [g, p] of [
    [g1, ['generate']],
    [g2, ['correlation', 'generate']],
  ] as const) {
    if (g !== undefined && typeof g !== 'boolean') r.add(p, `expected true or false, got ${JSON.stringify(g)}`);
  }
  if (typeof g1 === 'boolean' && typeof g2 === 'boolean' && g1 !== g2)
    r.add(['generate'], 'generate is given twice (top level and in correlation) with different values');
  const generate = g1 === true || g2 === true;

  if (r.count > before) return null;
  return { type: ctype, refs, groupBy, timespanMs, timespanText: ts as string, condition, ...(field !== undefined ? { field } : {}), aliases, generate };
}

// ---------------------------------------------------------------------------------------------------
// Linking a set of documents: references, cycles, kinds, which rules stand alone.

interface Linked {
  specs: Spec[];
  /** Rules that produce alerts of their own. */
  standalone: Spec[];
}

const refName = (s: Spec): string => s.name ?? s.sigmaId ?? s.title;
const ruleIdOf = (s: Spec): string => `sigma.${s.key ?? 'invalid'}`;

function link(specs: Spec[], scope: string): Linked {
  const index = new Map<string, Spec>();
  for (const s of specs) {
    for (const [label, value] of [
      ['name', s.name],
      ['id', s.sigmaId],
    ] as const) {
      if (value === undefined) continue;
      const other = index.get(value);
      if (other && other !== s) {
        s.r.add([label], `"${value}" is already the name or id of rule "${other.title}" (${other.doc.file}); names and ids must be unique`);
      } else index.set(value, s);
    }
  }

  const referenced = new Map<Spec, CorrelationSpec[]>();
  for (const s of specs) {
    if (s.type === 'detection') continue;
    s.children = [];
    for (const { ref, path } of s.refs) {
      const target = index.get(ref);
      if (!target) {
        s.r.add(path, `unknown rule "${ref}": no rule in ${scope} has this name or id`);
        continue;
      }
      s.children.push(target);
      const by = referenced.get(target) ?? [];
      by.push(s);
      referenced.set(target, by);
    }
  }

  // Cycles and kinds (depth first).
  const state = new Map<Spec, 'visiting' | 'done'>();
  const visit = (s: Spec): EventKind[] => {
    if (s.type === 'detection') return s.kinds;
    if (state.get(s) === 'done') return s.kinds ?? [];
    if (state.get(s) === 'visiting') {
      s.r.add(['correlation', 'rules'], `correlation "${refName(s)}" references itself through a chain of correlations`);
      return [];
    }
    state.set(s, 'visiting');
    const kinds = new Set<EventKind>();
    for (const child of s.children ?? []) for (const k of visit(child)) kinds.add(k);
    s.kinds = EVENT_KINDS.filter((k) => kinds.has(k));
    state.set(s, 'done');
    return s.kinds;
  };
  for (const s of specs) visit(s);

  for (const s of specs) {
    if (s.type === 'detection') continue;
    checkCorrelationFields(s);
  }

  const standalone = specs.filter((s) => {
    const by = referenced.get(s);
    return by === undefined || by.some((c) => c.generate);
  });
  return { specs, standalone };
}

/** Group-by fields, aliases and the value_count field against the referenced rules' event kinds. */
function checkCorrelationFields(s: CorrelationSpec): void {
  const children = s.children ?? [];
  for (const [alias, m] of Object.entries(s.aliases)) {
    for (const ruleRef of Object.keys(m)) {
      if (!children.some((c) => c.name === ruleRef || c.sigmaId === ruleRef)) {
        s.r.add(['correlation', 'aliases', alias, ruleRef], `"${ruleRef}" is not one of the rules this correlation references`);
      }
    }
  }
  s.groupBy.forEach((g, i) => {
    const alias = s.aliases[g];
    for (const child of children) {
      const kinds = kindsOf(child);
      if (kinds.length === 0) continue;
      const fieldName = alias ? (alias[child.name ?? ''] ?? alias[child.sigmaId ?? '']) : g;
      if (fieldName === undefined) {
        s.r.add(['correlation', 'aliases', g], `alias "${g}" names no field for rule "${refName(child)}"`);
        continue;
      }
      const found = lookupField(fieldName, kinds);
      if (!found.ok) s.r.add(alias ? ['correlation', 'aliases', g] : ['correlation', 'group-by', i], `${found.message} (events of rule "${refName(child)}")`);
    }
  });
  if (s.field !== undefined) {
    const found = lookupField(s.field, s.kinds ?? EVENT_KINDS);
    if (!found.ok) s.r.add(['correlation', 'condition', 'field'], found.message);
  }
}

const kindsOf = (s: Spec): EventKind[] => (s.type === 'detection' ? s.kinds : (s.kinds ?? []));

// ---------------------------------------------------------------------------------------------------
// Building rules

/** Whether a spec and everything it references compiled cleanly. */
function healthy(s: Spec, seen = new Set<Spec>()): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  if (!valid(s)) return false;
  if (s.type === 'detection') return s.pred !== null;
  return (s.children ?? []).length === s.refs.length && (s.children ?? []).every((c) => healthy(c, new Set(seen)));
}

class Builder {
  private readonly nodes = new Map<Spec, MatchNode>();

  node(s: Spec): MatchNode {
    let n = this.nodes.get(s);
    if (n) return n;
    if (s.type === 'detection') n = new DetectionNode(s.pred as Pred, s.kinds);
    else {
      const children = s.children ?? [];
      const groupBy = children.map((child) =>
        s.groupBy.map((g) => {
          const alias = s.aliases[g];
          const name = alias ? ((alias[child.name ?? ''] ?? alias[child.sigmaId ?? '']) as string) : g;
          const found = lookupField(name, kindsOf(child));
          return (found.ok ? found.field.get : () => undefined) as Accessor;
        }),
      );
      const perAgent =
        children.length > 0 &&
        s.groupBy.some((g) => {
          const alias = s.aliases[g];
          return children.every((child) => (alias ? (alias[child.name ?? ''] ?? alias[child.sigmaId ?? '']) : g) === 'agent_id');
        });
      const fieldRef = s.field !== undefined ? lookupField(s.field, s.kinds ?? EVENT_KINDS) : undefined;
      n = new CorrelationNode({
        key: ruleIdOf(s),
        type: s.type,
        children: children.map((c) => this.node(c)),
        childNames: children.map(refName),
        groupBy,
        perAgent,
        timespanMs: s.timespanMs,
        condition: s.condition,
        ...(fieldRef?.ok ? { field: fieldRef.field.get } : {}),
      });
    }
    this.nodes.set(s, n);
    return n;
  }

  rule(s: Spec): SigmaRule | null {
    const kinds = kindsOf(s);
    const isCorr = s.type !== 'detection';
    const groupBy = isCorr ? (s as CorrelationSpec).groupBy : [];
    const vars = { rule: s.title, ...(isCorr ? { timespan: (s as CorrelationSpec).timespanText, groupBy } : {}) };
    const before = s.r.count;
    const tpl = (t: { text: string; path: YamlPath } | undefined): Render | undefined => {
      if (!t) return undefined;
      const c = compileTemplate(t.text, kinds, isCorr, vars);
      if (typeof c === 'string') {
        s.r.add(t.path, c);
        return undefined;
      }
      return c;
    };
    const title = tpl(s.titleTemplate);
    const summary = tpl(s.summaryTemplate);
    let dedup: Accessor[] = [];
    if (s.dedupKey) {
      dedup = s.dedupKey.fields.flatMap((f) => {
        const found = lookupField(f, kinds);
        if (!found.ok) {
          s.r.add(s.dedupKey?.path ?? ['custom', 'dedup_key'], found.message);
          return [];
        }
        return [found.field.get];
      });
    }
    if (s.r.count > before) return null;

    const info: SigmaRuleInfo = {
      file: s.doc.file,
      document: s.doc.index,
      title: s.title,
      ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.sigmaId !== undefined ? { sigmaId: s.sigmaId } : {}),
      type: s.type,
      ...(s.status !== undefined ? { status: s.status } : {}),
      references: isCorr ? ((s as CorrelationSpec).children ?? []).map(ruleIdOf) : [],
    };
    const sigmaEvidence = {
      title: s.title,
      file: s.doc.file,
      ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.sigmaId !== undefined ? { id: s.sigmaId } : {}),
    };
    const meta = {
      id: ruleIdOf(s),
      version: s.version,
      category: s.category,
      severity: s.severity,
      riskScore: s.riskScore ?? DEFAULT_RISK[s.severity],
      name: s.title,
      description: s.description ?? s.title,
      tags: s.tags,
      kinds,
      dedupWindowMs: s.dedupWindowMs,
      falsePositives: s.falsePositives,
      knownGaps: s.knownGaps,
      sigma: info,
    };
    const describe = s.description && s.description !== s.title ? ` ${s.description.trim()}` : '';

    if (s.type === 'detection') {
      const pred = s.pred as Pred;
      const fields = s.fields;
      const dedupKey = (e: CanonicalEvent): string => (dedup.length === 0 ? 'sigma' : dedup.map((g) => valueText(g(e))).join('|'));
      return {
        ...meta,
        evaluate(e: CanonicalEvent): Finding | null {
          if (!pred(e)) return null;
          const shown: Record<string, unknown> = {};
          for (const f of fields) shown[f.name] = f.get(e) ?? null;
          const fieldText = fields.length > 0 ? ` Fields: ${fields.map((f) => `${f.name}=${valueText(f.get(e)) || '(none)'}`).join(', ')}.` : '';
          return {
            dedupKey: dedupKey(e),
            title: title ? title(e, null) : `${s.title}: ${shortName(e.agent_id)} ${actionPhrase(e)}`,
            summary: summary ? summary(e, null) : `${e.agent_id} ${actionPhrase(e)} at ${e.time}, matching Sigma rule "${s.title}".${describe}${fieldText}`,
            evidence: { sigma: sigmaEvidence, ...(fields.length > 0 ? { fields: shown } : {}) },
          };
        },
      };
    }

    const cs = s;
    const node = this.node(cs);
    const names = (cs.children ?? []).map(refName);
    const condText = describeCondition(cs);
    return {
      ...meta,
      initState: () => ({}),
      evaluate(e: CanonicalEvent, ctx: RuleContext<unknown>): Finding | null {
        const hit = node.step(e, ctx);
        if (hit === null || hit === true) return null;
        const fire: CorrFire = hit;
        const group = groupText(groupBy, fire.group);
        const detail = describeFire(cs, fire, names);
        const related = fire.eventIds.filter((id) => id !== e.event_id).slice(-24);
        return {
          dedupKey: groupBy.length === 0 ? 'all' : fire.group.join('|'),
          title: title ? title(e, fire) : `${cs.title}: ${shortName(e.agent_id)} ${detail.short} within ${cs.timespanText}`,
          summary: summary
            ? summary(e, fire)
            : `Sigma correlation "${cs.title}" (${cs.type}, ${condText} within ${cs.timespanText}) fired for ${group}: ${detail.long} between ${new Date(fire.firstMs).toISOString()} and ${e.time}. Latest: ${e.agent_id} ${actionPhrase(e)}.${describe}`,
          evidence: {
            sigma: sigmaEvidence,
            correlation: {
              type: cs.type,
              rules: names,
              timespan: cs.timespanText,
              condition: { ...cs.condition, ...(cs.field !== undefined ? { field: cs.field } : {}) },
              group_by: Object.fromEntries(groupBy.map((g, i) => [g, fire.group[i] ?? ''])),
              count: fire.count,
              ...(fire.values ? { values: fire.values.slice(-50) } : {}),
              ...(fire.matched ? { matched: fire.matched } : {}),
            },
          },
          ...(related.length > 0 ? { relatedEventIds: related } : {}),
        };
      },
    };
  }
}

function describeCondition(s: CorrelationSpec): string {
  const c = s.condition;
  const what = s.type === 'value_count' ? `distinct ${s.field ?? 'field'} values` : s.type === 'event_count' ? 'events' : 'rules matched';
  const parts: string[] = [];
  if (c.eq !== undefined) parts.push(`exactly ${c.eq}`);
  if (c.gt !== undefined) parts.push(`more than ${c.gt}`);
  if (c.gte !== undefined) parts.push(`at least ${c.gte}`);
  if (c.lt !== undefined) parts.push(`fewer than ${c.lt}`);
  if (c.lte !== undefined) parts.push(`at most ${c.lte}`);
  return `${parts.join(' and ')} ${what}`;
}

function describeFire(s: CorrelationSpec, f: CorrFire, names: readonly string[]): { short: string; long: string } {
  switch (s.type) {
    case 'event_count':
      return { short: `had ${f.count} matching events`, long: `${f.count} events matching ${list(names)}` };
    case 'value_count':
      return {
        short: `reached ${f.count} distinct ${s.field} values`,
        long: `${f.count} distinct ${s.field} values (${list(f.values ?? [])}) in events matching ${list(names)}`,
      };
    case 'temporal':
      return { short: `matched ${list(f.matched ?? names)}`, long: `all of ${list(f.matched ?? names)} matched` };
    case 'temporal_ordered':
      return { short: `matched ${names.join(' then ')}`, long: `${names.join(', then ')} matched in order` };
  }
}

// ---------------------------------------------------------------------------------------------------
// Entry points

/** Parses the documents of one file (no linking); problems go to `problems`. */
export function parseSigmaFile(text: string, file: string, problems: SigmaProblem[]): Spec[] {
  const parsed = parseYamlDocuments(text, file);
  problems.push(...parsed.problems);
  if (parsed.docs.length === 0 && parsed.problems.length === 0) problems.push({ file, path: '(root)', message: 'no YAML document: expected a Sigma rule' });
  const specs: Spec[] = [];
  for (const doc of parsed.docs) {
    const s = parseDocument(doc, problems);
    if (s) specs.push(s);
  }
  return specs;
}

export type { Spec as ParsedSigmaDocument };

/** Links parsed documents (possibly from several files) and builds the rules that stand alone. */
export function buildSigmaRules(specs: Spec[], scope: string): SigmaRule[] {
  const linked = link(specs, scope);
  const builder = new Builder();
  const rules: SigmaRule[] = [];
  for (const s of linked.specs) {
    if (s.type === 'detection' || healthy(s)) continue;
    if (valid(s) && (s.children ?? []).length === s.refs.length) {
      const broken = (s.children ?? []).filter((c) => !healthy(c)).map(refName);
      if (broken.length > 0)
        s.r.add(['correlation', 'rules'], `referenced rule(s) ${broken.map((b) => `"${b}"`).join(', ')} did not compile (see their problems)`);
    }
  }
  for (const s of linked.standalone) {
    if (!healthy(s)) continue;
    const rule = builder.rule(s);
    if (rule) rules.push(rule);
  }
  return rules;
}

/**
 * Compiles the Sigma documents of one file (`---` separated). Correlations may reference only rules in the
 * same file here; {@link loadSigmaDir} resolves references across a directory.
 */
export function compileSigmaDocuments(text: string, file: string): SigmaCompileResult {
  const problems: SigmaProblem[] = [];
  const specs = parseSigmaFile(text, file, problems);
  const rules = buildSigmaRules(specs, 'this file');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}
