import { type Alert, type CanonicalEvent, type DetectionConfig, parseEvent, problemsToString, type Severity } from '@agentwatch/schemas';
import { runEvents } from '../engine/run-events.ts';
import type { Rule } from '../engine/types.ts';
import { loadRegistryOrThrow } from '../registry/load-registry.ts';
import { FIXTURE_REGISTRY } from './fixture-registry.ts';

/** Fixture time zero: a Monday, midnight UTC. Event times are written as offsets from it. */
export const FIXTURE_EPOCH_MS = Date.parse('2026-11-02T00:00:00.000Z');

/** `+90s`, `+15m`, `+2h30m`, `+1d`, `+1w2d` (or a number of ms). */
export type Offset = string | number;

/**
 * A fixture event: a canonical event whose `time` is an offset (`at`) and whose `event_id` may be left out.
 * `arrive`: when agentwatch received it (offset); given, the event's time is judged against it (events.md 1.1).
 */
export type FixtureEvent = { at: Offset; arrive?: Offset; event_id?: string } & Record<string, unknown>;

export interface ExpectedAlert {
  agent_id?: string;
  count?: number;
  severity?: Severity;
  /** Substring the title must contain. */
  title?: string;
  /** Substring the summary must contain. */
  summary?: string;
  /** Event ids that must all be in the evidence. */
  event_ids?: string[];
  /** Offsets of first and last match. */
  first_seen?: Offset;
  last_seen?: Offset;
}

export interface RuleFixture {
  name: string;
  /** Registry YAML; default {@link FIXTURE_REGISTRY}. */
  registry?: string;
  config?: Partial<DetectionConfig>;
  events: FixtureEvent[];
  /** Alerts of the rule under test, in order; `[]` means it must stay quiet. */
  expect: ExpectedAlert[];
}

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY = 86_400_000;
const HOUR = 3_600_000;

export function offsetToMs(offset: Offset): number {
  if (typeof offset === 'number') return offset;
  const m = /^\+?((?:\d+(?:ms|s|m|h|d|w))+)$/.exec(offset.trim());
  if (!m) throw new Error(`bad fixture offset "${offset}" (expected e.g. +2h30m)`);
  let ms = 0;
  for (const part of (m[1] as string).matchAll(/(\d+)(ms|s|m|h|d|w)/g)) ms += Number(part[1]) * (UNIT[part[2] as string] ?? 0);
  return ms;
}

export const fixtureTime = (offset: Offset): string => new Date(FIXTURE_EPOCH_MS + offsetToMs(offset)).toISOString();

/** Turns fixture events into validated canonical events; a fixture with an invalid event is a bug in the fixture. */
export function materialise(events: readonly FixtureEvent[]): CanonicalEvent[] {
  return events.map((fe, i) => {
    const { at, arrive: _arrive, ...rest } = fe;
    const raw = { event_id: `f-${i + 1}`, ...rest, time: fixtureTime(at) };
    const r = parseEvent(raw);
    if (!r.ok) throw new Error(`fixture event #${i + 1} is not a valid canonical event: ${problemsToString(r.problems)}`);
    return r.value;
  });
}

/**
 * Repeated benign activity for baselines: `perHour` copies of `event` in each of `hours` (UTC) on each
 * day from `fromDay` for `days` days, skipping weekends when `weekdaysOnly`. Spread evenly in the hour.
 */
export function activity(opts: {
  event: Record<string, unknown>;
  days: number;
  hours: readonly number[];
  perHour: number;
  fromDay?: number;
  weekdaysOnly?: boolean;
  idPrefix?: string;
}): FixtureEvent[] {
  const out: FixtureEvent[] = [];
  const from = opts.fromDay ?? 0;
  for (let d = from; d < from + opts.days; d++) {
    const weekday = new Date(FIXTURE_EPOCH_MS + d * DAY).getUTCDay();
    if (opts.weekdaysOnly && (weekday === 0 || weekday === 6)) continue;
    for (const h of opts.hours) {
      for (let k = 0; k < opts.perHour; k++) {
        const at = d * DAY + h * HOUR + Math.floor((k * HOUR) / opts.perHour);
        out.push({ ...opts.event, at, event_id: `${opts.idPrefix ?? 'bg'}-${d}-${h}-${k}` });
      }
    }
  }
  return out;
}

export interface FixtureResult {
  fixture: string;
  ok: boolean;
  problems: string[];
  alerts: Alert[];
}

/** Runs one fixture through the real engine (all of `rules` active) and checks the alerts of `rule`. */
export function runFixture(rule: Rule, fixture: RuleFixture, rules: readonly Rule[] = [rule]): FixtureResult {
  const registry = loadRegistryOrThrow(fixture.registry ?? FIXTURE_REGISTRY, `fixture:${fixture.name}`);
  const arrivalsMs = fixture.events.map((e) => (e.arrive === undefined ? undefined : FIXTURE_EPOCH_MS + offsetToMs(e.arrive)));
  const all = runEvents({ rules, registry, events: materialise(fixture.events), arrivalsMs, ...(fixture.config ? { config: fixture.config } : {}) });
  const alerts = all.filter((a) => a.rule_id === rule.id);
  const problems: string[] = [];
  if (alerts.length !== fixture.expect.length) {
    problems.push(`expected ${fixture.expect.length} alert(s) of ${rule.id}, got ${alerts.length}: ${alerts.map((a) => a.title).join(' | ') || '(none)'}`);
  }
  fixture.expect.forEach((exp, i) => {
    const got = alerts[i];
    if (!got) return;
    const where = `alert #${i + 1}`;
    if (exp.agent_id !== undefined && got.agent_id !== exp.agent_id) problems.push(`${where}: agent_id ${got.agent_id}, expected ${exp.agent_id}`);
    if (exp.count !== undefined && got.count !== exp.count) problems.push(`${where}: count ${got.count}, expected ${exp.count}`);
    if (exp.severity !== undefined && got.severity !== exp.severity) problems.push(`${where}: severity ${got.severity}, expected ${exp.severity}`);
    if (exp.title !== undefined && !got.title.includes(exp.title)) problems.push(`${where}: title "${got.title}" lacks "${exp.title}"`);
    if (exp.summary !== undefined && !got.summary.includes(exp.summary)) problems.push(`${where}: summary "${got.summary}" lacks "${exp.summary}"`);
    for (const id of exp.event_ids ?? []) if (!got.evidence.event_ids.includes(id)) problems.push(`${where}: evidence lacks event ${id}`);
    if (exp.first_seen !== undefined && got.first_seen !== fixtureTime(exp.first_seen))
      problems.push(`${where}: first_seen ${got.first_seen}, expected ${fixtureTime(exp.first_seen)}`);
    if (exp.last_seen !== undefined && got.last_seen !== fixtureTime(exp.last_seen))
      problems.push(`${where}: last_seen ${got.last_seen}, expected ${fixtureTime(exp.last_seen)}`);
  });
  return { fixture: fixture.name, ok: problems.length === 0, problems, alerts };
}

/** `spiffe://corp.example/agents/<name>`, the id form of {@link FIXTURE_REGISTRY}. */
export const agent = (name: string): string => `spiffe://corp.example/agents/${name}`;
