import { BUILTIN_RULES, loadRegistryOrThrow, runEvents } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createCloudTrailAdapter } from '../src/cloudtrail/index.ts';
import { assumeRole, FEDERATION_FILE, LEAVE_ORG_FILE, runAll, sampleRecords, sessionCall } from './cloudtrail-fixtures.ts';

/** Source records -> adapter -> every builtin rule, as `agentwatch replay --input-format cloudtrail` would. */
function detect(registryYaml: string, records: unknown[], options: Parameters<typeof createCloudTrailAdapter>[0] = {}) {
  const results = runAll(createCloudTrailAdapter(options), records);
  for (const r of results) expect(r.rejects).toEqual([]);
  const events: CanonicalEvent[] = results.flatMap((r) => r.events);
  const alerts = runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(registryYaml, 'test'), events });
  return { events, alerts, ruleIds: [...new Set(alerts.map((a) => a.rule_id))].sort() };
}

const agent = (id: string, scope: string, extra = '') => `
  - id: ${id}
    name: ${id}
    owner: alice@corp.example
    status: active
    purpose: test agent
    registered_at: 2024-07-01
    last_reviewed: 2024-07-15
    scope:
${scope}${extra}`;

const registry = (...agents: string[]) => `
people:
  - { id: alice@corp.example, status: active }
agents:${agents.join('')}
`;

const ORG_SESSION = 'aws-go-sdk-1722587398902687000';
/** The Stratus session, registered with what it may do: organizations calls with its role, 15 minute tokens. */
const ORG_SESSION_ENTRY = agent(
  ORG_SESSION,
  `      tools: ["organizations:*", "sts:*"]
      token_scopes: ["arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"]
      max_token_ttl: 1h
`,
);

describe('cloudtrail end to end: samples and hand-made records through the builtin rules', () => {
  it('an AssumeRole for a session outside the registry raises registry.unregistered_agent; the denied call maps to outcome denied', () => {
    const { events, alerts } = detect(registry(agent('someone-else', '      tools: ["s3:*"]\n')), sampleRecords(LEAVE_ORG_FILE));
    const unregistered = alerts.filter((a) => a.rule_id === 'registry.unregistered_agent');
    expect(unregistered.map((a) => a.agent_id)).toEqual([ORG_SESSION]);
    expect(events.find((e) => e.kind === 'token_issued')?.agent_id).toBe(ORG_SESSION);
    const leave = events.find((e) => e.kind === 'tool_call');
    expect(leave).toMatchObject({ tool: 'organizations:LeaveOrganization', outcome: 'denied', token_id: 'ASIA36EV31F1RB3OA8IG' });
    // Issuance and use join on one agent id: no token-reuse finding on the real samples.
    expect(alerts.map((a) => a.rule_id)).not.toContain('credential.token_used_by_other_agent');
  });

  it('the same samples with the session registered raise no alert at all', () => {
    const { ruleIds } = detect(registry(ORG_SESSION_ENTRY), sampleRecords(LEAVE_ORG_FILE));
    expect(ruleIds).toEqual([]);
  });

  it('a temporary key used by a session other than the one it was issued to raises credential.token_used_by_other_agent', () => {
    const records = [
      assumeRole({
        id: 'iss-1',
        time: '2024-08-02T08:00:00Z',
        role: 'invoice-role',
        session: 'invoice-bot',
        keyId: 'ASIAINVOICE01',
        expiration: 'Aug 2, 2024, 8:15:00 AM',
      }),
      sessionCall({ id: 'use-own', time: '2024-08-02T08:01:00Z', role: 'invoice-role', session: 'invoice-bot', keyId: 'ASIAINVOICE01' }),
      sessionCall({ id: 'use-other', time: '2024-08-02T08:02:00Z', role: 'research-role', session: 'research-bot', keyId: 'ASIAINVOICE01' }),
    ];
    const scope = '      tools: ["s3:*"]\n      token_scopes: ["arn:aws:iam::111122223333:role/*"]\n      max_token_ttl: 1h\n';
    const { alerts } = detect(registry(agent('invoice-bot', scope), agent('research-bot', scope)), records);
    const reuse = alerts.filter((a) => a.rule_id === 'credential.token_used_by_other_agent');
    expect(reuse.map((a) => [a.agent_id, a.evidence.event_ids])).toEqual([['research-bot', ['cloudtrail:iss-1', 'cloudtrail:use-other']]]);
    expect(alerts.filter((a) => a.rule_id === 'registry.unregistered_agent')).toEqual([]);
  });

  it('the federation sample: a 12 h token with an inline "*" policy exceeds a registered agent\'s TTL and token scopes', () => {
    const entry = agent(
      'stratus_red_team',
      `      tools: ["sts:GetCallerIdentity"]
      token_scopes: ["arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user"]
      max_token_ttl: 1h
`,
    ).replace('2024-07-15', '2024-11-01');
    const { ruleIds } = detect(registry(entry), sampleRecords(FEDERATION_FILE));
    expect(ruleIds).toEqual(['credential.token_ttl_exceeds_max', 'scope.token_scope_outside_registry']);
  });
});
