import { type CanonicalEvent, parseEvent, SEVERITIES, type Severity } from '@agentwatch/schemas';
import { isRecord, Reporter, type SigmaProblem, type SourceDoc, typeName, type YamlPath } from './source.ts';

/**
 * The test files beside Sigma rules: `<rule-file-stem>.tests.yml`. See detections/sigma/README.md.
 *
 * ```yaml
 * base_time: 2026-11-02T09:00:00Z          # optional; `at` offsets count from here
 * defaults: { agent_id: spiffe://corp.example/agents/research }   # optional, merged into every event
 * registry: |                              # optional registry YAML; default: the fixture registry
 *   agents: [...]
 * tests:
 *   - name: untrusted context reads a secret
 *     rule: secret_read_untrusted_context  # optional when the rule file has one outermost rule
 *     events:
 *       - { at: +0s, kind: tool_call, tool: vault.read, resource: vault://secret/db, context_trust: untrusted }
 *       - repeat: 20                        # 20 copies, {i} = 1..20 in strings, `every` apart
 *         every: 10s
 *         at: +1m
 *         event: { kind: tool_call, tool: docs.read, resource: "docs://{i}" }
 *     match: true                          # shorthand: fires (true) or stays quiet (false)
 *     expect: { count: 1, alerts: 1, title: "substring", severity: high, event_ids: [e1] }
 * ```
 */

export interface SigmaTestExpect {
  /** Times the rule fired (the sum of its alerts' `count`). */
  count?: number;
  /** Alerts after dedup folding. */
  alerts?: number;
  /** Substring of the first alert's title / summary. */
  title?: string;
  summary?: string;
  severity?: Severity;
  agent_id?: string;
  /** Event ids that must be in some alert's evidence. */
  event_ids?: string[];
}

export interface SigmaTestCase {
  name: string;
  /** The rule as written in the test (`rule:`), if given. */
  rule?: string;
  /** Resolved by the loader: the id of the rule whose alerts are checked. */
  ruleId?: string;
  events: CanonicalEvent[];
  match?: boolean;
  expect: SigmaTestExpect;
  /** YAML path of the case in its file, e.g. `tests[2]`. */
  path: string;
}

export interface SigmaTestFile {
  file: string;
  /** The rule file the tests belong to (same directory, same stem). */
  ruleFile: string;
  baseTime: string;
  /** Registry YAML the tests run against; undefined = the fixture registry. */
  registry?: string;
  tests: SigmaTestCase[];
}

/** Whether a case expects the rule to fire / to stay quiet. */
export const isPositive = (t: SigmaTestCase): boolean => t.match === true || (t.expect.count ?? 0) > 0 || (t.expect.alerts ?? 0) > 0;
export const isNegative = (t: SigmaTestCase): boolean => t.match === false || t.expect.count === 0 || t.expect.alerts === 0;

export const DEFAULT_BASE_TIME = '2026-11-02T09:00:00.000Z';
export const DEFAULT_TEST_AGENT = 'spiffe://corp.example/agents/research';
const MAX_EXPANDED_EVENTS = 100_000;

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `+90s`, `5m`, `+2h30m` -> ms; numbers are ms. Undefined when malformed. */
export function parseOffset(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\+?((?:\d+(?:ms|s|m|h|d|w))+)$/.exec(v.trim());
  if (!m) return undefined;
  let ms = 0;
  for (const part of (m[1] as string).matchAll(/(\d+)(ms|s|m|h|d|w)/g)) ms += Number(part[1]) * (UNIT[part[2] as string] ?? 0);
  return ms;
}

const FILE_KEYS = ['base_time', 'defaults', 'registry', 'tests'];
const CASE_KEYS = ['name', 'rule', 'events', 'match', 'expect', 'defaults'];
const EXPECT_KEYS = ['count', 'alerts', 'title', 'summary', 'severity', 'agent_id', 'event_ids'];
const REPEAT_KEYS = ['repeat', 'every', 'at', 'event'];

