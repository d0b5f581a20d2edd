// The alert queue's filters and sort, kept in the page URL (bookmarkable, shareable; never the token) and turned
// into GET /v1/alerts parameters. Pure, so it is unit-tested without a browser.
import type { Query } from './api.ts';

export const SEVERITY_OPTIONS = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const STATUS_OPTIONS = ['new', 'acknowledged', 'resolved', 'false_positive', 'suppressed'] as const;
export const CATEGORY_OPTIONS = [
  'out_of_registry',
  'lifecycle',
  'scope_drift',
  'credential',
  'delegation',
  'behavior_drift',
  'runtime',
  'telemetry_integrity',
] as const;
export const SORT_OPTIONS = [
  { value: '-last_seen', label: 'Newest activity first' },
  { value: 'last_seen', label: 'Oldest activity first' },
  { value: '-risk_score', label: 'Highest risk first' },
  { value: 'risk_score', label: 'Lowest risk first' },
  { value: '-first_seen', label: 'Newest first seen first' },
  { value: 'first_seen', label: 'Oldest first seen first' },
] as const;
/** Relative time ranges kept as their name in the URL, so a bookmark of "last 24 hours" stays relative. */
export const RANGE_OPTIONS = [
  { value: '', label: 'Any time', ms: 0 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

/** The open statuses the queue shows when the URL names none. */
export const DEFAULT_STATUSES = ['new', 'acknowledged'];

export interface QueueFilters {
  severity: string;
  status: string[];
  category: string;
  agent_id: string;
  owner: string;
  assignee: string;
  tag: string[];
  q: string;
  range: string;
  sort: string;
  cursor: string;
}

const one = (v: string | null): string => (v ?? '').trim();

/** Filters from a URL query string (`location.search`); unknown values are kept so the API can name what is wrong. */
export function parseQueueQuery(search: string): QueueFilters {
  const p = new URLSearchParams(search);
  const statuses = p
    .getAll('status')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    severity: one(p.get('severity')),
    // `status=any` in the URL: every status (an empty list would mean the default open ones).
    status: statuses.length ? statuses : DEFAULT_STATUSES,
    category: one(p.get('category')),
    agent_id: one(p.get('agent_id')),
    owner: one(p.get('owner')),
    assignee: one(p.get('assignee')),
    tag: p
      .getAll('tag')
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
    q: one(p.get('q')),
    range: one(p.get('range')),
    sort: one(p.get('sort')) || '-last_seen',
    cursor: one(p.get('cursor')),
  };
}

/** The page URL's query for these filters: defaults are left out so a plain /alerts stays plain. */
export function queueQueryString(f: QueueFilters): string {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.severity) p.set('severity', f.severity);
  const isDefault = f.status.length === DEFAULT_STATUSES.length && DEFAULT_STATUSES.every((s) => f.status.includes(s));
  if (!isDefault) for (const s of f.status.length ? f.status : ['any']) p.append('status', s);
  if (f.category) p.set('category', f.category);
  if (f.agent_id) p.set('agent_id', f.agent_id);
  if (f.owner) p.set('owner', f.owner);
  if (f.assignee) p.set('assignee', f.assignee);
  for (const t of f.tag) p.append('tag', t);
  if (f.range) p.set('range', f.range);
  if (f.sort && f.sort !== '-last_seen') p.set('sort', f.sort);
  if (f.cursor) p.set('cursor', f.cursor);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** GET /v1/alerts parameters for these filters at `nowMs` (a relative range becomes `since`). */
export function alertsApiQuery(f: QueueFilters, nowMs: number, limit = 100): Query {
  const range = RANGE_OPTIONS.find((r) => r.value === f.range);
  const statuses = f.status.filter((s) => s !== 'any');
  return {
    q: f.q,
    severity: f.severity,
    status: statuses,
    category: f.category,
    agent_id: f.agent_id,
    owner: f.owner,
    assignee: f.assignee,
    tag: f.tag,
    since: range?.ms ? new Date(nowMs - range.ms).toISOString() : undefined,
    // The default order is not sent: the server's default is the same, and a 1.0 server knows no `sort`.
    sort: f.sort !== '-last_seen' ? f.sort : undefined,
    cursor: f.cursor,
    limit,
  };
}
