import { isObject } from '../common.ts';
import type { AuditEntry } from './entry.ts';

const MAX_KEYS = 64;
const MAX_VALUE_CHARS = 1024;
const MAX_METADATA_KEYS = 16;

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function clip(s: string): string {
  return s.length <= MAX_VALUE_CHARS ? s : `${s.slice(0, MAX_VALUE_CHARS)}…[${s.length} chars]`;
}

/** String entries of an array field (policies), bounded. */
export function stringList(v: unknown, max = 256): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const el of v) {
    if (out.length >= max) break;
    if (typeof el === 'string' && el !== '') out.push(el);
  }
  return out;
}

/** The union of a token's policy lists, in order, without repeats: Vault grants all of them. */
export function policiesOf(auth: Record<string, unknown>): string[] {
  return [...new Set([...stringList(auth['policies']), ...stringList(auth['token_policies']), ...stringList(auth['identity_policies'])])].slice(0, 256);
}

/** Collects `vault.*` attributes, bounded in key count and value length so one entry cannot bloat events. */
export class AttributeBag {
  readonly values: Record<string, string> = {};
  private count = 0;

  put(key: string, v: unknown): this {
    const s = scalar(v);
    if (s === undefined || this.count >= MAX_KEYS || Object.hasOwn(this.values, key)) return this;
    this.values[key] = clip(s);
    this.count++;
    return this;
  }
}

/** Where the call went and how it ended: the request's own fields. */
export function requestAttributes(bag: AttributeBag, entry: AuditEntry): AttributeBag {
  const r = entry.request.raw;
  const ns = isObject(r['namespace']) ? r['namespace'] : {};
  return bag
    .put('vault.entry_type', entry.type)
    .put('vault.request_id', entry.request.id)
    .put('vault.operation', entry.request.operation)
    .put('vault.path', entry.request.path)
    .put('vault.mount_type', entry.request.mountType)
    .put('vault.mount_point', entry.request.mountPoint)
    .put('vault.mount_accessor', r['mount_accessor'])
    .put('vault.namespace', scalar(ns['path']) ?? scalar(ns['id']))
    .put('vault.remote_port', r['remote_port'])
    .put('vault.error', entry.error);
}

/** Who the token is: identity fields of an auth block (the caller's, or a newly issued token's). */
export function authAttributes(bag: AttributeBag, auth: Record<string, unknown>): AttributeBag {
  bag
    .put('vault.display_name', auth['display_name'])
    .put('vault.entity_id', auth['entity_id'])
    .put('vault.token_type', auth['token_type'])
    .put('vault.token_ttl', auth['token_ttl'])
    .put('vault.token_issue_time', auth['token_issue_time'])
    .put('vault.remaining_uses', auth['remaining_uses'])
    .put('vault.num_uses', auth['num_uses'])
    .put('vault.policies', policiesOf(auth).join(','));
  const results = auth['policy_results'];
  if (isObject(results)) bag.put('vault.policy_results.allowed', results['allowed']);
  const metadata = auth['metadata'];
  if (isObject(metadata)) {
    for (const k of Object.keys(metadata).slice(0, MAX_METADATA_KEYS)) bag.put(`vault.metadata.${k.slice(0, 128)}`, metadata[k]);
  }
  return bag;
}
