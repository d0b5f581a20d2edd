import { type Severity, severityRank } from '@agentwatch/schemas';

/** Points for the incident's highest severity: the score an incident of one alert gets. */
export const SEVERITY_POINTS: Record<Severity, number> = { info: 5, low: 15, medium: 35, high: 55, critical: 75 };
/** Points for each category beyond the first: different kinds of findings about the same actors tell a stronger story. */
export const POINTS_PER_EXTRA_CATEGORY = 8;
/** Points per doubling of the number of alerts (8 × log2(n)): more alerts raise the score, with diminishing returns. */
export const POINTS_PER_DOUBLING = 8;

export interface RiskInput {
  /** Severity of each alert. */
  severities: readonly Severity[];
  categoryCount: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface Risk {
  score: number;
  explanation: string;
}

/**
 * The incident's risk score, 0..100, and how it was reached:
 *
 *   score = min(100, SEVERITY_POINTS[max severity] + 8 × (categories − 1) + round(8 × log2(alerts)))
 *
 * with SEVERITY_POINTS info 5, low 15, medium 35, high 55, critical 75. It grows with the number of alerts, their
 * severity and the diversity of their categories, and never with anything else (no clock, no order of arrival).
 * The explanation reads e.g. "3 categories, 1 critical, 8 alerts within 12 minutes: 75 for critical + 16 for
 * 3 categories + 24 for 8 alerts = 100 (capped at 100)".
 */
export function incidentRisk(input: RiskInput): Risk {
  const n = input.severities.length;
  let top: Severity = 'info';
  for (const s of input.severities) if (severityRank(s) > severityRank(top)) top = s;
  const atTop = input.severities.filter((s) => s === top).length;
  const base = SEVERITY_POINTS[top];
  const diversity = POINTS_PER_EXTRA_CATEGORY * Math.max(0, input.categoryCount - 1);
  const volume = n > 0 ? Math.round(POINTS_PER_DOUBLING * Math.log2(n)) : 0;
  const raw = base + diversity + volume;
  const score = Math.min(100, raw);
  const head = `${plural(input.categoryCount, 'category', 'categories')}, ${atTop} ${top}, ${plural(n, 'alert')} ${span(input.lastSeenMs - input.firstSeenMs)}`;
  const terms = [`${base} for ${top}`];
  if (diversity > 0) terms.push(`${diversity} for ${plural(input.categoryCount, 'category', 'categories')}`);
  if (volume > 0) terms.push(`${volume} for ${plural(n, 'alert')}`);
  const total = raw > 100 ? `${raw}, capped at 100` : `${score}`;
  return { score, explanation: `${head}: ${terms.join(' + ')} = ${total}` };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "within 12 minutes", "within 3 hours", "at one moment". */
function span(ms: number): string {
  if (ms <= 0) return 'at one moment';
  if (ms < 60_000) return 'within a minute';
  if (ms < 3_600_000) return `within ${plural(Math.ceil(ms / 60_000), 'minute')}`;
  if (ms < 86_400_000) return `within ${plural(Math.ceil(ms / 3_600_000), 'hour')}`;
  return `within ${plural(Math.ceil(ms / 86_400_000), 'day')}`;
}
