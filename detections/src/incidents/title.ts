import { type Alert, severityRank } from '@agentwatch/schemas';

const MAX_AGENTS_NAMED = 2;
const MAX_FINDINGS_NAMED = 2;

/**
 * One line an analyst reads first: the agents (short names) and the main findings, most severe first, e.g.
 * "invoice-bot and payments-bot: token used by other agent, unauthorized delegate (+2 more findings)".
 * `alerts` in timeline order; `agentIds` sorted.
 */
export function incidentTitle(agentIds: readonly string[], alerts: ReadonlyArray<Pick<Alert, 'rule_id' | 'severity' | 'title'>>): string {
  const names = shortNames(agentIds);
  const shown = names.slice(0, MAX_AGENTS_NAMED);
  const agents = names.length <= MAX_AGENTS_NAMED ? shown.join(' and ') : `${shown.join(', ')} and ${names.length - MAX_AGENTS_NAMED} more agents`;
  // One phrase per rule, the rule's most severe alert deciding its place (ties: the earlier alert).
  const byRule = new Map<string, { phrase: string; rank: number; order: number }>();
  alerts.forEach((a, order) => {
    const rank = severityRank(a.severity);
    const cur = byRule.get(a.rule_id);
    if (!cur || rank > cur.rank) byRule.set(a.rule_id, { phrase: finding(a), rank, order: cur?.order ?? order });
  });
  const findings = [...byRule.values()].sort((x, y) => y.rank - x.rank || x.order - y.order).map((f) => f.phrase);
  const unique = [...new Set(findings)];
  const more = unique.length - MAX_FINDINGS_NAMED;
  return `${agents}: ${unique.slice(0, MAX_FINDINGS_NAMED).join(', ')}${more > 0 ? ` (+${more} more finding${more === 1 ? '' : 's'})` : ''}`;
}

/** What a rule found, in words: the rule id's last part (`credential.token_used_by_other_agent` -> "token used by other agent"), else the alert's title. */
function finding(a: Pick<Alert, 'rule_id' | 'title'>): string {
  const last = a.rule_id.slice(a.rule_id.lastIndexOf('.') + 1);
  if (/^[a-z][a-z0-9_]*_[a-z0-9_]+$/.test(last)) return last.replaceAll('_', ' ');
  return a.title.length > 60 ? `${a.title.slice(0, 59)}…` : a.title;
}

/** The last segment of each id (spiffe://corp/agents/invoice-bot -> invoice-bot); full ids when two would read alike. */
function shortNames(ids: readonly string[]): string[] {
  const short = ids.map((id) => {
    const m = /[^/:]+$/.exec(id);
    return m ? m[0] : id;
  });
  return new Set(short).size === short.length ? short : [...ids];
}
