// Create a suppression (POST /v1/suppressions, engineer): match fields, a required reason and an expiry. Prefilled
// from an alert when opened from the queue or the alert page.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { CATEGORY_OPTIONS } from '../queue-query.ts';
import type { Alert, Suppression, SuppressionMatch } from '../types.ts';

const EXPIRY_DAYS = [1, 7, 30] as const;
const MATCH_FIELDS = ['rule_id', 'agent_id', 'tool', 'resource'] as const;

/** The match a suppression for this alert starts from: its rule and agent, and the tool/resource its evidence names. */
export function matchFromAlert(alert: Alert): SuppressionMatch {
  const ev = alert.evidence as Record<string, unknown>;
  const m: SuppressionMatch = { rule_id: alert.rule_id, agent_id: alert.agent_id };
  if (typeof ev['tool'] === 'string') m.tool = ev['tool'];
  if (typeof ev['resource'] === 'string') m.resource = ev['resource'];
  return m;
}

export function SuppressForm({ initial, onCreated, idPrefix = 'sup' }: { initial?: SuppressionMatch; onCreated: (s: Suppression) => void; idPrefix?: string }) {
  const [match, setMatch] = useState<SuppressionMatch>(initial ?? {});
  const [reason, setReason] = useState('');
  const [days, setDays] = useState<number>(7);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const m: SuppressionMatch = {};
    for (const k of MATCH_FIELDS) {
      const v = match[k]?.trim();
      if (v) m[k] = v;
    }
    if (match.category) m.category = match.category;
    if (Object.keys(m).length === 0) return setProblem('Fill in at least one match field.');
    if (!reason.trim()) return setProblem('A reason is required.');
    setBusy(true);
    try {
      const expires_at = new Date(Date.now() + days * 86_400_000).toISOString();
      const r = await api<{ suppression: Suppression }>('/v1/suppressions', { method: 'POST', body: { match: m, reason: reason.trim(), expires_at } });
      onCreated(r.suppression);
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const field = (k: (typeof MATCH_FIELDS)[number], label: string, help: string) => (
    <div class="field">
      <label for={`${idPrefix}-${k}`}>{label}</label>
      <input
        id={`${idPrefix}-${k}`}
        name={k}
        value={match[k] ?? ''}
        onInput={(e) => setMatch({ ...match, [k]: (e.target as HTMLInputElement).value })}
        aria-describedby={`${idPrefix}-${k}-help`}
      />
      <small id={`${idPrefix}-${k}-help`}>{help}</small>
    </div>
  );

  return (
    <form class="suppress-form" onSubmit={submit} data-testid="suppress-form">
      <fieldset>
        <legend>Match (every filled field must match)</legend>
        {field('rule_id', 'Rule id', 'exact rule id')}
        {field('agent_id', 'Agent id', 'glob: * matches any run of characters')}
        {field('tool', 'Tool', 'glob')}
        {field('resource', 'Resource', 'glob')}
        <div class="field">
          <label for={`${idPrefix}-category`}>Category</label>
          <select
            id={`${idPrefix}-category`}
            value={match.category ?? ''}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value as SuppressionMatch['category'];
              const { category: _drop, ...rest } = match;
              setMatch(v ? { ...rest, category: v } : rest);
            }}
          >
            <option value="">any</option>
            {CATEGORY_OPTIONS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <div class="field">
        <label for={`${idPrefix}-reason`}>Reason (required)</label>
        <textarea
          id={`${idPrefix}-reason`}
          name="reason"
          required
          rows={2}
          value={reason}
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
        />
      </div>
      <div class="field">
        <label for={`${idPrefix}-expiry`}>Expires after</label>
        <select id={`${idPrefix}-expiry`} value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          {EXPIRY_DAYS.map((d) => (
            <option key={d} value={String(d)}>
              {d} day{d === 1 ? '' : 's'}
            </option>
          ))}
        </select>
      </div>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Create suppression
      </button>
    </form>
  );
}
