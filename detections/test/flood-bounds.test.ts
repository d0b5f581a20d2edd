import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { DetectionEngine, MAX_HELD_USES_PER_AGENT, MAX_LIVE_TOKENS_PER_AGENT, MAX_OPEN_ALERTS_PER_AGENT, OVERFLOW_DEDUP_KEY } from '../src/engine/engine.ts';
import { MAX_RECENT_IDS_PER_AGENT } from '../src/engine/recent-ids.ts';
import { BUILTIN_RULES } from '../src/index.ts';
import { loadRegistryOrThrow } from '../src/registry/load-registry.ts';
import { FIXTURE_REGISTRY } from '../src/testing/fixture-registry.ts';
import { agent, FIXTURE_EPOCH_MS, materialise } from '../src/testing/fixtures.ts';

const registry = loadRegistryOrThrow(FIXTURE_REGISTRY, 'fixture');
const FLOODER = agent('invoice-bot');
const VICTIM = agent('payments-bot');
const WORKER = agent('research');
/** 200,000 events in 12 minutes of event time: an agent sending 1M events/min. */
const FLOOD_EVENTS = 200_000;
const FLOOD_SPAN_MS = 12 * 60_000;
const START_MS = FIXTURE_EPOCH_MS + 9 * 3_600_000;
/**
 * Serialised engine state allowed after the flood. The caps (per agent: 4,096 dedup ids, 1,000 held uses, 10,000
 * tokens, 500 open alerts of ~2 KB) put it near 3 MB; unbounded, the same flood leaves ~400 MB.
 */
const MAX_SNAPSHOT_BYTES = 8_000_000;

const [call, issued] = materialise([
  { at: 0, kind: 'tool_call', agent_id: FLOODER, tool: 'x', outcome: 'denied', token_id: 'x', resource: 'erp://x/1' },
  { at: 0, kind: 'token_issued', agent_id: FLOODER, token_id: 'x', issuer: 'idp', scopes: ['erp.read'], expires_at: '2026-11-02T12:00:00Z' },
]) as [CanonicalEvent, CanonicalEvent];

/** Flood event `i`: every id, tool, token and resource is new, half the calls are denied, one in ten issues a token. */
function floodEvent(i: number, timeMs: number): CanonicalEvent {
  const time = new Date(timeMs).toISOString();
  if (i % 10 === 9) return { ...issued, event_id: `flood-${i}`, time, token_id: `flood-token-${i}` } as CanonicalEvent;
  return {
    ...call,
    event_id: `flood-${i}`,
    time,
    tool: `flood.tool.${i}`,
    token_id: `unknown-token-${i}`,
    resource: `flood://r${i}/x`,
    outcome: i % 2 === 0 ? 'denied' : 'success',
  } as CanonicalEvent;
}

/** Another agent's attack in the middle of the flood: a tool outside its scope, and a revoked token used. */
const attack = materialise([
  { at: '+9h5m', kind: 'tool_call', agent_id: VICTIM, tool: 'shell.exec', outcome: 'success', event_id: 'victim-shell' },
  { at: '+9h6m', kind: 'token_issued', agent_id: WORKER, token_id: 'w1', issuer: 'idp', scopes: ['docs.read'], expires_at: '2026-11-02T12:00:00Z' },
  { at: '+9h7m', kind: 'token_revoked', agent_id: WORKER, token_id: 'w1', reason: 'task finished' },
  { at: '+9h9m', kind: 'tool_call', agent_id: WORKER, tool: 'docs.read', outcome: 'success', token_id: 'w1', event_id: 'worker-revoked-use' },
]);

describe('per-agent state under a flood (issue 15 item 7)', () => {
  it('one agent flooding keeps the engine under its caps, says it saturated, and another agent is still detected', () => {
    const engine = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    const stream: Array<[CanonicalEvent, number]> = [];
    for (let i = 0; i < FLOOD_EVENTS; i++) {
      const t = START_MS + Math.floor((i * FLOOD_SPAN_MS) / FLOOD_EVENTS);
      stream.push([floodEvent(i, t), t]);
    }
    for (const e of attack) stream.push([e, Date.parse(e.time)]);
    stream.sort((a, b) => a[1] - b[1]);
    for (const [e, t] of stream) engine.process(e, t);

    const counts = engine.stateCounts();
    const agents = counts.agents;
    expect(agents).toBe(3);
    expect(counts.maxDedupIdsPerAgent).toBeLessThanOrEqual(MAX_RECENT_IDS_PER_AGENT);
    expect(counts.maxOpenAlertsPerAgent).toBeLessThanOrEqual(MAX_OPEN_ALERTS_PER_AGENT + BUILTIN_RULES.length);
    expect(counts.parkedUses).toBeLessThanOrEqual(MAX_HELD_USES_PER_AGENT * agents);
    expect(counts.tokens).toBeLessThanOrEqual(MAX_LIVE_TOKENS_PER_AGENT + 1);
    const snapshotBytes = JSON.stringify(engine.snapshot()).length;
    expect(snapshotBytes).toBeLessThan(MAX_SNAPSHOT_BYTES);

    // Every cap hit is counted, never silent.
    const { saturation } = engine.getStats();
    expect(saturation.dedupForgotten).toBe(FLOOD_EVENTS + attack.length - counts.dedupIds);
    expect(saturation.heldRefused).toBeGreaterThan(0);
    expect(saturation.tokensRefused).toBe(FLOOD_EVENTS / 10 - MAX_LIVE_TOKENS_PER_AGENT);
    expect(saturation.alertsFolded).toBeGreaterThan(0);
    expect(saturation.firstSeenSkipped).toBeGreaterThan(0);

    const alerts = engine.flush();
    // The flooder's distinct findings beyond the cap are counted in one overflow alert per rule, marked saturated.
    const overflow = alerts.filter((a) => a.agent_id === FLOODER && a.alert_id && a.evidence['saturated'] !== undefined);
    expect(overflow.length).toBeGreaterThan(0);
    const folded = overflow.reduce((n, a) => n + a.count, 0);
    expect(folded).toBe(saturation.alertsFolded);
    expect(alerts.filter((a) => a.agent_id === FLOODER).length).toBeLessThanOrEqual(MAX_OPEN_ALERTS_PER_AGENT + BUILTIN_RULES.length);
    expect(OVERFLOW_DEDUP_KEY.length).toBeGreaterThan(0);

    // The other agents' attacks raised their alerts, as without the flood.
    const alone = new DetectionEngine({ registry, rules: BUILTIN_RULES });
    for (const e of attack) alone.process(e);
    const expected = alone.flush().map((a) => `${a.rule_id} ${a.alert_id} ${a.count}`);
    expect(expected).toEqual(
      expect.arrayContaining([expect.stringMatching(/^scope\.tool_outside_registry /), expect.stringMatching(/^credential\.token_used_after_revocation /)]),
    );
    const others = alerts.filter((a) => a.agent_id !== FLOODER).map((a) => `${a.rule_id} ${a.alert_id} ${a.count}`);
    expect(others.sort()).toEqual(expected.sort());
  }, 120_000);
});