/** Validates a decoded test file; events are materialised and checked against the canonical schema. */
export function parseTestFile(doc: SourceDoc, ruleFile: string, problems: SigmaProblem[]): SigmaTestFile | null {
  const r = new Reporter(doc, problems);
  const v = doc.value;
  if (doc.count > 1) r.add([], 'a test file holds one YAML document');
  if (!isRecord(v)) {
    r.add([], `expected a map with "tests", got ${typeName(v)}`);
    return null;
  }
  for (const k of Object.keys(v)) if (!FILE_KEYS.includes(k)) r.add([k], `unknown key "${k}" (supported: ${FILE_KEYS.join(', ')})`);
  let baseMs = Date.parse(DEFAULT_BASE_TIME);
  const bt = v['base_time'];
  if (bt !== undefined) {
    const ms = typeof bt === 'string' && /[zZ]|[+-]\d\d:\d\d$/.test(bt) ? Date.parse(bt) : Number.NaN;
    if (Number.isNaN(ms)) r.add(['base_time'], `expected an RFC 3339 time with zone, got ${JSON.stringify(bt)}`);
    else baseMs = ms;
  }
  const fileDefaults = v['defaults'] ?? {};
  if (!isRecord(fileDefaults)) r.add(['defaults'], `expected a map of event fields, got ${typeName(fileDefaults)}`);
  const registry = v['registry'];
  if (registry !== undefined && typeof registry !== 'string') r.add(['registry'], 'expected registry YAML as a string (use "registry: |")');
  const tests = v['tests'];
  const out: SigmaTestCase[] = [];
  if (!Array.isArray(tests) || tests.length === 0) r.add(['tests'], `expected a non-empty list of test cases, got ${typeName(tests)}`);
  else {
    const names = new Set<string>();
    tests.forEach((t, i) => {
      const c = parseCase(t, ['tests', i], baseMs, isRecord(fileDefaults) ? fileDefaults : {}, r);
      if (!c) return;
      if (names.has(c.name)) r.add(['tests', i, 'name'], `duplicate test name "${c.name}"`);
      names.add(c.name);
      out.push(c);
    });
  }
  if (r.count > 0) return null;
  return { file: doc.file, ruleFile, baseTime: new Date(baseMs).toISOString(), ...(typeof registry === 'string' ? { registry } : {}), tests: out };
}

function parseCase(t: unknown, path: YamlPath, baseMs: number, fileDefaults: Record<string, unknown>, r: Reporter): SigmaTestCase | null {
  if (!isRecord(t)) {
    r.add(path, `expected a test case {name, events, match/expect}, got ${typeName(t)}`);
    return null;
  }
  const before = r.count;
  for (const k of Object.keys(t)) if (!CASE_KEYS.includes(k)) r.add([...path, k], `unknown key "${k}" (supported: ${CASE_KEYS.join(', ')})`);
  const name = t['name'];
  if (typeof name !== 'string' || name === '') r.add([...path, 'name'], 'expected a test name');
  const rule = t['rule'];
  if (rule !== undefined && (typeof rule !== 'string' || rule === '')) r.add([...path, 'rule'], 'expected a rule name or id');
  const match = t['match'];
  if (match !== undefined && typeof match !== 'boolean') r.add([...path, 'match'], `expected true or false, got ${JSON.stringify(match)}`);
  const caseDefaults = t['defaults'] ?? {};
  if (!isRecord(caseDefaults)) r.add([...path, 'defaults'], `expected a map of event fields, got ${typeName(caseDefaults)}`);

  const expect: SigmaTestExpect = {};
  const ex = t['expect'];
  if (ex !== undefined) {
    if (!isRecord(ex)) r.add([...path, 'expect'], `expected a map (${EXPECT_KEYS.join(', ')}), got ${typeName(ex)}`);
    else
      for (const [k, x] of Object.entries(ex)) {
        const p = [...path, 'expect', k];
        switch (k) {
          case 'count':
          case 'alerts':
            if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) r.add(p, `expected a whole number >= 0, got ${JSON.stringify(x)}`);
            else expect[k] = x;
            break;
          case 'title':
          case 'summary':
          case 'agent_id':
            if (typeof x !== 'string') r.add(p, `expected a string, got ${typeName(x)}`);
            else expect[k] = x;
            break;
          case 'severity':
            if (typeof x !== 'string' || !(SEVERITIES as readonly string[]).includes(x)) r.add(p, `expected one of ${SEVERITIES.join(', ')}`);
            else expect.severity = x as Severity;
            break;
          case 'event_ids':
            if (!Array.isArray(x) || !x.every((id) => typeof id === 'string')) r.add(p, 'expected a list of event ids');
            else expect.event_ids = x as string[];
            break;
          default:
            r.add(p, `unknown expectation "${k}" (supported: ${EXPECT_KEYS.join(', ')})`);
        }
      }
  }
  if (match === undefined && expect.count === undefined && expect.alerts === undefined) {
    r.add(path, 'say what should happen: "match: true|false" or "expect: {count: N}" / "expect: {alerts: N}"');
  }
  if (match === true && (expect.count === 0 || expect.alerts === 0)) r.add(path, 'match: true contradicts an expected count of 0');
  if (match === false && ((expect.count ?? 0) > 0 || (expect.alerts ?? 0) > 0)) r.add(path, 'match: false contradicts an expected count above 0');
  if (match === false && (expect.title !== undefined || expect.summary !== undefined || expect.severity !== undefined || expect.event_ids !== undefined)) {
    r.add([...path, 'expect'], 'alert expectations (title, summary, severity, event_ids) need a test where the rule fires');
  }

  const defaults = { ...fileDefaults, ...(isRecord(caseDefaults) ? caseDefaults : {}) };
  const events = materialiseEvents(t['events'], [...path, 'events'], baseMs, defaults, r);
  if (r.count > before || events === null) return null;
  return {
    name: name as string,
    ...(typeof rule === 'string' ? { rule } : {}),
    events,
    ...(typeof match === 'boolean' ? { match } : {}),
    expect,
    path: `tests[${path[1] as number}]`,
  };
}

