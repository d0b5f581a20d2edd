import { BUILTIN_RULES, loadRegistryOrThrow, runEvents } from '@agentwatch/detections';
import type { Alert } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createVaultAdapter, DEFAULT_AGENT_ID_PATHS } from '../src/vault/index.ts';
import { approleLogin, byKind, call, clientTokenOf, runAdapter, sampleLines, type TokenSpec } from './vault-fixtures.ts';

const AGENTS = 'spiffe://corp.example/agents/';

/** Two registered agents allowed to read their own kv subtree through Vault, with tokens of at most 1h. */
const REGISTRY = `
people:
  - { id: alice@corp.example, status: active }
agents:
  - id: ${AGENTS}invoice-bot
    name: Invoice reconciliation bot
    owner: alice@corp.example
    status: active
    purpose: Match supplier invoices against purchase orders
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
    scope:
      tools: ["vault.kv.*"]
      resources: ["vault://secret/data/apps/invoice/**"]
      actions: [read]
      token_scopes: ["default", "app-*"]
      max_token_ttl: 1h
  - id: ${AGENTS}research
    name: Research worker
    owner: alice@corp.example
    status: active
    purpose: Reads research notes
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
    scope:
      tools: ["vault.kv.*"]
      resources: ["vault://secret/data/apps/research/**"]
      actions: [read]
      token_scopes: ["default", "app-*"]
      max_token_ttl: 1h
`;

/**
 * Agents identify themselves with an audited `X-Agent-Id` header (Vault's auth block is bound to the token,
 * so only an identity that is not, like a header, can show a token in the wrong hands); AppRole role names
 * are the fallback. Role and header values become SPIFFE ids.
 */
const adapter = () => createVaultAdapter({ agentIdPrefix: AGENTS, agentIdPaths: ['$.request.headers.x-agent-id', ...DEFAULT_AGENT_ID_PATHS] });

function detect(records: unknown[]) {
  const { all } = runAdapter(adapter(), records);
  expect(all.rejects).toEqual([]);
  const alerts = runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(REGISTRY, 'registry.yaml'), events: all.events });
  return { events: all.events, alerts };
}

const ids = (alerts: Alert[]): string[] => [...new Set(alerts.map((a) => a.rule_id))].sort();
const header = (agent: string) => ({ 'x-agent-id': [agent] });

const invoice: TokenSpec = { name: 'invoice', roleName: 'invoice-bot', ttl: 1800 };
const research: TokenSpec = { name: 'research', roleName: 'research', ttl: 900 };

