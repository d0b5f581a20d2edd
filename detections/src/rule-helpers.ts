import type { CanonicalEvent } from '@agentwatch/schemas';
import { isWarm } from './baseline/agent-baseline.ts';
import type { RuleContext } from './engine/types.ts';

/** A short phrase for what an event was, for titles: `called erp.invoice.read`, `was issued token t1`. */
export function actionPhrase(e: CanonicalEvent): string {
  switch (e.kind) {
    case 'tool_call':
      return `called ${e.tool}`;
    case 'token_issued':
      return `was issued token ${e.token_id}`;
    case 'token_revoked':
      return `had token ${e.token_id} revoked`;
    case 'policy_decision':
      return `requested ${e.tool ?? 'an action'} (policy ${e.decision})`;
  }
}

/** The token id an event used, if any (tool calls and policy decisions carry one optionally). */
export const usedTokenId = (e: CanonicalEvent): string | undefined => (e.kind === 'tool_call' || e.kind === 'policy_decision' ? e.token_id : undefined);

/** The agents in a delegation chain, in order: every element that is not a person (registry.md). */
export function chainAgents(chain: readonly string[], isPerson: (el: string) => boolean): string[] {
  return chain.filter((el) => !isPerson(el));
}

/** Whether the system receiving a credential accepted the request (a successful call or an allow decision). */
export const wasAccepted = (e: CanonicalEvent): boolean =>
  (e.kind === 'tool_call' && e.outcome === 'success') || (e.kind === 'policy_decision' && e.decision === 'allow');

/** Whether the acting agent's baseline has finished learning (config `learning_period`, `learning_min_active_days`). */
export function baselineWarm(ctx: RuleContext<unknown>): boolean {
  return isWarm(ctx.baseline, ctx.nowMs, ctx.limits.learningPeriodMs, ctx.config.learning_min_active_days);
}

/** Baseline facts every behaviour alert carries, so the analyst sees what "normal" was. */
export function baselineEvidence(ctx: RuleContext<unknown>): Record<string, unknown> {
  const b = ctx.baseline;
  return {
    baseline_since: new Date(b.firstSeenMs).toISOString(),
    baseline_active_days: b.activeDays,
    baseline_events: b.totalEvents,
  };
}
