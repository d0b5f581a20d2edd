import { type CanonicalEvent, EVENT_KINDS, type EventKind } from '@agentwatch/schemas';

/**
 * The canonical event fields (events.md) a Sigma rule may name, per event kind, and how to read them.
 * Field names are the canonical snake_case keys; `approval.by` / `approval.at` reach into a tool call's
 * approval and `attributes.<key>` into the free-form attributes (the key may itself contain dots).
 */

export type FieldShape = 'string' | 'number' | 'array';

/** A value read from an event: a scalar, a list of strings, or nothing. */
export type FieldValue = string | number | readonly string[] | undefined;

export type Accessor = (e: CanonicalEvent) => FieldValue;

export interface FieldRef {
  /** The name as written in the rule. */
  readonly name: string;
  readonly shape: FieldShape;
  readonly get: Accessor;
  /** The kinds that carry this field. */
  readonly kinds: readonly EventKind[];
}

const ENVELOPE: Record<string, FieldShape> = {
  kind: 'string',
  event_id: 'string',
  time: 'string',
  agent_id: 'string',
  source: 'string',
  environment: 'string',
  session_id: 'string',
  task_id: 'string',
  on_behalf_of: 'string',
  delegation_chain: 'array',
  source_ip: 'string',
};

const BY_KIND: Record<EventKind, Record<string, FieldShape>> = {
  tool_call: {
    tool: 'string',
    action: 'string',
    resource: 'string',
    outcome: 'string',
    token_id: 'string',
    bytes_in: 'number',
    bytes_out: 'number',
    records: 'number',
    duration_ms: 'number',
    'approval.by': 'string',
    'approval.at': 'string',
    context_trust: 'string',
  },
  token_issued: {
    token_id: 'string',
    issuer: 'string',
    scopes: 'array',
    audience: 'array',
    expires_at: 'string',
    grant_type: 'string',
    parent_token_id: 'string',
  },
  token_revoked: { token_id: 'string', reason: 'string' },
  policy_decision: { decision: 'string', policy: 'string', tool: 'string', resource: 'string', action: 'string', token_id: 'string' },
};

/** Every field name a rule may use (without `attributes.<key>`), for "did you mean" hints. */
export const KNOWN_FIELDS: readonly string[] = [...new Set([...Object.keys(ENVELOPE), ...EVENT_KINDS.flatMap((k) => Object.keys(BY_KIND[k]))])];

const ATTR_PREFIX = 'attributes.';

function topLevel(name: string): Accessor {
  return (e) => {
    const v = (e as unknown as Record<string, unknown>)[name];
    return typeof v === 'string' || typeof v === 'number' || Array.isArray(v) ? (v as FieldValue) : undefined;
  };
}

function accessorFor(name: string): Accessor {
  if (name.startsWith(ATTR_PREFIX)) {
    const key = name.slice(ATTR_PREFIX.length);
    return (e) => {
      const attrs = e.attributes;
      if (attrs === undefined || !Object.hasOwn(attrs, key)) return undefined;
      const v = attrs[key];
      return typeof v === 'string' ? v : undefined;
    };
  }
  if (name === 'approval.by') return (e) => (e.kind === 'tool_call' ? e.approval?.by : undefined);
  if (name === 'approval.at') return (e) => (e.kind === 'tool_call' ? e.approval?.at : undefined);
  return topLevel(name);
}

export type FieldLookup = { ok: true; field: FieldRef } | { ok: false; message: string };

/**
 * Resolves a field name for a rule that looks at `kinds`: the field must exist on at least one of them.
 * Returns a message naming the kinds and a near miss when it does not.
 */
export function lookupField(name: string, kinds: readonly EventKind[]): FieldLookup {
  if (name.startsWith(ATTR_PREFIX)) {
    if (name.length === ATTR_PREFIX.length) return { ok: false, message: 'expected attributes.<key>, e.g. attributes.model' };
    return { ok: true, field: { name, shape: 'string', get: accessorFor(name), kinds } };
  }
  const carrying = kinds.filter((k) => ENVELOPE[name] !== undefined || BY_KIND[k][name] !== undefined);
  if (carrying.length === 0) {
    const elsewhere = EVENT_KINDS.filter((k) => BY_KIND[k][name] !== undefined);
    if (elsewhere.length > 0) {
      return { ok: false, message: `field "${name}" does not exist on ${kinds.join('/')} events (only on ${elsewhere.join('/')}); check logsource.category` };
    }
    if (name === 'approval' || name === 'attributes') {
      return { ok: false, message: `"${name}" is an object; name one of its fields, e.g. ${name === 'approval' ? 'approval.by' : 'attributes.<key>'}` };
    }
    const hint = nearest(name);
    return { ok: false, message: `unknown field "${name}": not a canonical event field (events.md)${hint ? `; did you mean "${hint}"?` : ''}` };
  }
  const shape = ENVELOPE[name] ?? BY_KIND[carrying[0] as EventKind][name] ?? 'string';
  return { ok: true, field: { name, shape, get: accessorFor(name), kinds: carrying } };
}

/** Whether every one of `kinds` carries the field (used for correlation group-by checks). */
export function fieldOnAllKinds(name: string, kinds: readonly EventKind[]): boolean {
  if (name.startsWith(ATTR_PREFIX)) return true;
  return kinds.every((k) => ENVELOPE[name] !== undefined || BY_KIND[k][name] !== undefined);
}

function nearest(name: string): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const f of KNOWN_FIELDS) {
    const d = editDistance(name.toLowerCase(), f);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** Text form of a field value for titles, keys and evidence: lists joined with ", ", absent as "". */
export function valueText(v: FieldValue): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return v.join(', ');
}
