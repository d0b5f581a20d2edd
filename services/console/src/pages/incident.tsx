// One incident: its risk and why, the timeline of its alerts, its status history and status actions.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { agentPath, alertPath, STATUS_LABELS, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import { useCan } from '../session.ts';
import type { IncidentDetail, IncidentStatus } from '../types.ts';

const ACTIONS: IncidentStatus[] = ['acknowledged', 'resolved', 'false_positive', 'new'];

export function IncidentPage({ id }: { id: string }) {
  const detail = useLoad((signal) => api<IncidentDetail>(`/v1/incidents/${encodeURIComponent(id)}`, { signal }), [id], 10_000);
  useTitle(detail.data?.incident.title ?? 'Incident');
  const canTriage = useCan('triage');
  const [problem, setProblem] = useState<string | null>(null);
  if (detail.error)
    return (
      <section>
        <h1>Incident</h1>
        <p role="alert" class="error">
          {detail.error}
        </p>
      </section>
    );
  if (!detail.data) return <p class="loading">Loading the incident…</p>;
  const { incident: inc, alerts, history } = detail.data;
  const timeline = [...alerts].sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0));
  const setStatus = async (status: IncidentStatus) => {
    try {
      await api(`/v1/incidents/${encodeURIComponent(inc.incident_id)}/status`, { method: 'POST', body: { status } });
      setProblem(null);
      await detail.reload();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <article aria-labelledby="incident-title" data-testid="incident-detail">
      <p class="crumbs">
        <a href="/incidents">Incidents</a>
      </p>
      <h1 id="incident-title">{inc.title}</h1>
      <p class="risk">
        Risk <strong>{inc.risk_score}</strong>/100: {inc.risk_explanation}
      </p>
      <dl class="facts">
        <div>
          <dt>Severity</dt>
          <dd>
            <SeverityBadge severity={inc.severity} />
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={inc.status} />
          </dd>
        </div>
        <div>
          <dt>Agents</dt>
          <dd>
            {inc.agent_ids.map((a, i) => (
              <span key={a}>
                {i > 0 && ', '}
                <a href={agentPath(a)}>{a}</a>
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>Owners</dt>
          <dd>{inc.owners.join(', ') || '—'}</dd>
        </div>
        <div>
          <dt>Categories</dt>
          <dd>{inc.categories.join(', ')}</dd>
        </div>
        <div>
          <dt>Seen</dt>
          <dd>
            {when(inc.first_seen)} to {when(inc.last_seen)}
          </dd>
        </div>
      </dl>
      {canTriage && (
        <div class="buttons">
          {ACTIONS.filter((s) => s !== inc.status).map((s) => (
            <button key={s} type="button" onClick={() => setStatus(s)}>
              {s === 'new' ? 'Reopen incident' : `Mark incident ${STATUS_LABELS[s]?.toLowerCase()}`}
            </button>
          ))}
        </div>
      )}
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <section aria-labelledby="h-inc-timeline">
        <h2 id="h-inc-timeline">Timeline of its {alerts.length} alerts</h2>
        <ol class="timeline" data-testid="incident-timeline">
          {timeline.map((a) => (
            <li key={a.alert_id}>
              <time dateTime={a.first_seen}>{when(a.first_seen)}</time> <SeverityBadge severity={a.severity} /> <a href={alertPath(a.alert_id)}>{a.title}</a>{' '}
              <span class="sub">
                {a.category} · {a.agent_id}
              </span>{' '}
              <StatusBadge status={a.status} />
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="h-inc-history">
        <h2 id="h-inc-history">History</h2>
        {history.length === 0 ? (
          <p>No status changes yet.</p>
        ) : (
          <ol class="history">
            {history.map((h, i) => (
              <li key={`${h.at}-${i}`}>
                <time dateTime={h.at}>{when(h.at)}</time> <strong>{h.actor}</strong>: {STATUS_LABELS[h.from_status] ?? h.from_status} to{' '}
                {STATUS_LABELS[h.status] ?? h.status}
                {h.comment && <>: “{h.comment}”</>}
              </li>
            ))}
          </ol>
        )}
      </section>
    </article>
  );
}
