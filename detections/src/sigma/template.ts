import type { CanonicalEvent, EventKind } from '@agentwatch/schemas';
import { list, shortName } from '../text.ts';
import type { CorrFire } from './correlation.ts';
import { type Accessor, lookupField } from './fields.ts';

/**
 * `custom.title` / `custom.summary` templates: text with `{placeholder}`s, compiled once. `{{` and `}}`
 * are literal braces. Placeholders:
 * - any canonical field of the triggering event (`{tool}`, `{resource}`, `{approval.by}`, `{attributes.model}`);
 *   lists are joined (at most 6 items shown), absent fields render as `(none)`;
 * - `{agent}`: the short name of agent_id (last path segment), `{rule}`: the rule title;
 * - correlation rules only: `{count}` (events, distinct values or rules matched), `{timespan}`, `{group}`
 *   (`field=value` pairs of the group-by), `{values}` (value_count: the distinct values).
 */

export interface TemplateVars {
  readonly rule: string;
  readonly timespan?: string;
  /** Group-by field names (correlations), rendered with the fire's group values by `{group}`. */
  readonly groupBy?: readonly string[];
}

/** `agent_id=a, token_id=t`, or `all events` without group-by. */
export function groupText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return 'all events';
  return names.map((n, i) => `${n}=${values[i] ?? ''}`).join(', ');
}

export type Render = (e: CanonicalEvent, fire: CorrFire | null) => string;

const CORRELATION_ONLY = new Set(['count', 'timespan', 'group', 'values']);

export function compileTemplate(src: string, kinds: readonly EventKind[], correlation: boolean, vars: TemplateVars): Render | string {
  const parts: Array<string | Render> = [];
  let text = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if ((c === '{' || c === '}') && src[i + 1] === c) {
      text += c;
      i++;
      continue;
    }
    if (c === '}') return `unmatched "}" at character ${i + 1} (write "}}" for a literal brace)`;
    if (c !== '{') {
      text += c;
      continue;
    }
    const end = src.indexOf('}', i);
    if (end < 0) return `unclosed "{" at character ${i + 1} (write "{{" for a literal brace)`;
    const name = src.slice(i + 1, end).trim();
    const render = placeholder(name, kinds, correlation, vars);
    if (typeof render === 'string') return render;
    if (text) parts.push(text);
    text = '';
    parts.push(render);
    i = end;
  }
  if (text) parts.push(text);
  return (e, fire) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(e, fire);
    return out;
  };
}

function placeholder(name: string, kinds: readonly EventKind[], correlation: boolean, vars: TemplateVars): Render | string {
  if (name === '') return 'empty placeholder "{}"';
  if (name === 'agent') return (e) => shortName(e.agent_id);
  if (name === 'rule') return () => vars.rule;
  if (CORRELATION_ONLY.has(name)) {
    if (!correlation) return `placeholder {${name}} is only available in correlation rules`;
    switch (name) {
      case 'count':
        return (_e, f) => String(f?.count ?? '');
      case 'timespan':
        return () => vars.timespan ?? '';
      case 'group':
        return (_e, f) => groupText(vars.groupBy ?? [], f?.group ?? []);
      default:
        return (_e, f) => list(f?.values ?? []);
    }
  }
  const found = lookupField(name, kinds);
  if (!found.ok) return `placeholder {${name}}: ${found.message}`;
  const get: Accessor = found.field.get;
  return (e) => {
    const v = get(e);
    if (v === undefined) return '(none)';
    if (typeof v === 'object') return list(v);
    return String(v);
  };
}
