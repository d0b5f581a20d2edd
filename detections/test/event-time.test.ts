import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../src/engine/engine.ts';
import type { SourceItem } from '../src/engine/pipeline.ts';
import { runPipeline } from '../src/engine/pipeline.ts';
import { BUILTIN_RULES } from '../src/index.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';
import { FIXTURE_EPOCH_MS, type FixtureEvent, materialise } from '../src/testing/fixtures.ts';
import { judgeEventTime, kafkaArrivalMs } from '../src/time/event-time.ts';
import { REPLAY_ARRIVAL_WINDOW, ReplayArrival } from '../src/time/replay-arrival.ts';

const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
const INVOICE = 'spiffe://corp.example/agents/invoice-bot';
const PAYMENTS = 'spiffe://corp.example/agents/payments-bot';
const MIN = 60_000;
const LIMITS = { maxFutureSkewMs: 5 * MIN, maxEventAgeMs: 30 * 86_400_000 };

/** The finding: tok-1 issued to the invoice bot, then used by the payments bot and after its expiry. */
const credentialStory: FixtureEvent[] = [
  {
    at: '+9h1m',
    event_id: 's-1',
    kind: 'token_issued',
    agent_id: INVOICE,
    token_id: 'tok-1',
    issuer: 'idp',
    scopes: ['erp.read'],
    expires_at: '2026-11-02T09:16:00Z',
  },
  { at: '+9h2m', event_id: 's-2', kind: 'tool_call', agent_id: INVOICE, tool: 'erp.invoice.read', outcome: 'success', token_id: 'tok-1' },
  { at: '+9h30m', event_id: 's-3', kind: 'tool_call', agent_id: PAYMENTS, tool: 'erp.invoice.read', outcome: 'success', token_id: 'tok-1' },
  { at: '+9h40m', event_id: 's-4', kind: 'tool_call', agent_id: INVOICE, tool: 'erp.invoice.read', outcome: 'success', token_id: 'tok-1' },
];

/** Each event arrives when it says it happened, except the poison, which arrives at `arrive`. */
function run(events: FixtureEvent[], withArrival: boolean): Alert[] {
  const canonical = materialise(events);
  const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
  const arrivals = events.map((e, i) => (e.arrive !== undefined ? FIXTURE_EPOCH_MS + offsetMs(e.arrive) : Date.parse((canonical[i] as CanonicalEvent).time)));
  const order = canonical.map((event, i) => ({ event, arrivalMs: arrivals[i] as number })).sort((a, b) => a.arrivalMs - b.arrivalMs);
  for (const { event, arrivalMs } of order) engine.process(event, Date.parse(event.time), withArrival ? arrivalMs : undefined);
  return engine.flush();
}
const offsetMs = (o: string | number): number => (typeof o === 'number' ? o : Number(/^\+(\d+)m$/.exec(o)?.[1] ?? Number.NaN) * MIN);
const ruleIds = (alerts: Alert[]) => alerts.map((a) => a.rule_id).sort();
const withoutTelemetry = (alerts: Alert[]) => alerts.filter((a) => a.category !== 'telemetry_integrity');

describe('event time is a claim (events.md 1.1)', () => {
  const poison = (agent: string, time: string, arrive: string | number): FixtureEvent => ({
    at: Date.parse(time) - FIXTURE_EPOCH_MS,
    arrive,
    kind: 'tool_call',
    agent_id: agent,
    tool: 'erp.invoice.read',
    outcome: 'success',
    event_id: `poison-${agent.slice(-3)}-${time.slice(0, 4)}`,
  });

  it('one event dated 9999-12-31 from another agent no longer switches off credential detection', () => {
    const clean = run(credentialStory, true);
    expect(ruleIds(clean)).toEqual(expect.arrayContaining(['credential.token_used_after_expiry', 'credential.token_used_by_other_agent']));
    const poisoned = [...credentialStory.slice(0, 2), poison(PAYMENTS, '9999-12-31T23:59:59.999Z', '+543m'), ...credentialStory.slice(2)];
    // Without arrival times (the old behaviour) the poison blinds the engine: the point of this test.
    expect(ruleIds(run(poisoned, false))).not.toContain('credential.token_used_after_expiry');
    const judged = run(poisoned, true);
    expect(withoutTelemetry(judged)).toEqual(clean);
    const telemetry = judged.filter((a) => a.category === 'telemetry_integrity');
    expect(telemetry).toHaveLength(1);
    expect(telemetry[0]).toMatchObject({ agent_id: PAYMENTS, severity: 'high', count: 1, first_seen: '2026-11-02T09:03:00.000Z' });
    expect(telemetry[0]?.evidence).toMatchObject({ verdict: 'future', claimed_time: '9999-12-31T23:59:59.999Z', event_ids: ['poison-bot-9999'] });
  });

  it('events dated far behind (1970, year 1) from the acting agent and others change no detection', () => {
    const poisoned = [
      poison(INVOICE, '1970-01-01T00:00:00.000Z', '+541m'),
      ...credentialStory.slice(0, 3),
      poison(PAYMENTS, '0001-01-01T00:00:00.000Z', '+535m'),
      ...credentialStory.slice(3),
    ];
    const judged = run(poisoned, true);
    expect(withoutTelemetry(judged)).toEqual(run(credentialStory, true));
    const telemetry = judged.filter((a) => a.category === 'telemetry_integrity');
    expect(telemetry.map((a) => [a.agent_id, a.evidence['verdict'], a.severity])).toEqual([
      [PAYMENTS, 'stale', 'low'],
      [INVOICE, 'stale', 'low'],
    ]);
  });

  it('a redelivered implausible event is counted once; stats and snapshots carry it', () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const [e] = materialise([poison(PAYMENTS, '9999-12-31T00:00:00.000Z', 0)]) as [CanonicalEvent];
    engine.process(e, Date.parse(e.time), FIXTURE_EPOCH_MS);
    const copy = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    copy.restore(JSON.parse(JSON.stringify(engine.snapshot())));
    copy.process(e, Date.parse(e.time), FIXTURE_EPOCH_MS);
    expect(copy.getStats()).toMatchObject({ implausibleTimes: 1, duplicates: 1, events: 0 });
    expect(copy.flush().map((a) => a.count)).toEqual([1]);
  });

  it('judges against the configured bounds, and nothing without an arrival', () => {
    expect(judgeEventTime(10 * MIN, 4 * MIN, LIMITS)).toBe('future');
    expect(judgeEventTime(9 * MIN, 4 * MIN, LIMITS)).toBe('plausible');
    expect(judgeEventTime(0, LIMITS.maxEventAgeMs + 1, LIMITS)).toBe('stale');
    expect(judgeEventTime(0, LIMITS.maxEventAgeMs, LIMITS)).toBe('plausible');
    expect(judgeEventTime(Number.MAX_SAFE_INTEGER, undefined, LIMITS)).toBe('plausible');
  });

  it('a Kafka arrival is the message timestamp, never later than the wall clock', () => {
    expect(kafkaArrivalMs(1_000, 5_000)).toBe(1_000);
    expect(kafkaArrivalMs(253402300799000, 5_000)).toBe(5_000);
    expect(kafkaArrivalMs(-1, 5_000)).toBe(5_000);
  });
});