/** Expands `repeat` blocks, fills defaults and times, and validates every event (events.md). */
function materialiseEvents(raw: unknown, path: YamlPath, baseMs: number, defaults: Record<string, unknown>, r: Reporter): CanonicalEvent[] | null {
  if (!Array.isArray(raw) || raw.length === 0) {
    r.add(path, `expected a non-empty list of events, got ${typeName(raw)}`);
    return null;
  }
  const before = r.count;
  const expanded: Array<{ ev: Record<string, unknown>; p: YamlPath; label: string }> = [];
  raw.forEach((item, i) => {
    const p = [...path, i];
    if (!isRecord(item)) {
      r.add(p, `expected an event map, got ${typeName(item)}`);
      return;
    }
    if (!('repeat' in item)) {
      expanded.push({ ev: item, p, label: `event #${i + 1}` });
      return;
    }
    for (const k of Object.keys(item))
      if (!REPEAT_KEYS.includes(k)) r.add([...p, k], `unknown key "${k}" in a repeat block (supported: ${REPEAT_KEYS.join(', ')})`);
    const n = item['repeat'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_EXPANDED_EVENTS) {
      r.add([...p, 'repeat'], `expected a count 1..${MAX_EXPANDED_EVENTS}`);
      return;
    }
    const every = item['every'] === undefined ? 1_000 : parseOffset(item['every']);
    if (every === undefined) {
      r.add([...p, 'every'], `expected a duration such as 10s, got ${JSON.stringify(item['every'])}`);
      return;
    }
    const tmpl = item['event'];
    if (!isRecord(tmpl)) {
      r.add([...p, 'event'], `expected the event to repeat, got ${typeName(tmpl)}`);
      return;
    }
    const start = item['at'] === undefined ? tmpl['at'] : item['at'];
    const startMs = start === undefined ? undefined : parseOffset(start);
    if (start !== undefined && startMs === undefined) {
      r.add([...p, 'at'], `expected an offset such as +5m, got ${JSON.stringify(start)}`);
      return;
    }
    for (let k = 1; k <= n; k++) {
      const ev = substitute(tmpl, k) as Record<string, unknown>;
      delete ev['time'];
      ev['at'] = (startMs ?? 0) + (k - 1) * every;
      expanded.push({ ev, p: [...p, 'event'], label: `event #${i + 1} (repeat ${k})` });
    }
  });
  if (expanded.length > MAX_EXPANDED_EVENTS) r.add(path, `more than ${MAX_EXPANDED_EVENTS} events after expanding repeats`);
  if (r.count > before) return null;

  const out: CanonicalEvent[] = [];
  let prevMs = baseMs - 1_000;
  expanded.forEach(({ ev, p, label }, idx) => {
    const { at, ...rest } = ev;
    let ms: number;
    if (at !== undefined) {
      const off = parseOffset(at);
      if (off === undefined) {
        r.add([...p, 'at'], `expected an offset such as +5m or +1h30m, got ${JSON.stringify(at)}`);
        return;
      }
      if ('time' in rest) {
        r.add(p, 'give "at" or "time", not both');
        return;
      }
      ms = baseMs + off;
    } else if (typeof rest['time'] === 'string') {
      ms = Date.parse(rest['time']);
    } else ms = prevMs + 1_000;
    prevMs = Number.isNaN(ms) ? prevMs : ms;
    const event: Record<string, unknown> = { event_id: `e${idx + 1}`, agent_id: DEFAULT_TEST_AGENT, ...defaults, ...rest };
    if (!('time' in rest) || at !== undefined) event['time'] = new Date(ms).toISOString();
    fillKindDefaults(event, idx + 1);
    const parsed = parseEvent(event);
    if (!parsed.ok) r.add(p, `${label} is not a valid canonical event: ${parsed.problems.map((q) => `${q.path}: ${q.message}`).join('; ')}`);
    else out.push(parsed.value);
  });
  return r.count > before ? null : out;
}

/** Required fields a test may leave out: a tool call succeeds; a token is issued by the test IdP for 15 minutes. */
function fillKindDefaults(e: Record<string, unknown>, n: number): void {
  if (e['kind'] === 'tool_call' && e['outcome'] === undefined) e['outcome'] = 'success';
  if (e['kind'] === 'token_issued') {
    if (e['token_id'] === undefined) e['token_id'] = `tok-${n}`;
    if (e['issuer'] === undefined) e['issuer'] = 'https://idp.corp.example';
    if (e['scopes'] === undefined) e['scopes'] = [];
    if (e['expires_at'] === undefined && typeof e['time'] === 'string') e['expires_at'] = new Date(Date.parse(e['time']) + 15 * 60_000).toISOString();
  }
}

/** Deep copy replacing `{i}` in strings with the repeat index. */
function substitute(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.replaceAll('{i}', String(i));
  if (Array.isArray(v)) return v.map((x) => substitute(x, i));
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, i)]));
  return v;
}
