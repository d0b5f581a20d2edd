// One alert: what happened (title, summary, evidence timeline), declared scope against observed behaviour, the
// baseline chart with the alert's hour marked, the delegation chain, related alerts, history and comments, and
// the triage actions the role allows.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { chainOf, DelegationChain } from '../components/chain.tsx';
import { Chart } from '../components/chart.tsx';
import { Dialog } from '../components/dialog.tsx';
import { matchFromAlert, SuppressForm } from '../components/suppress-form.tsx';
import { EventTimeline } from '../components/timeline.tsx';
import { agentPath, alertPath, globMatch, STATUS_LABELS, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import { useCan } from '../session.ts';
import type { AlertDetail, AlertStatus, Baseline, CanonicalEvent, Comment, RegistryAgent } from '../types.ts';

const STATUS_ACTIONS: AlertStatus[] = ['acknowledged', 'resolved', 'false_positive', 'new'];

export function AlertDetailPage({ id }: { id: string }) {
  const detail = useLoad((signal) => api<AlertDetail>(`/v1/alerts/${encodeURIComponent(id)}`, { signal }), [id]);
  useTitle(detail.data?.alert.title ?? 'Alert');
  if (detail.error)
    return (
      <section>
        <h1>Alert</h1>
        <p role="alert" class="error">
          {detail.error}
        </p>
      </section>
    );
  if (!detail.data) return <p class="loading">Loading the alert…</p>;
  const d = detail.data;
  const a = d.alert;
  return (
    <article aria-labelledby="alert-title" data-testid="alert-detail">
      <p class="crumbs">
        <a href="/alerts">Alert queue</a>
      </p>
      <h1 id="alert-title">{a.title}</h1>
      <p class="summary">{a.summary}</p>
      <dl class="facts">
        <div>
          <dt>Severity</dt>
          <dd>
            <SeverityBadge severity={a.severity} />
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd data-testid="alert-status">
            <StatusBadge status={a.status} />
            {a.suppression_id && <> by suppression {a.suppression_id}</>}
          </dd>
        </div>
        <div>
          <dt>Risk</dt>
          <dd>{a.risk_score}</dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>
            <a href={agentPath(a.agent_id)}>{a.agent_id}</a>
          </dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{a.owner ?? '—'}</dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd>{a.assignee ?? '—'}</dd>
        </div>
        <div>
          <dt>Rule</dt>
          <dd>
            {a.rule_id} v{a.rule_version} ({a.category})
          </dd>
        </div>
        <div>
          <dt>Seen</dt>
          <dd>
            {when(a.first_seen)} to {when(a.last_seen)}, {a.count} time{a.count === 1 ? '' : 's'}
          </dd>
        </div>
        {a.tags.length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd>{a.tags.join(', ')}</dd>
          </div>
        )}
      </dl>
      <TriageActions detail={d} onChanged={detail.reload} />

      <section aria-labelledby="h-evidence">
        <h2 id="h-evidence">Evidence timeline</h2>
        <EventTimeline events={d.events} />
      </section>

      <section aria-labelledby="h-chain">
        <h2 id="h-chain">Delegation chain</h2>
        <DelegationChain links={chainOf(d.chain, d.events, a.agent_id)} />
      </section>

      <section aria-labelledby="h-scope">
        <h2 id="h-scope">Declared scope and observed behaviour</h2>
        <ScopeComparison registry={d.registry} events={d.events} />
      </section>

      <section aria-labelledby="h-baseline">
        <h2 id="h-baseline">Baseline</h2>
        <BaselineChart baseline={d.baseline} />
      </section>

      <section aria-labelledby="h-related">
        <h2 id="h-related">Related alerts of this agent</h2>
        {d.related && d.related.length > 0 ? (
          <ul class="related" data-testid="related-alerts">
            {d.related.map((r) => (
              <li key={r.alert_id}>
                <SeverityBadge severity={r.severity} /> <a href={alertPath(r.alert_id)}>{r.title}</a> <StatusBadge status={r.status} />{' '}
                <time dateTime={r.last_seen}>{when(r.last_seen)}</time>
              </li>
            ))}
          </ul>
        ) : (
          <p>No other alerts of this agent.</p>
        )}
      </section>

      <section aria-labelledby="h-history">
        <h2 id="h-history">History and comments</h2>
        <History detail={d} />
        <CommentForm alertId={a.alert_id} onAdded={detail.reload} />
      </section>
    </article>
  );
}

