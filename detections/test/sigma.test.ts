import { type CanonicalEvent, parseEvent, problemsToString } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runEvents } from '../src/engine/run-events.ts';
import type { RuleContext } from '../src/engine/types.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { parseCondition, usedIdentifiers } from '../src/sigma/condition.ts';
import { compileSigmaDocuments, MAX_GROUPS, type SigmaProblem, type SigmaRule } from '../src/sigma/index.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';

const REGISTRY = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture-registry');
const BASE = Date.parse('2026-11-02T09:00:00.000Z');
const RESEARCH = 'spiffe://corp.example/agents/research';

let seq = 0;
/** A valid canonical event: a successful tool call by `research` unless told otherwise; `at` in seconds from BASE. */
function ev(fields: Record<string, unknown> & { at?: number }): CanonicalEvent {
  const { at = 0, ...rest } = fields;
  const raw: Record<string, unknown> = {
    kind: 'tool_call',
    event_id: `x${++seq}`,
    agent_id: RESEARCH,
    time: new Date(BASE + at * 1000).toISOString(),
    ...rest,
  };
  if (raw['kind'] === 'tool_call') raw['outcome'] ??= 'success';
  if (raw['kind'] === 'tool_call') raw['tool'] ??= 'docs.read';
  if (raw['kind'] === 'token_issued') {
    raw['token_id'] ??= `tok-${seq}`;
    raw['issuer'] ??= 'idp';
    raw['scopes'] ??= [];
    raw['expires_at'] ??= new Date(BASE + at * 1000 + 900_000).toISOString();
  }
  const r = parseEvent(raw);
  if (!r.ok) throw new Error(`bad test event: ${problemsToString(r.problems)}`);
  return r.value;
}

