import { MAX_DISTINCT, resourceFamily } from '../../../src/baseline/agent-baseline.ts';
import { defineRule } from '../../../src/engine/types.ts';
import { baselineEvidence, baselineWarm } from '../../../src/rule-helpers.ts';
import { list, shortName } from '../../../src/text.ts';

export default defineRule({
  id: 'behavior.first_seen_resource',
  version: '1.0.0',
  category: 'behavior_drift',
  severity: 'low',
  riskScore: 30,
  name: 'First access to a kind of resource after the learning period',
  description:
    'After its learning period, an agent touched a resource family (scheme and first path segment, e.g. erp://payroll) it had never touched. New record ids inside known families do not count.',
  tags: ['owasp-agentic:ASI02', 'mitre-attack:T1530', 'mitre-atlas:AML.T0057'],
  kinds: ['tool_call'],
  dedupWindowMs: 86_400_000,
  falsePositives: ['New data sources onboarded for the agent'],
  knownGaps: [`Stops after ${MAX_DISTINCT} distinct resource families per agent`],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call' || event.resource === undefined) return null;
    const b = ctx.baseline;
    const family = resourceFamily(event.resource);
    if (b.resourceCount >= MAX_DISTINCT || Object.hasOwn(b.resources, family) || !baselineWarm(ctx)) return null;
    const known = Object.keys(b.resources).sort();
    return {
      dedupKey: family,
      title: `${shortName(event.agent_id)} accessed ${family} for the first time`,
      summary: `In ${b.activeDays} active days ${event.agent_id} touched ${known.length} resource families: ${list(known, 10)}. It has now called ${event.tool} on ${event.resource} (outcome ${event.outcome}).`,
      evidence: { resource: event.resource, resource_family: family, known_resource_families: known.slice(0, 50), ...baselineEvidence(ctx) },
    };
  },
});