describe('replay arrival (the time the recorded stream had reached)', () => {
  const item = (timeMs: number, id: string): SourceItem => ({
    event: { kind: 'tool_call', event_id: id, time: new Date(timeMs).toISOString(), agent_id: 'a', tool: 't', outcome: 'success' },
    timeMs,
  });
  /** Verdict per event id of a stream of times, as replay judges them. */
  function verdicts(times: number[]): Record<string, string> {
    const arrival = new ReplayArrival(LIMITS);
    const out: SourceItem[] = [];
    times.forEach((t, i) => {
      arrival.push(item(t, `e${i}`), out);
    });
    arrival.drain(out);
    expect(out).toHaveLength(times.length);
    const v: Record<string, string> = {};
    for (const o of out) if ('event' in o) v[o.event.event_id] = judgeEventTime(o.timeMs, o.arrivalMs, LIMITS);
    return v;
  }
  const flagged = (times: number[]) =>
    Object.entries(verdicts(times))
      .filter(([, v]) => v !== 'plausible')
      .map(([id, v]) => `${id}:${v}`);
  const steady = (n: number, from = 0, step = MIN) => Array.from({ length: n }, (_, i) => from + i * step);
  const DAY = 86_400_000;

  it('believes a steady stream with gaps of nights and weekends, up to its last event', () => {
    const days = [0, 1, 2, 5, 6].flatMap((d) => steady(40, d * DAY + 9 * 3_600_000, 7 * MIN));
    expect(flagged(days)).toEqual([]);
    // A stream that ends a few events after a night: a pause, not a claim.
    expect(flagged([...steady(200), ...steady(3, DAY)])).toEqual([]);
  });

  it('flags a lie in the middle, at the start and at the end, ahead or behind', () => {
    const base = steady(300, 10 * 365 * DAY);
    const far = Date.parse('9999-12-31T00:00:00Z');
    const stream = [far, ...base.slice(0, 100), far, 0, ...base.slice(100), far];
    expect(flagged(stream).sort()).toEqual(['e0:future', 'e101:future', 'e102:stale', 'e303:future'].sort());
  });

  it('a liar that is a minority of every window is always flagged (one agent, every third event a year ahead)', () => {
    const stream = steady(600, 0).map((t, i) => (i % 3 === 0 ? t + 365 * DAY : t));
    expect(flagged(stream)).toEqual(Array.from({ length: 200 }, (_, k) => `e${3 * k}:future`));
  });

  it('holds events no longer than the window (memory bound), rejects not at all', () => {
    const arrival = new ReplayArrival(LIMITS);
    const out: SourceItem[] = [];
    for (let i = 0; i < 1000; i++) arrival.push(item(i * MIN, `e${i}`), out);
    expect(out).toHaveLength(1000 - REPLAY_ARRIVAL_WINDOW);
    arrival.push({ error: 'bad', origin: { source: 'f', line: 1 } }, out);
    expect(out).toHaveLength(1001 - REPLAY_ARRIVAL_WINDOW);
  });

  it('runPipeline keeps implausible times out of the reorder buffer: nothing after them is late', async () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const events = steady(50, FIXTURE_EPOCH_MS + 9 * 3_600_000).map((t, i) => item(t, `e${i}`));
    const poisonItem = { ...item(Date.parse('9999-12-31T00:00:00Z'), 'poison'), arrivalMs: FIXTURE_EPOCH_MS + 9 * 3_600_000 + 10 * MIN };
    const result = await runPipeline({
      source: [[...events.slice(0, 10), poisonItem, ...events.slice(10)]],
      engine,
      latenessMs: 5 * MIN,
      sink: { alerts: () => undefined, rejected: () => undefined },
    });
    expect(result).toMatchObject({ accepted: 51, implausible: 1, late: 0 });
  });
});
