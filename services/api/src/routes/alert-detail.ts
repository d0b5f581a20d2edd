import type { Alert, CanonicalEvent, Registry, RegistryAgent } from '@agentwatch/schemas';
import type { AgentHour } from '@agentwatch/store';

/**
 * The derived parts of GET /v1/alerts/{id}: the delegation chain and the baseline figures. Pure functions of what
 * the store and the registry hold, so they are tested without a server.
 */

export interface ChainLink {
  id: string;
  kind: 'person' | 'agent';
  registered: boolean;
  owner?: string | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** How far back the baseline looks from the alert's hour. */
export const BASELINE_DAYS = 30;

/** `user:alice@corp.example` and `alice@corp.example` are one person. */
const personKey = (id: string): string => id.replace(/^(user|person):/i, '').toLowerCase();

/** Registry agents are agents; `user:`/`person:` ids and e-mail-like ids without a scheme are people; anything else an agent. */
function kindOf(id: string, agents: ReadonlyMap<string, RegistryAgent>): 'person' | 'agent' {
  if (agents.has(id)) return 'agent';
  if (/^(user|person):/i.test(id)) return 'person';
  if (id.includes('@') && !id.includes('://')) return 'person';
  return 'agent';
}

/**
 * Who acted for whom, from the alert's evidence events: the on_behalf_of person first, then the delegation chain in
 * order (outermost first, events.md), the acting agent last. A person is registered when the registry lists them
 * (people) or they own a registered agent. Taken from the most recent evidence event of the alert's
 * agent that carries delegation fields (any agent's if none does); just the acting agent when no event does.
 */
export function delegationChain(
  alert: Pick<Alert, 'agent_id'>,
  events: readonly CanonicalEvent[],
  registry: Pick<Registry, 'agents'> & Partial<Pick<Registry, 'people'>>,
): ChainLink[] {
  const agents = new Map(registry.agents.map((a) => [a.id, a]));
  const people = new Set([...registry.agents.map((a) => personKey(a.owner)), ...(registry.people ?? []).map((p) => personKey(p.id))]);
  const delegated = events.filter((e) => (e.delegation_chain?.length ?? 0) > 0 || (e.on_behalf_of ?? '') !== '');
  const latest = (list: CanonicalEvent[]) =>
    list.reduce<CanonicalEvent | undefined>((a, e) => (!a || Date.parse(e.time) >= Date.parse(a.time) ? e : a), undefined);
  const source = latest(delegated.filter((e) => e.agent_id === alert.agent_id)) ?? latest(delegated);
  const ids: string[] = [];
  if (source?.on_behalf_of) ids.push(source.on_behalf_of);
  for (const id of source?.delegation_chain ?? []) ids.push(id);
  ids.push(alert.agent_id);
  const links: ChainLink[] = [];
  for (const id of ids) {
    const kind = kindOf(id, agents);
    const prev = links[links.length - 1];
    // The same actor twice in a row (on_behalf_of repeated as the chain's first element, the agent as its last): once.
    if (prev && prev.kind === kind && (kind === 'person' ? personKey(prev.id) === personKey(id) : prev.id === id)) continue;
    if (kind === 'person') links.push({ id, kind, registered: people.has(personKey(id)) });
    else {
      const entry = agents.get(id);
      links.push({ id, kind, registered: entry !== undefined, owner: entry?.owner ?? null });
    }
  }
  return links;
}

export interface BaselineFigures {
  rule_figures: Record<string, unknown>;
  hour_of_day_events: number[];
  typical_hourly_events: number;
  active_hours: number;
  this_hour: string;
  this_hour_events: number;
}

/** The window of hourly aggregates the baseline of an alert reads: 30 days before its last_seen hour, and that hour. */
export function baselineWindow(alert: Pick<Alert, 'last_seen'>): { sinceMs: number; untilMs: number; hourMs: number } {
  const hourMs = Math.floor(Date.parse(alert.last_seen) / HOUR_MS) * HOUR_MS;
  return { sinceMs: hourMs - BASELINE_DAYS * DAY_MS, untilMs: hourMs + HOUR_MS, hourMs };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * What the rule compared (the alert's evidence but its event ids) beside the agent's own hourly figures: per UTC hour
 * of day the mean events per active day, the median active hour, and the alert's hour. Null when there is neither.
 */
export function baselineFigures(alert: Pick<Alert, 'last_seen' | 'evidence'>, hours: readonly AgentHour[]): BaselineFigures | null {
  const { hourMs } = baselineWindow(alert);
  const { event_ids: _ids, ...rule } = alert.evidence;
  const prior = hours.filter((h) => Date.parse(h.hour) < hourMs && h.events > 0);
  const current = hours.find((h) => Date.parse(h.hour) === hourMs);
  if (prior.length === 0 && !current && Object.keys(rule).length === 0) return null;
  const days = new Set(prior.map((h) => Math.floor(Date.parse(h.hour) / DAY_MS)));
  const byHour = new Array<number>(24).fill(0);
  for (const h of prior) byHour[new Date(h.hour).getUTCHours()] = (byHour[new Date(h.hour).getUTCHours()] as number) + h.events;
  return {
    rule_figures: rule,
    hour_of_day_events: byHour.map((n) => round2(n / Math.max(1, days.size))),
    typical_hourly_events: median(prior.map((h) => h.events)),
    active_hours: prior.length,
    this_hour: new Date(hourMs).toISOString(),
    this_hour_events: current?.events ?? 0,
  };
}
