import { createHash } from 'node:crypto';

/**
 * Deterministic incident id (alerts.md 1.1): derived from the incident's first alert (earliest first_seen, then
 * smallest alert_id) only, so replay and live, and every restart, name the same group the same. `inc-` + 128 bits
 * of SHA-256, hex.
 */
export function incidentId(firstAlertId: string): string {
  return `inc-${createHash('sha256').update(`incident\u0000${firstAlertId}`).digest('hex').slice(0, 32)}`;
}
