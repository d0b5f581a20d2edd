import { createHash } from 'node:crypto';

/**
 * Deterministic alert id (alerts.md): the same rule, agent, dedup key and dedup window always give the
 * same id, so replays, retries and restarts never duplicate an alert. 128 bits of SHA-256, hex.
 */
export function alertId(ruleId: string, agentId: string, dedupKey: string, windowStartMs: number): string {
  return createHash('sha256')
    .update(`${ruleId}\u0000${agentId}\u0000${dedupKey}\u0000${new Date(windowStartMs).toISOString()}`)
    .digest('hex')
    .slice(0, 32);
}