function compile(text: string): SigmaRule[] {
  const r = compileSigmaDocuments(text, 'test.yml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.rules;
}

function problemsOf(text: string): SigmaProblem[] {
  const r = compileSigmaDocuments(text, 'bad.yml');
  if (r.ok) throw new Error('expected problems, the file compiled');
  return r.problems;
}

/** A detection rule document around a detection map (written as data, so YAML quoting is not a concern). */
function ruleDoc(detection: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringify({ title: 'Test rule', name: 'test_rule', logsource: { product: 'agentwatch' }, detection, ...extra });
}

const NO_CTX = {} as RuleContext<unknown>;

/** Whether a detection (its `selection`, condition `selection` unless given) matches the event. */
function matches(selection: unknown, fields: Record<string, unknown>, condition = 'selection'): boolean {
  const [rule] = compile(ruleDoc({ selection, condition }));
  return Boolean(rule?.evaluate(ev(fields), NO_CTX));
}

describe('sigma values and modifiers', () => {
  it('matches plain strings case-insensitively, and case-sensitively with cased', () => {
    expect(matches({ tool: 'ERP.Invoice.Read' }, { tool: 'erp.invoice.read' })).toBe(true);
    expect(matches({ 'tool|cased': 'ERP.Invoice.Read' }, { tool: 'erp.invoice.read' })).toBe(false);
    expect(matches({ 'tool|cased': 'erp.invoice.read' }, { tool: 'erp.invoice.read' })).toBe(true);
    expect(matches({ tool: 'erp.invoice' }, { tool: 'erp.invoice.read' })).toBe(false);
  });

  it('supports * and ? wildcards and the backslash escape', () => {
    expect(matches({ tool: 'erp.*.read' }, { tool: 'erp.invoice.read' })).toBe(true);
    expect(matches({ tool: 'erp.po?.read' }, { tool: 'erp.po1.read' })).toBe(true);
    expect(matches({ tool: 'erp.po?.read' }, { tool: 'erp.po12.read' })).toBe(false);
    expect(matches({ resource: 'a\\*b' }, { resource: 'a*b' })).toBe(true);
    expect(matches({ resource: 'a\\*b' }, { resource: 'axxb' })).toBe(false);
    expect(matches({ resource: 'a\\?' }, { resource: 'a?' })).toBe(true);
    expect(matches({ resource: 'a\\?' }, { resource: 'ab' })).toBe(false);
    // C:\Windows and C:\\Windows are the same value; \\* is a backslash then a wildcard.
    expect(matches({ resource: 'C:\\Windows' }, { resource: 'C:\\Windows' })).toBe(true);
    expect(matches({ resource: 'C:\\\\Windows' }, { resource: 'C:\\Windows' })).toBe(true);
    expect(matches({ resource: 'dir\\\\*' }, { resource: 'dir\\anything' })).toBe(true);
    expect(matches({ resource: 'dir\\\\\\*' }, { resource: 'dir\\*' })).toBe(true);
    expect(matches({ resource: 'dir\\\\\\*' }, { resource: 'dir\\x' })).toBe(false);
    // Regex metacharacters in values are literal.
    expect(matches({ resource: 'a.b(c)[d]+' }, { resource: 'a.b(c)[d]+' })).toBe(true);
    expect(matches({ resource: 'a.b' }, { resource: 'axb' })).toBe(false);
  });

  it('supports contains, startswith and endswith, with wildcards inside', () => {
    expect(matches({ 'resource|contains': 'secret' }, { resource: 'vault://SECRET/db' })).toBe(true);
    expect(matches({ 'resource|startswith': 'vault://' }, { resource: 'vault://secret/db' })).toBe(true);
    expect(matches({ 'resource|startswith': 'vault://' }, { resource: 'x-vault://secret/db' })).toBe(false);
    expect(matches({ 'resource|endswith': '/db' }, { resource: 'vault://secret/db' })).toBe(true);
    expect(matches({ 'resource|endswith': '/db' }, { resource: 'vault://secret/db2' })).toBe(false);
    expect(matches({ 'resource|contains': 'sec*db' }, { resource: 'vault://secret/db' })).toBe(true);
  });

  it('ORs a list of values and ANDs it with all', () => {
    expect(matches({ tool: ['a', 'docs.read'] }, { tool: 'docs.read' })).toBe(true);
    expect(matches({ 'resource|contains|all': ['secret', 'prod'] }, { resource: 'vault://secret/prod/db' })).toBe(true);
    expect(matches({ 'resource|contains|all': ['secret', 'staging'] }, { resource: 'vault://secret/prod/db' })).toBe(false);
  });

  it('matches list fields when any element matches; all needs each value in some element', () => {
    const token = { kind: 'token_issued', scopes: ['erp.read', 'org:admin'], audience: ['https://erp'] };
    expect(matches({ 'scopes|contains': 'admin' }, token)).toBe(true);
    expect(matches({ scopes: 'erp.read' }, token)).toBe(true);
    expect(matches({ scopes: 'erp.write' }, token)).toBe(false);
    expect(matches({ 'scopes|all': ['erp.read', 'org:admin'] }, token)).toBe(true);
    expect(matches({ 'scopes|all': ['erp.read', 'erp.write'] }, token)).toBe(false);
    expect(matches({ 'audience|startswith': 'https://' }, token)).toBe(true);
    const chain = { delegation_chain: ['user:alice@corp.example', 'spiffe://corp.example/agents/planner', RESEARCH] };
    expect(matches({ 'delegation_chain|startswith': 'user:' }, chain)).toBe(true);
    expect(matches({ delegation_chain: '*/planner' }, chain)).toBe(true);
  });

  it('compares numbers numerically and as strings, and gt/gte/lt/lte on numbers and numeric attributes', () => {
    expect(matches({ bytes_out: 5120 }, { bytes_out: 5120 })).toBe(true);
    expect(matches({ bytes_out: '51*' }, { bytes_out: 5120 })).toBe(true);
    expect(matches({ bytes_out: [1, 2] }, { bytes_out: 5120 })).toBe(false);
    expect(matches({ 'bytes_out|gt': 5000 }, { bytes_out: 5120 })).toBe(true);
    expect(matches({ 'bytes_out|gt': 5120 }, { bytes_out: 5120 })).toBe(false);
    expect(matches({ 'bytes_out|gte': 5120 }, { bytes_out: 5120 })).toBe(true);
    expect(matches({ 'bytes_out|lt': 10 }, { bytes_out: 5120 })).toBe(false);
    expect(matches({ 'bytes_out|lte': 5120 }, { bytes_out: 5120 })).toBe(true);
    expect(matches({ 'bytes_out|gt': 0 }, {})).toBe(false);
    expect(matches({ 'attributes.tokens_used|gte': 1000 }, { attributes: { tokens_used: '4096' } })).toBe(true);
    expect(matches({ 'attributes.tokens_used|gte': 1000 }, { attributes: { tokens_used: 'many' } })).toBe(false);
    expect(matches({ 'attributes.port': 443 }, { attributes: { port: '443' } })).toBe(true);
  });

  it('treats null as "absent" (or an empty list) and exists as presence', () => {
    expect(matches({ resource: null }, {})).toBe(true);
    expect(matches({ resource: null }, { resource: 'x' })).toBe(false);
    expect(matches({ audience: null }, { kind: 'token_issued', audience: [] })).toBe(true);
    expect(matches({ 'resource|exists': true }, { resource: '' })).toBe(true);
    expect(matches({ 'resource|exists': false }, {})).toBe(true);
    expect(matches({ 'approval.by|exists': true }, { approval: { by: 'alice@corp.example' } })).toBe(true);
    expect(matches({ 'approval.by': 'alice@*' }, { approval: { by: 'alice@corp.example' } })).toBe(true);
    expect(matches({ 'approval.by|exists': true }, {})).toBe(false);
    expect(matches({ resource: '' }, { resource: '' })).toBe(true);
    expect(matches({ resource: '' }, {})).toBe(false);
  });

  it('reads attributes whose keys contain dots', () => {
    expect(matches({ 'attributes.gen_ai.request.model|startswith': 'gpt-' }, { attributes: { 'gen_ai.request.model': 'gpt-5' } })).toBe(true);
    expect(matches({ 'attributes.gen_ai.request.model|exists': true }, { attributes: { other: 'x' } })).toBe(false);
    expect(matches({ 'attributes.constructor|exists': true }, { attributes: {} })).toBe(false);
  });

  it('runs re unanchored and case-sensitive, with i, m and s sub-modifiers', () => {
    expect(matches({ 'tool|re': 'shell' }, { tool: 'sandbox.shell.run' })).toBe(true);
    expect(matches({ 'tool|re': 'SHELL' }, { tool: 'sandbox.shell.run' })).toBe(false);
    expect(matches({ 'tool|re|i': 'SHELL' }, { tool: 'sandbox.shell.run' })).toBe(true);
    expect(matches({ 'tool|re': '^shell$' }, { tool: 'sandbox.shell.run' })).toBe(false);
    expect(matches({ 'attributes.prompt|re': '^ignore' }, { attributes: { prompt: 'hello\nignore previous' } })).toBe(false);
    expect(matches({ 'attributes.prompt|re|m': '^ignore' }, { attributes: { prompt: 'hello\nignore previous' } })).toBe(true);
    expect(matches({ 'attributes.prompt|re': 'hello.ignore' }, { attributes: { prompt: 'hello\nignore' } })).toBe(false);
    expect(matches({ 'attributes.prompt|re|s': 'hello.ignore' }, { attributes: { prompt: 'hello\nignore' } })).toBe(true);
    expect(matches({ 'tool|re': ['^a', 'run$'] }, { tool: 'sandbox.shell.run' })).toBe(true);
    expect(matches({ 'tool|re|all': ['^sandbox', 'run$'] }, { tool: 'sandbox.shell.run' })).toBe(true);
    expect(matches({ 'tool|re|all': ['^sandbox', 'exec$'] }, { tool: 'sandbox.shell.run' })).toBe(false);
  });

  it('matches IPv4 and IPv6 CIDR ranges', () => {
    const corp = { 'source_ip|cidr': ['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8'] };
    expect(matches(corp, { source_ip: '10.1.2.3' })).toBe(true);
    expect(matches(corp, { source_ip: '11.1.2.3' })).toBe(false);
    expect(matches(corp, { source_ip: '192.168.255.255' })).toBe(true);
    expect(matches(corp, { source_ip: 'fd12:3456::1' })).toBe(true);
    expect(matches(corp, { source_ip: 'fe80::1' })).toBe(false);
    expect(matches(corp, { source_ip: '::ffff:10.9.9.9' })).toBe(true);
    expect(matches(corp, {})).toBe(false);
    expect(matches({ 'source_ip|cidr': '2001:db8::/32' }, { source_ip: '2001:db8:ffff::1' })).toBe(true);
    expect(matches({ 'source_ip|cidr': '2001:db8::/33' }, { source_ip: '2001:db8:ffff::1' })).toBe(false);
    expect(matches({ 'source_ip|cidr': '2001:db8::/33' }, { source_ip: '2001:db8:7fff::1' })).toBe(true);
    expect(matches({ 'source_ip|cidr': '0.0.0.0/0' }, { source_ip: '8.8.8.8' })).toBe(true);
    expect(matches({ 'source_ip|cidr': '0.0.0.0/0' }, { source_ip: '2001:db8::1' })).toBe(false);
    expect(matches({ 'source_ip|cidr': '203.0.113.7' }, { source_ip: '203.0.113.7' })).toBe(true);
    expect(matches({ 'source_ip|cidr': '::/0' }, { source_ip: '1:2:3:4:5:6:7:8' })).toBe(true);
    expect(matches({ 'source_ip|cidr': '1:2:3:4:5:6:7:0/112' }, { source_ip: '1:2:3:4:5:6:7:8' })).toBe(true);
    expect(matches({ 'source_ip|cidr': '1:2:3:4:5:6:7:0/112' }, { source_ip: '1:2:3:4:5:6:8:8' })).toBe(false);
  });

  it('compares two fields with fieldref', () => {
    expect(matches({ 'task_id|fieldref': 'session_id' }, { task_id: 'S-1', session_id: 's-1' })).toBe(true);
    expect(matches({ 'task_id|fieldref|cased': 'session_id' }, { task_id: 'S-1', session_id: 's-1' })).toBe(false);
    expect(matches({ 'task_id|fieldref': 'session_id' }, { task_id: 't-1', session_id: 's-1' })).toBe(false);
    expect(matches({ 'task_id|fieldref': 'session_id' }, { task_id: 't-1' })).toBe(false);
    expect(matches({ 'on_behalf_of|fieldref': 'delegation_chain' }, { on_behalf_of: 'user:a', delegation_chain: ['user:a', RESEARCH] })).toBe(true);
  });
});

describe('sigma search identifiers and conditions', () => {
  const ALL: Record<string, unknown> = {
    sel_tool: { tool: 'docs.read' },
    sel_res: { 'resource|startswith': 'docs://finance/' },
    filter_denied: { outcome: 'denied' },
    _helper: { environment: 'prod' },
  };
  /** Only the identifiers the condition uses (an unused one is an error); all but `_helper` when it does not parse. */
  const det = (condition: unknown): Record<string, unknown> => {
    const used = new Set<string>();
    try {
      for (const c of Array.isArray(condition) ? condition : [condition]) usedIdentifiers(parseCondition(String(c), Object.keys(ALL)), used);
    } catch {
      for (const k of Object.keys(ALL)) if (!k.startsWith('_')) used.add(k);
    }
    return { ...Object.fromEntries(Object.entries(ALL).filter(([k]) => used.has(k))), condition };
  };
  const fires = (condition: unknown, fields: Record<string, unknown>): boolean => {
    const [rule] = compile(ruleDoc(det(condition)));
    return Boolean(rule?.evaluate(ev(fields), NO_CTX));
  };
  const finance = { tool: 'docs.read', resource: 'docs://finance/q3' };

  it('ANDs map entries and ORs a list of maps', () => {
    expect(matches({ tool: 'docs.read', outcome: 'success' }, { tool: 'docs.read' })).toBe(true);
    expect(matches({ tool: 'docs.read', outcome: 'denied' }, { tool: 'docs.read' })).toBe(false);
    expect(matches([{ tool: 'x' }, { outcome: 'success' }], { tool: 'docs.read' })).toBe(true);
    expect(matches([{ tool: 'x' }, { outcome: 'denied' }], { tool: 'docs.read' })).toBe(false);
  });

  it('applies not > and > or precedence and parentheses', () => {
    expect(fires('sel_tool and sel_res and not filter_denied', finance)).toBe(true);
    expect(fires('sel_tool and sel_res and not filter_denied', { ...finance, outcome: 'denied' })).toBe(false);
    // or binds loosest: filter_denied or (sel_tool and sel_res)
    expect(fires('filter_denied or sel_tool and sel_res', { tool: 'docs.read', resource: 'docs://hr/x' })).toBe(false);
    expect(fires('(filter_denied or sel_tool) and sel_res', { tool: 'docs.read', resource: 'docs://hr/x' })).toBe(false);
    expect(fires('(filter_denied or sel_tool) and not sel_res', { tool: 'docs.read', resource: 'docs://hr/x' })).toBe(true);
    expect(fires('not not sel_tool', finance)).toBe(true);
    expect(fires('NOT sel_tool OR sel_res', finance)).toBe(true);
  });

  it('supports 1 of / all of patterns and them (without _ identifiers)', () => {
    expect(fires('all of sel_*', finance)).toBe(true);
    expect(fires('all of sel_*', { tool: 'docs.read', resource: 'docs://hr/x' })).toBe(false);
    expect(fires('1 of sel_*', { tool: 'docs.read', resource: 'docs://hr/x' })).toBe(true);
    expect(fires('1 of sel_* and not 1 of filter*', { ...finance, outcome: 'denied' })).toBe(false);
    expect(fires('all of them', { ...finance, outcome: 'denied' })).toBe(true);
    expect(fires('1 of them', { tool: 'x' })).toBe(false);
    // them = sel_tool, sel_res, filter_denied: not _helper, which this event does not match.
    expect(fires('all of them and not _helper', { ...finance, outcome: 'denied' })).toBe(true);
    expect(fires('_helper and not 1 of them', { tool: 'x', environment: 'prod' })).toBe(true);
  });

  it('ORs a list of conditions', () => {
    expect(fires(['sel_res', 'filter_denied'], { tool: 'x', outcome: 'denied' })).toBe(true);
    expect(fires(['sel_res', 'filter_denied'], { tool: 'x' })).toBe(false);
  });

  it('reports condition errors precisely', () => {
    const msg = (condition: unknown): string =>
      problemsOf(ruleDoc(det(condition)))
        .map((p) => `${p.path}: ${p.message}`)
        .join('\n');
    expect(msg('sel_tool and nope')).toMatch(/detection\.condition: unknown search identifier "nope" \(declared: sel_tool, sel_res, filter_denied\)/);
    const unused = problemsOf(ruleDoc({ sel_tool: ALL['sel_tool'], filter_denied: ALL['filter_denied'], condition: 'sel_tool' }))[0];
    expect(`${unused?.path}: ${unused?.message}`).toMatch(/^detection\.filter_denied: search identifier "filter_denied" is not used in the condition/);
    expect(msg('sel_tool | count() > 5')).toMatch(/aggregation expressions .* correlation rule/);
    expect(msg('2 of sel_*')).toMatch(/"2 of" is not supported: only "1 of" and "all of"/);
    expect(msg('(sel_tool and sel_res')).toMatch(/expected "\)"/);
    expect(msg('sel_tool sel_res')).toMatch(/unexpected "sel_res" .* expected "and", "or" or the end/);
    expect(msg('1 of nothing*')).toMatch(/pattern "nothing\*" matches no search identifier/);
    expect(msg('sel_*')).toMatch(/wildcards .* only allowed after "1 of"/);
    expect(msg('')).toMatch(/empty condition/);
    expect(msg(['sel_tool', 3])).toMatch(/detection\.condition\[1\]: expected a condition string/);
  });
});

describe('sigma rule validation', () => {
  const paths = (text: string): string[] => problemsOf(text).map((p) => `${p.path}: ${p.message}`);

  it('refuses keyword searches', () => {
    expect(paths(ruleDoc({ keywords: ['mimikatz', 'sekurlsa'], condition: 'keywords' }))).toEqual([
      expect.stringMatching(/^detection\.keywords: keyword lists .* not supported/),
    ]);
    expect(paths(ruleDoc({ sel: { '|all': ['a', 'b'] }, condition: 'sel' }))[0]).toMatch(
      /detection\.sel\["\|all"\]: a value without a field name is a keyword search/,
    );
    expect(paths(ruleDoc({ sel: 'mimikatz', condition: 'sel' }))[0]).toMatch(/keyword search is not supported/);
  });

  it('refuses unsupported and unknown modifiers, naming the YAML path', () => {
    const first = (sel: Record<string, unknown>): string => paths(ruleDoc({ sel, condition: 'sel' }))[0] ?? '';
    expect(first({ 'tool|windash': '-x' })).toMatch(/^detection\.sel\["tool\|windash"\]: modifier "windash": .*not supported/);
    expect(first({ 'tool|base64': 'x' })).toMatch(/modifier "base64": base64 is not supported/);
    expect(first({ 'tool|base64offset|contains': 'x' })).toMatch(/modifier "base64offset": base64offset is not supported/);
    expect(first({ 'tool|neq': 'x' })).toMatch(/neq is not supported/);
    expect(first({ 'tool|expand': '%x%' })).toMatch(/expand/);
    expect(first({ 'tool|bogus': 'x' })).toMatch(/unknown modifier "bogus" \(supported: /);
    expect(first({ 'tool|contains|startswith': 'x' })).toMatch(/"contains" and "startswith" cannot be combined/);
    expect(first({ 'tool|contains|re': 'x' })).toMatch(/cannot be combined with "re"/);
    expect(first({ 'tool|i': 'x' })).toMatch(/"i" is a sub-modifier of "re"/);
    expect(first({ 'tool|cased|re': 'x' })).toMatch(/"cased" cannot be combined with "re"/);
    expect(first({ 'tool|all': 'x' })).toMatch(/"all" needs a list of at least two values/);
    expect(first({ 'tool|contains|contains': 'x' })).toMatch(/given twice/);
    expect(first({ 'tool|exists': 'yes' })).toMatch(/"exists" expects true or false/);
    expect(first({ 'bytes_out|gt': '5' })).toMatch(/"gt" expects one number/);
    expect(first({ 'tool|re': '(?i)shell' })).toMatch(/invalid regular expression.*use field\|re\|i/);
    expect(first({ 'source_ip|cidr': '10.0.0.0/33' })).toMatch(/invalid CIDR: prefix length/);
    expect(first({ 'source_ip|cidr': '10.0.0.1/8' })).toMatch(/host bits set/);
    expect(first({ 'source_ip|cidr': 'not-an-ip' })).toMatch(/not an IPv4 or IPv6 address/);
    expect(first({ tool: ['a', null] })).toMatch(/null cannot be part of a list/);
    expect(first({ 'tool|contains': null })).toMatch(/null cannot be used with modifiers/);
    expect(first({ approval: { by: 'x' } })).toMatch(/"approval" is an object; name one of its fields, e\.g\. approval\.by/);
    expect(first({ tool: [] })).toMatch(/empty list of values/);
    expect(first({ 'tool|fieldref': 'nope' })).toMatch(/fieldref: unknown field "nope"/);
  });

  it('refuses unknown fields with a hint, and fields the logsource category never carries', () => {
    expect(paths(ruleDoc({ sel: { tol: 'x' }, condition: 'sel' }))[0]).toMatch(/unknown field "tol": .*did you mean "tool"\?/);
    const wrongKind = stringify({
      title: 't',
      name: 't',
      logsource: { product: 'agentwatch', category: 'token_issued' },
      detection: { sel: { tool: 'x' }, condition: 'sel' },
    });
    expect(paths(wrongKind)[0]).toMatch(/field "tool" does not exist on token_issued events \(only on tool_call\/policy_decision\)/);
  });

  it('checks logsource', () => {
    const ls = (logsource: unknown): string[] => paths(stringify({ title: 't', name: 't', logsource, detection: { sel: { tool: 'x' }, condition: 'sel' } }));
    expect(ls({ product: 'windows', category: 'process_creation' }).join('\n')).toMatch(/logsource\.product: expected "agentwatch", got "windows"/);
    expect(ls({ product: 'windows', category: 'process_creation' }).join('\n')).toMatch(/logsource\.category: expected an event kind/);
    expect(ls({ product: 'agentwatch', service: 'x' })[0]).toMatch(/logsource\.service is not supported/);
    expect(ls({ category: 'tool_call' })[0]).toMatch(/missing "product: agentwatch"/);
    expect(ls(undefined)[0]).toMatch(/missing "logsource"/);
  });

  it('checks top-level fields and agentwatch extensions', () => {
    const with_ = (extra: Record<string, unknown>): string[] => paths(ruleDoc({ sel: { tool: 'x' }, condition: 'sel' }, extra));
    expect(with_({ levle: 'high' })[0]).toMatch(/^levle: unknown top-level key "levle"/);
    expect(with_({ level: 'severe' })[0]).toMatch(/^level: expected one of informational, low, medium, high, critical/);
    expect(with_({ status: 'beta' })[0]).toMatch(/^status: expected one of stable/);
    expect(with_({ scope: ['server'] })[0]).toMatch(/"scope" is not supported/);
    expect(with_({ custom: { categroy: 'runtime' } })[0]).toMatch(/custom\.categroy: unknown agentwatch extension/);
    expect(with_({ custom: { category: 'bad' } })[0]).toMatch(/custom\.category: expected one of out_of_registry/);
    expect(with_({ custom: { risk_score: 101 } })[0]).toMatch(/custom\.risk_score: expected an integer 0\.\.100/);
    expect(with_({ custom: { dedup_window: 'soon' } })[0]).toMatch(/custom\.dedup_window: expected a positive duration/);
    expect(with_({ custom: { dedup_key: 'nope' } })[0]).toMatch(/custom\.dedup_key: unknown field "nope"/);
    expect(with_({ custom: { title: 'x {nope}' } })[0]).toMatch(/custom\.title: placeholder \{nope\}: unknown field/);
    expect(with_({ custom: { title: 'x {count}' } })[0]).toMatch(/only available in correlation rules/);
    expect(with_({ custom: { summary: 'x {tool' } })[0]).toMatch(/unclosed "\{"/);
    expect(with_({ date: '02.11.2026' })[0]).toMatch(/^date: expected a date YYYY-MM-DD/);
    expect(with_({ taxonomy: 'sigma' })[0]).toMatch(/only the "agentwatch" taxonomy/);
    expect(with_({ tags: ['attack t1059'] })[0]).toMatch(/^tags\[0\]: tag "attack t1059"/);
    expect(with_({ fields: ['tool', 'nope'] })[0]).toMatch(/^fields\[1\]: unknown field "nope"/);
    expect(paths(stringify({ title: 't', logsource: { product: 'agentwatch' }, detection: { sel: { tool: 'x' }, condition: 'sel' } }))[0]).toMatch(
      /missing "name" or "id"/,
    );
    expect(
      paths(stringify({ title: 't', name: 'has space', logsource: { product: 'agentwatch' }, detection: { sel: { tool: 'x' }, condition: 'sel' } }))[0],
    ).toMatch(/^name: "has space" cannot be part of a rule id/);
  });

  it('reports YAML errors, duplicate keys, multi-document paths and line numbers', () => {
    expect(paths('title: [unclosed\n')[0]).toMatch(/not valid YAML/);
    expect(paths('title: a\ntitle: b\n')[0]).toMatch(/not valid YAML.*(duplicate|unique)/i);
    const text = `title: ok
name: ok
logsource: { product: agentwatch }
detection:
  sel: { tool: x }
  condition: sel
---
title: broken
name: broken
logsource: { product: agentwatch }
detection:
  sel:
    tool|windash: x
  condition: sel
`;
    const [p] = problemsOf(text);
    expect(p).toMatchObject({ file: 'bad.yml', path: 'documents[1].detection.sel["tool|windash"]', line: 13 });
    expect(p?.message).toMatch(/\(line 13\)$/);
  });
});

describe('sigma rule metadata', () => {
  it('maps id, level, tags, category, risk, dedup window, version and false positives', () => {
    const [a] = compile(
      stringify({
        title: 'Rule A',
        id: '929a690e-bef0-4204-a928-ef5e620d6fcc',
        name: 'rule_a',
        level: 'informational',
        date: '2026/01/10',
        modified: '2026-03-01',
        tags: ['attack.t1059.001', 'attack.execution', 'owasp-agentic:ASI02', 'cve.2021-44228'],
        falsepositives: 'Admins',
        logsource: { product: 'agentwatch', category: 'tool_call' },
        detection: { sel: { tool: 'x' }, condition: 'sel' },
      }),
    );
    expect(a).toMatchObject({
      id: 'sigma.rule_a',
      version: '2026-03-01',
      severity: 'info',
      riskScore: 10,
      category: 'runtime',
      name: 'Rule A',
      description: 'Rule A',
      kinds: ['tool_call'],
      dedupWindowMs: 3_600_000,
      falsePositives: ['Admins'],
      tags: ['mitre-attack:T1059.001', 'attack.execution', 'owasp-agentic:ASI02', 'cve.2021-44228'],
    });
    expect(a?.sigma).toMatchObject({ sigmaId: '929a690e-bef0-4204-a928-ef5e620d6fcc', name: 'rule_a', type: 'detection', file: 'test.yml' });

    const [b] = compile(
      stringify({
        title: 'Rule B',
        id: '929a690e-bef0-4204-a928-ef5e620d6fcd',
        logsource: { product: 'agentwatch' },
        detection: { sel: { tool: 'x' }, condition: 'sel' },
        custom: { category: 'scope_drift', risk_score: 42, dedup_window: '15m', version: '3.1.0', known_gaps: 'Only tool calls' },
      }),
    );
    expect(b).toMatchObject({
      id: 'sigma.929a690e-bef0-4204-a928-ef5e620d6fcd',
      version: '3.1.0',
      severity: 'medium',
      riskScore: 42,
      category: 'scope_drift',
      dedupWindowMs: 900_000,
      knownGaps: ['Only tool calls'],
      kinds: ['tool_call', 'token_issued', 'token_revoked', 'policy_decision'],
    });
    const [c] = compile(stringify({ title: 'C', name: 'c', logsource: { product: 'agentwatch' }, detection: { sel: { tool: 'x' }, condition: 'sel' } }));
    expect(c?.version).toMatch(/^sha-[0-9a-f]{12}$/);
  });

  it('renders titles, summaries, evidence and dedup keys', () => {
    const [rule] = compile(
      ruleDoc(
        { sel: { 'tool|startswith': 'vault.' }, condition: 'sel' },
        {
          fields: ['resource', 'scopes'],
          custom: {
            dedup_key: ['tool', 'resource'],
            title: '{agent} hit {resource} via {tool} {{literal}}',
            summary: '{rule}: {approval.by} / {attributes.model}',
          },
        },
      ),
    );
    const f = rule?.evaluate(ev({ tool: 'vault.read', resource: 'vault://secret/x', attributes: { model: 'm1' } }), NO_CTX) as unknown as Record<
      string,
      unknown
    >;
    expect(f).toMatchObject({
      dedupKey: 'vault.read|vault://secret/x',
      title: 'research hit vault://secret/x via vault.read {literal}',
      summary: 'Test rule: (none) / m1',
      evidence: { sigma: { title: 'Test rule', file: 'test.yml', name: 'test_rule' }, fields: { resource: 'vault://secret/x', scopes: null } },
    });
    const [plain] = compile(ruleDoc({ sel: { tool: 'vault.read' }, condition: 'sel' }, { description: 'Reads a vault.' }));
    const g = plain?.evaluate(ev({ tool: 'vault.read' }), NO_CTX) as unknown as Record<string, unknown>;
    expect(g['title']).toBe('Test rule: research called vault.read');
    expect(g['summary']).toBe(`${RESEARCH} called vault.read at 2026-11-02T09:00:00.000Z, matching Sigma rule "Test rule". Reads a vault.`);
  });
});

/** Runs compiled rules over events and returns the alerts of one rule. */
function alertsOf(rules: SigmaRule[], ruleId: string, events: CanonicalEvent[]) {
  return runEvents({ rules, registry: REGISTRY, events }).filter((a) => a.rule_id === ruleId);
}

const base = (name: string, detection: Record<string, unknown>, category?: string): Record<string, unknown> => ({
  title: name,
  name,
  logsource: { product: 'agentwatch', ...(category ? { category } : {}) },
  detection,
});
const docs = (...ds: Array<Record<string, unknown>>): string => ds.map((d) => stringify(d)).join('---\n');

describe('sigma correlations', () => {
  const failed = base('failed', { sel: { outcome: ['failure', 'denied'] }, condition: 'sel' }, 'tool_call');

  it('event_count fires once per threshold crossing, and again after the window empties', () => {
    const rules = compile(
      docs(
        {
          title: 'Burst',
          name: 'burst',
          correlation: { type: 'event_count', rules: ['failed'], 'group-by': ['agent_id'], timespan: '5m', condition: { gte: 5 } },
        },
        failed,
      ),
    );
    expect(rules.map((r) => r.id)).toEqual(['sigma.burst']); // the referenced rule raises no alerts of its own
    const events = [
      ...Array.from({ length: 12 }, (_, i) => ev({ at: i * 10, outcome: 'failure' })),
      ...Array.from({ length: 5 }, (_, i) => ev({ at: 3600 + i * 10, outcome: 'denied' })),
    ];
    const alerts = alertsOf(rules, 'sigma.burst', events);
    expect(alerts.map((a) => a.count)).toEqual([1, 1]);
    expect(alerts[0]?.title).toBe('Burst: research had 5 matching events within 5m');
    expect(alerts[0]?.evidence.event_ids).toEqual(events.slice(0, 5).map((e) => e.event_id));
    expect(alerts[0]?.evidence['correlation']).toMatchObject({ type: 'event_count', count: 5, group_by: { agent_id: RESEARCH }, condition: { gte: 5 } });
  });

  it('event_count with gt and a range', () => {
    const rules = compile(
      docs(
        {
          title: 'Range',
          name: 'range',
          correlation: { type: 'event_count', rules: ['failed'], 'group-by': ['agent_id'], timespan: '1h', condition: { gt: 2, lte: 3 } },
        },
        failed,
      ),
    );
    expect(alertsOf(rules, 'sigma.range', [ev({ outcome: 'failure' }), ev({ at: 1, outcome: 'failure' })])).toHaveLength(0);
    expect(
      alertsOf(
        rules,
        'sigma.range',
        [0, 1, 2, 3, 4].map((at) => ev({ at, outcome: 'failure' })),
      ),
    ).toHaveLength(1);
  });

  it('groups by non-agent fields across agents (state shared by the rule)', () => {
    const rules = compile(
      docs(
        {
          title: 'Hot resource',
          name: 'hot',
          correlation: { type: 'event_count', rules: ['failed'], 'group-by': ['resource'], timespan: '5m', condition: { gte: 3 } },
        },
        failed,
      ),
    );
    const agents = ['research', 'planner', 'ocr'].map((a) => `spiffe://corp.example/agents/${a}`);
    const alerts = alertsOf(
      rules,
      'sigma.hot',
      agents.map((agent_id, i) => ev({ at: i, agent_id, outcome: 'denied', resource: 'hr://payroll' })),
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.agent_id).toBe(agents[2]);
    expect(alerts[0]?.evidence['correlation']).toMatchObject({ group_by: { resource: 'hr://payroll' } });
  });

  it('value_count counts distinct values; repeats of a value do not count', () => {
    const access = base('access', { sel: { 'resource|exists': true }, condition: 'sel' }, 'tool_call');
    const rules = compile(
      docs(
        {
          title: 'Sweep',
          name: 'sweep',
          correlation: { type: 'value_count', rules: ['access'], 'group-by': ['agent_id'], timespan: '10m', condition: { field: 'resource', gte: 4 } },
        },
        access,
      ),
    );
    const same = Array.from({ length: 20 }, (_, i) => ev({ at: i, resource: `r${i % 3}` }));
    expect(alertsOf(rules, 'sigma.sweep', same)).toHaveLength(0);
    const alerts = alertsOf(rules, 'sigma.sweep', [...same, ev({ at: 30, resource: 'r9' })]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.evidence['correlation']).toMatchObject({ count: 4, values: ['r2', 'r0', 'r1', 'r9'] }); // least recently seen first
  });

  it('temporal fires when all rules matched within the timespan, in any order', () => {
    const a = base('a', { sel: { tool: 'a' }, condition: 'sel' }, 'tool_call');
    const b = base('b', { sel: { tool: 'b' }, condition: 'sel' }, 'tool_call');
    const rules = compile(
      docs({ title: 'AB', name: 'ab', correlation: { type: 'temporal', rules: ['a', 'b'], 'group-by': ['agent_id'], timespan: '1m' } }, a, b),
    );
    expect(alertsOf(rules, 'sigma.ab', [ev({ at: 0, tool: 'b' }), ev({ at: 30, tool: 'a' })])).toHaveLength(1);
    expect(alertsOf(rules, 'sigma.ab', [ev({ at: 0, tool: 'a' }), ev({ at: 61, tool: 'b' })])).toHaveLength(0);
    expect(alertsOf(rules, 'sigma.ab', [ev({ at: 0, tool: 'a' }), ev({ at: 10, tool: 'a', agent_id: 'spiffe://corp.example/agents/ocr' })])).toHaveLength(0);
  });

  it('temporal_ordered needs the given order, one firing per chain start', () => {
    const a = base('a', { sel: { tool: 'a' }, condition: 'sel' }, 'tool_call');
    const b = base('b', { sel: { tool: 'b' }, condition: 'sel' }, 'tool_call');
    const c = base('c', { sel: { tool: 'c' }, condition: 'sel' }, 'tool_call');
    const rules = compile(
      docs({ title: 'ABC', name: 'abc', correlation: { type: 'temporal_ordered', rules: ['a', 'b', 'c'], 'group-by': ['agent_id'], timespan: '1m' } }, a, b, c),
    );
    const run = (tools: Array<[number, string]>) =>
      alertsOf(
        rules,
        'sigma.abc',
        tools.map(([at, tool]) => ev({ at, tool })),
      );
    expect(
      run([
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
      ]),
    ).toHaveLength(1);
    expect(
      run([
        [0, 'a'],
        [1, 'c'],
        [2, 'b'],
      ]),
    ).toHaveLength(0);
    expect(
      run([
        [0, 'b'],
        [1, 'a'],
        [2, 'c'],
      ]),
    ).toHaveLength(0);
    expect(
      run([
        [0, 'a'],
        [1, 'b'],
        [70, 'c'],
      ]),
    ).toHaveLength(0);
    // A fresher start keeps the chain alive past the first start's window.
    expect(
      run([
        [0, 'a'],
        [50, 'a'],
        [55, 'b'],
        [100, 'c'],
      ]),
    ).toHaveLength(1);
    // Repeats of the last step for the same start fold; a new start fires again (same window folds into one alert).
    expect(
      run([
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
        [3, 'c'],
        [4, 'a'],
        [5, 'b'],
        [6, 'c'],
      ])[0]?.count,
    ).toBe(2);
  });

  it('temporal_ordered: one event cannot complete two steps', () => {
    const a = base('any_x', { sel: { 'tool|startswith': 'x' }, condition: 'sel' }, 'tool_call');
    const b = base('x_run', { sel: { tool: 'x.run' }, condition: 'sel' }, 'tool_call');
    const rules = compile(
      docs({ title: 'XX', name: 'xx', correlation: { type: 'temporal_ordered', rules: ['any_x', 'x_run'], 'group-by': ['agent_id'], timespan: '1m' } }, a, b),
    );
    expect(alertsOf(rules, 'sigma.xx', [ev({ tool: 'x.run' })])).toHaveLength(0);
    expect(alertsOf(rules, 'sigma.xx', [ev({ tool: 'x.run' }), ev({ at: 1, tool: 'x.run' })])).toHaveLength(1);
  });

  it('chains correlations: a burst of denials followed by a success', () => {
    const denied = base('denied', { sel: { outcome: 'denied' }, condition: 'sel' }, 'tool_call');
    const ok = base('ok', { sel: { outcome: 'success' }, condition: 'sel' }, 'tool_call');
    const rules = compile(
      docs(
        {
          title: 'Probe then success',
          name: 'probe_success',
          correlation: { type: 'temporal_ordered', rules: ['denied_burst', 'ok'], 'group-by': ['agent_id'], timespan: '10m' },
        },
        {
          title: 'Denied burst',
          name: 'denied_burst',
          correlation: { type: 'event_count', rules: ['denied'], 'group-by': ['agent_id'], timespan: '5m', condition: { gte: 3 } },
        },
        denied,
        ok,
      ),
    );
    expect(rules.map((r) => r.id)).toEqual(['sigma.probe_success']);
    const burst = [0, 10, 20].map((at) => ev({ at, outcome: 'denied' }));
    expect(alertsOf(rules, 'sigma.probe_success', [...burst, ev({ at: 60 })])).toHaveLength(1);
    expect(alertsOf(rules, 'sigma.probe_success', [ev({ at: 0 }), ...burst.slice(0, 2)])).toHaveLength(0);
  });

  it('resolves aliases per referenced rule', () => {
    const issued = base('issued', { sel: { 'scopes|contains': 'admin' }, condition: 'sel' }, 'token_issued');
    const used = base('used', { sel: { tool: 'x' }, condition: 'sel' }, 'tool_call');
    const rules = compile(
      docs(
        {
          title: 'Alias',
          name: 'alias',
          correlation: {
            type: 'temporal',
            rules: ['issued', 'used'],
            'group-by': ['work'],
            timespan: '5m',
            aliases: { work: { issued: 'task_id', used: 'session_id' } },
          },
        },
        issued,
        used,
      ),
    );
    const t = ev({ kind: 'token_issued', scopes: ['admin'], task_id: 'w1' });
    expect(alertsOf(rules, 'sigma.alias', [t, ev({ at: 5, tool: 'x', session_id: 'w1' })])).toHaveLength(1);
    expect(alertsOf(rules, 'sigma.alias', [t, ev({ at: 5, tool: 'x', session_id: 'w2' })])).toHaveLength(0);
  });

  it('generate: true keeps the referenced rules raising their own alerts', () => {
    const a = base('a', { sel: { tool: 'a' }, condition: 'sel' }, 'tool_call');
    const text = (generate: boolean) =>
      docs(
        {
          title: 'C',
          name: 'c',
          generate,
          correlation: { type: 'event_count', rules: ['a'], 'group-by': ['agent_id'], timespan: '5m', condition: { gte: 2 } },
        },
        a,
      );
    expect(compile(text(false)).map((r) => r.id)).toEqual(['sigma.c']);
    expect(compile(text(true)).map((r) => r.id)).toEqual(['sigma.c', 'sigma.a']);
  });

  it('keeps state bounded: per-group entries capped by the condition, groups capped per store', () => {
    const rules = compile(
      docs(
        {
          title: 'Burst',
          name: 'burst',
          correlation: { type: 'event_count', rules: ['failed'], 'group-by': ['resource'], timespan: '1d', condition: { gte: 3 } },
        },
        failed,
      ),
    );
    const rule = rules[0] as SigmaRule;
    const shared: Record<string, unknown> = {};
    const state = rule.initState?.() as Record<string, unknown>;
    const ctx = (nowMs: number) => ({ nowMs, state, shared }) as unknown as RuleContext<unknown>;
    for (let i = 0; i < 500; i++) rule.evaluate(ev({ at: i, outcome: 'failure', resource: 'same' }), ctx(BASE + i * 1000));
    const store = shared['sigma.burst'] as { g: Record<string, { t: number[] }>; n: number };
    expect(store.g['#same']?.t).toHaveLength(3);
    for (let i = 0; i < MAX_GROUPS + 50; i++) rule.evaluate(ev({ at: 600, outcome: 'failure', resource: `r${i}` }), ctx(BASE + 600_000));
    expect(store.n).toBeLessThanOrEqual(MAX_GROUPS);
    expect(Object.keys(store.g)).toHaveLength(store.n);
    expect(Object.keys(state)).toHaveLength(0); // grouped by resource: nothing per agent
    // A day later every group has expired and is swept on the next match.
    rule.evaluate(ev({ at: 200_000, outcome: 'failure', resource: 'late' }), ctx(BASE + 200_000_000));
    expect(store.n).toBe(1);
  });

  it('keeps agent-grouped state in the per-agent slice', () => {
    const [rule] = compile(
      docs(
        {
          title: 'Burst',
          name: 'burst',
          correlation: { type: 'event_count', rules: ['failed'], 'group-by': ['agent_id'], timespan: '5m', condition: { gte: 3 } },
        },
        failed,
      ),
    );
    const shared: Record<string, unknown> = {};
    const state = rule?.initState?.() as Record<string, unknown>;
    rule?.evaluate(ev({ outcome: 'failure' }), { nowMs: BASE, state, shared } as unknown as RuleContext<unknown>);
    expect(Object.keys(state)).toEqual(['sigma.burst']);
    expect(Object.keys(shared)).toHaveLength(0);
  });

  it('renders correlation templates', () => {
    const rules = compile(
      docs(
        {
          title: 'Burst',
          name: 'burst',
          correlation: { type: 'event_count', rules: ['failed'], 'group-by': ['agent_id', 'tool'], timespan: '5m', condition: { gte: 2 } },
          custom: { title: '{agent}: {count} failures of {tool} in {timespan}', summary: 'group {group}' },
        },
        failed,
      ),
    );
    const [alert] = alertsOf(rules, 'sigma.burst', [ev({ tool: 't1', outcome: 'failure' }), ev({ at: 1, tool: 't1', outcome: 'failure' })]);
    expect(alert?.title).toBe('research: 2 failures of t1 in 5m');
    expect(alert?.summary).toBe(`group agent_id=${RESEARCH}, tool=t1`);
  });

  it('reports correlation problems', () => {
    const msgs = (corr: Record<string, unknown>, ...others: Array<Record<string, unknown>>): string =>
      problemsOf(docs({ title: 'C', name: 'c', ...corr }, ...others))
        .map((p) => `${p.path}: ${p.message}`)
        .join('\n');
    const ok = { type: 'event_count', rules: ['failed'], 'group-by': ['agent_id'], timespan: '5m', condition: { gte: 3 } };
    expect(msgs({ correlation: { ...ok, rules: ['nope'] } }, failed)).toMatch(
      /documents\[0\]\.correlation\.rules\[0\]: unknown rule "nope": no rule in this file/,
    );
    expect(msgs({ correlation: { ...ok, type: 'value_sum' } }, failed)).toMatch(
      /correlation\.type: expected one of .* \(value aggregations other than value_count/,
    );
    expect(msgs({ correlation: { ...ok, condition: { lt: 3 } } }, failed)).toMatch(/only lt\/lte would fire on the first event/);
    expect(msgs({ correlation: { ...ok, type: 'value_count' } }, failed)).toMatch(/value_count needs "field"/);
    expect(msgs({ correlation: { ...ok, condition: { gte: 100_000 } } }, failed)).toMatch(/at most 10000/);
    expect(msgs({ correlation: { ...ok, timespan: '5 minutes' } }, failed)).toMatch(/correlation\.timespan: expected a positive timespan/);
    expect(msgs({ correlation: { ...ok, 'group-by': ['nope'] } }, failed)).toMatch(/correlation\.group-by\[0\]: unknown field "nope"/);
    expect(
      msgs({ correlation: { ...ok, type: 'temporal_ordered', rules: ['failed', 'c2'] } }, failed, base('c2', { s: { tool: 'x' }, condition: 's' })),
    ).toMatch(/a condition is not supported for temporal_ordered/);
    expect(msgs({ correlation: { ...ok, rules: ['c'] } })).toMatch(/references itself/);
    expect(msgs({ correlation: ok, detection: {} }, failed)).toMatch(/either a detection rule .* or a correlation rule/);
    expect(msgs({ correlation: { ...ok, extra: 1 } }, failed)).toMatch(/correlation\.extra: unknown correlation key/);
    expect(msgs({ correlation: ok, custom: { dedup_key: 'tool' } }, failed)).toMatch(/fold alerts by their group-by values/);
    expect(msgs({ correlation: ok }, { ...failed, name: 'c' })).toMatch(/"c" is already the name or id of rule "C"/);
    expect(msgs({ correlation: ok }, { ...failed, detection: { sel: { 'tool|windash': 'x' }, condition: 'sel' } })).toMatch(
      /referenced rule\(s\) "failed" did not compile/,
    );
  });
});