describe('vault -> detections end to end', () => {
  it('benign: registered agents log in with short tokens and read their own secrets (request + response entries): no alerts', () => {
    const records = [
      approleLogin('l-1', '2026-11-02T10:00:00.000Z', invoice, header('invoice-bot')),
      approleLogin('l-2', '2026-11-02T10:00:01.000Z', research, header('research')),
      call({
        id: 'c-1',
        type: 'request',
        time: '2026-11-02T10:01:00.000Z',
        token: invoice,
        path: 'secret/data/apps/invoice/erp-key',
        headers: header('invoice-bot'),
      }),
      call({ id: 'c-1', time: '2026-11-02T10:01:00.004Z', token: invoice, path: 'secret/data/apps/invoice/erp-key', headers: header('invoice-bot') }),
      call({ id: 'c-2', time: '2026-11-02T10:02:00.000Z', token: research, path: 'secret/data/apps/research/notes', headers: header('research') }),
    ];
    const { events, alerts } = detect(records);
    expect(events.map((e) => e.kind)).toEqual(['token_issued', 'token_issued', 'tool_call', 'tool_call']);
    expect(alerts).toEqual([]);
  });

  it('a Vault token with a TTL above the agent’s max_token_ttl raises credential.token_ttl_exceeds_max', () => {
    const { alerts } = detect([approleLogin('l-3', '2026-11-02T10:00:00.000Z', { ...invoice, ttl: 86_400 }, header('invoice-bot'))]);
    expect(ids(alerts)).toEqual(['credential.token_ttl_exceeds_max']);
    expect(alerts[0]).toMatchObject({ agent_id: `${AGENTS}invoice-bot` });
    expect(alerts[0]?.title).toContain('valid for 1d, above its maximum of 1h');
  });

  it('a token issued to an unregistered AppRole role raises registry.unregistered_agent', () => {
    const { alerts } = detect([approleLogin('l-4', '2026-11-02T10:00:00.000Z', { name: 'shadow', roleName: 'shadow-bot', ttl: 600 })]);
    expect(ids(alerts)).toEqual(['registry.unregistered_agent']);
    expect(alerts[0]).toMatchObject({ agent_id: `${AGENTS}shadow-bot`, severity: 'high' });
    expect(alerts[0]?.title).toContain('was issued token hmac-sha256:');
  });

  it('a request presenting an accessor issued to another agent raises credential.token_used_by_other_agent', () => {
    const { alerts } = detect([
      approleLogin('l-5', '2026-11-02T10:00:00.000Z', invoice, header('invoice-bot')),
      // research presents invoice-bot's token (its auth block is invoice-bot's), reading invoice-bot's secret.
      call({ id: 'c-3', time: '2026-11-02T10:05:00.000Z', token: invoice, path: 'secret/data/apps/research/notes', headers: header('research') }),
    ]);
    const stolen = alerts.filter((a) => a.rule_id === 'credential.token_used_by_other_agent');
    expect(stolen).toHaveLength(1);
    expect(stolen[0]).toMatchObject({ agent_id: `${AGENTS}research`, severity: 'high' });
    expect(stolen[0]?.evidence.event_ids).toEqual(expect.arrayContaining(['vault:l-5:issued', 'vault:c-3:call']));
    expect(ids(alerts)).toEqual(['credential.token_used_by_other_agent']);
  });

  it('a permission denied request yields a policy_decision deny (and no credential or registry alert)', () => {
    const { events, alerts } = detect([
      approleLogin('l-6', '2026-11-02T10:00:00.000Z', research, header('research')),
      call({
        id: 'c-4',
        type: 'request',
        time: '2026-11-02T10:03:00.000Z',
        token: research,
        path: 'secret/data/finance/q4',
        headers: header('research'),
        error: 'permission denied',
      }),
      call({
        id: 'c-4',
        time: '2026-11-02T10:03:00.002Z',
        token: research,
        path: 'secret/data/finance/q4',
        headers: header('research'),
        error: '1 error occurred:\n\t* permission denied\n\n',
      }),
    ]);
    const denies = byKind(events, 'policy_decision');
    expect(denies).toHaveLength(1);
    expect(denies[0]).toMatchObject({
      event_id: 'vault:c-4:deny',
      agent_id: `${AGENTS}research`,
      decision: 'deny',
      policy: 'vault',
      tool: 'vault.kv.read',
      resource: 'vault://secret/data/finance/q4',
      action: 'read',
    });
    expect(byKind(events, 'tool_call')).toEqual([]);
    expect(alerts).toEqual([]);
  });

  it('a call with a token after its revocation raises credential.token_used_after_revocation', () => {
    // Vault no longer resolves the revoked token: no accessor in `auth`, only the HMAC'd client token.
    const refused = {
      time: '2026-11-02T10:20:00.000Z',
      type: 'response',
      auth: { token_type: 'default' },
      request: {
        id: 'c-6',
        operation: 'read',
        mount_type: 'kv',
        client_token: clientTokenOf('invoice'),
        path: 'secret/data/apps/invoice/erp-key',
        remote_address: '10.20.0.7',
      },
      response: { mount_type: 'kv' },
      error: 'permission denied',
    };
    const { alerts } = detect([
      approleLogin('l-7', '2026-11-02T10:00:00.000Z', invoice, header('invoice-bot')),
      call({
        id: 'c-5',
        time: '2026-11-02T10:10:00.000Z',
        token: invoice,
        operation: 'update',
        mountType: 'token',
        path: 'auth/token/revoke-self',
        headers: header('invoice-bot'),
      }),
      refused,
    ]);
    expect(ids(alerts)).toContain('credential.token_used_after_revocation');
  });

  it('the real sample through the detections: its two token holders are unregistered agents', () => {
    const { all } = runAdapter(createVaultAdapter(), sampleLines());
    const alerts = runEvents({ rules: BUILTIN_RULES, registry: loadRegistryOrThrow(REGISTRY, 'registry.yaml'), events: all.events });
    const unregistered = alerts.filter((a) => a.rule_id === 'registry.unregistered_agent').map((a) => a.agent_id);
    expect([...new Set(unregistered)].sort()).toEqual(['oidc-12349999999999999999', 'token-375f9cb3-4355-42c7-eab5-029f8a310ca7-runner']);
  });
});