function TriageActions({ detail, onChanged }: { detail: AlertDetail; onChanged: () => Promise<void> }) {
  const canTriage = useCan('triage');
  const canSuppress = useCan('suppress');
  const [assignee, setAssignee] = useState(detail.alert.assignee ?? '');
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [suppressing, setSuppressing] = useState(false);
  const [notice, setNotice] = useState('');
  if (!canTriage && !canSuppress) return null;
  const a = detail.alert;

  const setStatus = async (status: AlertStatus) => {
    setProblem(null);
    try {
      await api(`/v1/alerts/${encodeURIComponent(a.alert_id)}/status`, { method: 'POST', body: { status, ...(comment ? { comment } : {}) } });
      setComment('');
      setNotice(`Status set to ${STATUS_LABELS[status]}`);
      await onChanged();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  const assign = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    try {
      // Assignment alone (no status change): the bulk route takes an assignee without a status.
      await api('/v1/alerts/bulk', {
        method: 'POST',
        body: { alert_ids: [a.alert_id], assignee: assignee.trim() || null, ...(comment ? { comment } : {}) },
      });
      setNotice(assignee.trim() ? `Assigned to ${assignee.trim()}` : 'Unassigned');
      await onChanged();
    } catch (err) {
      setProblem(errorText(err));
    }
  };

  return (
    <section aria-labelledby="h-actions" class="actions-box">
      <h2 id="h-actions">Actions</h2>
      {canTriage && (
        <>
          <div class="field">
            <label for="status-comment">Comment for the status change (optional)</label>
            <input id="status-comment" value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
          </div>
          <div class="buttons">
            {STATUS_ACTIONS.filter((s) => s !== a.status).map((s) => (
              <button key={s} type="button" onClick={() => setStatus(s)}>
                {s === 'new' ? 'Reopen' : `Mark ${STATUS_LABELS[s]?.toLowerCase()}`}
              </button>
            ))}
          </div>
          <form class="inline" onSubmit={assign}>
            <label for="assignee">Assignee</label>
            <input id="assignee" value={assignee} onInput={(e) => setAssignee((e.target as HTMLInputElement).value)} />
            <button type="submit">Assign</button>
          </form>
        </>
      )}
      {canSuppress && (
        <button type="button" onClick={() => setSuppressing(true)}>
          Suppress alerts like this
        </button>
      )}
      <p role="status" class="notice">
        {notice}
      </p>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      {suppressing && (
        <Dialog title="Suppress alerts like this one" onClose={() => setSuppressing(false)}>
          <SuppressForm
            initial={matchFromAlert(a)}
            onCreated={(s) => {
              setSuppressing(false);
              setNotice(`Suppression ${s.id} created`);
            }}
          />
          <form method="dialog">
            <button type="submit" class="secondary">
              Cancel
            </button>
          </form>
        </Dialog>
      )}
    </section>
  );
}

const SCOPE_ROWS: Array<{ label: string; declared: (r: RegistryAgent) => string[] | undefined; observed: (e: CanonicalEvent) => string[] }> = [
  { label: 'Tools', declared: (r) => r.scope.tools, observed: (e) => str(e, 'tool') },
  { label: 'Resources', declared: (r) => r.scope.resources, observed: (e) => str(e, 'resource') },
  { label: 'Actions', declared: (r) => r.scope.actions, observed: (e) => str(e, 'action') },
  { label: 'Token scopes', declared: (r) => r.scope.token_scopes, observed: (e) => arr(e, 'scopes') },
  { label: 'Environments', declared: (r) => r.scope.environments, observed: (e) => str(e, 'environment') },
];
const str = (e: CanonicalEvent, k: string): string[] => {
  const v = (e as Record<string, unknown>)[k];
  return typeof v === 'string' && v ? [v] : [];
};
const arr = (e: CanonicalEvent, k: string): string[] => {
  const v = (e as Record<string, unknown>)[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
};

function ScopeComparison({ registry, events }: { registry: RegistryAgent | null | undefined; events: CanonicalEvent[] }) {
  if (registry === undefined) return <p>The server did not send the registry entry.</p>;
  return (
    <table class="scope" data-testid="scope-comparison">
      <caption class="visually-hidden">Declared scope in the registry against what the evidence events show</caption>
      <thead>
        <tr>
          <th scope="col">What</th>
          <th scope="col">Declared (registry)</th>
          <th scope="col">Observed (evidence)</th>
        </tr>
      </thead>
      <tbody>
        {registry === null && (
          <tr>
            <td colSpan={3}>This agent is not in the registry: nothing is declared for it.</td>
          </tr>
        )}
        {SCOPE_ROWS.map((row) => {
          const declared = registry ? row.declared(registry) : undefined;
          const observed = [...new Set(events.flatMap(row.observed))];
          return (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td>{declared === undefined ? <span class="muted">not declared</span> : declared.length ? declared.join(', ') : 'none'}</td>
              <td>
                {observed.length === 0 ? (
                  <span class="muted">none in the evidence</span>
                ) : (
                  <ul class="plain">
                    {observed.map((o) => {
                      const outside = declared !== undefined && !declared.some((p) => globMatch(p, o));
                      return (
                        <li key={o} class={outside ? 'outside' : undefined}>
                          {o}
                          {outside && <span class="badge warn"> outside the declared scope</span>}
                        </li>
                      );
                    })}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
        {registry?.scope.max_token_ttl && (
          <tr>
            <th scope="row">Max token TTL</th>
            <td>{registry.scope.max_token_ttl}</td>
            <td>
              {events
                .filter((e) => e.kind === 'token_issued')
                .map((e) => `${(e as { token_id?: string }).token_id}: expires ${when((e as { expires_at?: string }).expires_at)}`)
                .join('; ') || <span class="muted">no token issued in the evidence</span>}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function BaselineChart({ baseline }: { baseline: Baseline | null | undefined }) {
  if (!baseline || !Array.isArray(baseline.hour_of_day_events)) return <p>No baseline figures for this alert.</p>;
  const hour = new Date(baseline.this_hour).getUTCHours();
  const x = baseline.hour_of_day_events.map((_, i) => i);
  // The rule's own figures (what it compared: z-score, threshold, ...) and any other plain figure the server sent.
  const ruleFigures = baseline.rule_figures && typeof baseline.rule_figures === 'object' ? Object.entries(baseline.rule_figures) : [];
  const other = Object.entries(baseline).filter(
    ([k, v]) =>
      !['hour_of_day_events', 'this_hour', 'this_hour_events', 'typical_hourly_events', 'rule_figures', 'active_hours'].includes(k) && typeof v !== 'object',
  );
  const figures = [...ruleFigures.map(([k, v]): [string, unknown] => [k, typeof v === 'object' ? JSON.stringify(v) : v]), ...other];
  // No active hour before the alert's (a new agent, or the first activity after a long pause): a chart of zeros would
  // read as "this agent is normally silent", which nothing says; say there is no history instead.
  const noHistory = baseline.active_hours === 0;
  return (
    <>
      {noHistory ? (
        <p data-testid="baseline-none">
          No activity of this agent is stored before the alert's hour ({when(baseline.this_hour)}), so there is no baseline to compare with: the alert stands on
          the rule's own figures below.
        </p>
      ) : (
        <Chart
          testId="baseline-chart"
          caption="Events per hour of day (UTC), typical for this agent, with the alert's hour marked"
          summary={`${baseline.this_hour_events} events in the alert's hour (${when(baseline.this_hour)}) against ${baseline.typical_hourly_events} typical per hour`}
          markLabel={`Dashed line: ${String(hour).padStart(2, '0')}:00, the alert's hour`}
          x={x}
          series={[
            { label: 'events (typical, by hour of day)', values: baseline.hour_of_day_events, color: '#1f5fa8', bars: true },
            { label: 'typical hourly events', values: x.map(() => baseline.typical_hourly_events), color: '#6b4e00' },
          ]}
          markX={hour}
        />
      )}
      <dl class="facts">
        <div>
          <dt>This hour</dt>
          <dd>
            {baseline.this_hour_events} events ({when(baseline.this_hour)})
          </dd>
        </div>
        {!noHistory && (
          <div>
            <dt>Typical per hour</dt>
            <dd>
              {baseline.typical_hourly_events} (over {baseline.active_hours ?? '?'} active hours before)
            </dd>
          </div>
        )}
        {figures.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{String(v)}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function History({ detail }: { detail: AlertDetail }) {
  type Entry = { at: string | null; key: string; body: preact.ComponentChildren };
  const entries: Entry[] = [
    ...detail.history.map((h, i) => ({
      at: h.at,
      key: `h${i}`,
      body: (
        <>
          <strong>{h.actor}</strong> changed the status from {STATUS_LABELS[h.from_status] ?? h.from_status} to {STATUS_LABELS[h.status] ?? h.status}
          {h.assignee !== undefined && <>, assignee {h.assignee ?? 'nobody'}</>}
          {h.comment && <>: “{h.comment}”</>}
        </>
      ),
    })),
    ...(detail.comments ?? []).map((c: Comment) => ({
      at: c.at,
      key: c.comment_id,
      body: (
        <>
          <strong>{c.actor}</strong> commented: <span class="comment-text">{c.text}</span>
        </>
      ),
    })),
  ].sort((x, y) => ((x.at ?? '') < (y.at ?? '') ? -1 : 1));
  if (entries.length === 0) return <p>No triage yet.</p>;
  return (
    <ol class="history" data-testid="history">
      {entries.map((e) => (
        <li key={e.key}>
          <time dateTime={e.at ?? undefined}>{when(e.at)}</time> {e.body}
        </li>
      ))}
    </ol>
  );
}

function CommentForm({ alertId, onAdded }: { alertId: string; onAdded: () => Promise<void> }) {
  const canComment = useCan('comment');
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  if (!canComment) return null;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return setProblem('Write a comment first.');
    try {
      await api(`/v1/alerts/${encodeURIComponent(alertId)}/comments`, { method: 'POST', body: { text: text.trim() } });
      setText('');
      setProblem(null);
      await onAdded();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <form onSubmit={submit} class="comment-form">
      <label for="comment">Add a comment</label>
      <textarea id="comment" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <button type="submit">Add comment</button>
    </form>
  );
}
