import type { CanonicalEvent, PolicyDecisionEvent, TokenIssuedEvent, TokenRevokedEvent, ToolCallEvent } from './event.ts';

/**
 * Rebuilds a validated event with every field of its kind present (absent optional fields are
 * `undefined`) in one fixed order. Events parsed from JSON come in as many object shapes as there are
 * key orders and optional-field combinations; after this every event of a kind has one shape, so the
 * rules' property reads stay monomorphic. JSON.stringify output is unchanged (undefined is skipped).
 */
export function normalizeEvent(e: CanonicalEvent): CanonicalEvent {
  switch (e.kind) {
    case 'tool_call':
      return {
        kind: e.kind,
        event_id: e.event_id,
        time: e.time,
        agent_id: e.agent_id,
        source: e.source,
        environment: e.environment,
        session_id: e.session_id,
        task_id: e.task_id,
        on_behalf_of: e.on_behalf_of,
        delegation_chain: e.delegation_chain,
        source_ip: e.source_ip,
        attributes: e.attributes,
        tool: e.tool,
        action: e.action,
        resource: e.resource,
        outcome: e.outcome,
        token_id: e.token_id,
        bytes_in: e.bytes_in,
        bytes_out: e.bytes_out,
        records: e.records,
        duration_ms: e.duration_ms,
        approval: e.approval,
        context_trust: e.context_trust,
      } satisfies Required<Record<keyof ToolCallEvent, unknown>> as ToolCallEvent;
    case 'token_issued':
      return {
        kind: e.kind,
        event_id: e.event_id,
        time: e.time,
        agent_id: e.agent_id,
        source: e.source,
        environment: e.environment,
        session_id: e.session_id,
        task_id: e.task_id,
        on_behalf_of: e.on_behalf_of,
        delegation_chain: e.delegation_chain,
        source_ip: e.source_ip,
        attributes: e.attributes,
        token_id: e.token_id,
        issuer: e.issuer,
        scopes: e.scopes,
        audience: e.audience,
        expires_at: e.expires_at,
        grant_type: e.grant_type,
        parent_token_id: e.parent_token_id,
      } satisfies Required<Record<keyof TokenIssuedEvent, unknown>> as TokenIssuedEvent;
    case 'token_revoked':
      return {
        kind: e.kind,
        event_id: e.event_id,
        time: e.time,
        agent_id: e.agent_id,
        source: e.source,
        environment: e.environment,
        session_id: e.session_id,
        task_id: e.task_id,
        on_behalf_of: e.on_behalf_of,
        delegation_chain: e.delegation_chain,
        source_ip: e.source_ip,
        attributes: e.attributes,
        token_id: e.token_id,
        reason: e.reason,
      } satisfies Required<Record<keyof TokenRevokedEvent, unknown>> as TokenRevokedEvent;
    case 'policy_decision':
      return {
        kind: e.kind,
        event_id: e.event_id,
        time: e.time,
        agent_id: e.agent_id,
        source: e.source,
        environment: e.environment,
        session_id: e.session_id,
        task_id: e.task_id,
        on_behalf_of: e.on_behalf_of,
        delegation_chain: e.delegation_chain,
        source_ip: e.source_ip,
        attributes: e.attributes,
        decision: e.decision,
        policy: e.policy,
        tool: e.tool,
        resource: e.resource,
        action: e.action,
        token_id: e.token_id,
      } satisfies Required<Record<keyof PolicyDecisionEvent, unknown>> as PolicyDecisionEvent;
  }
}
