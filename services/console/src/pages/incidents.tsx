// Incidents (alerts grouped per agent and joined agents), riskiest or newest first, live.
import { useLocation } from 'preact-iso';
import { api } from '../api.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { incidentPath, relative, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import type { Incident } from '../types.ts';

export function IncidentsPage() {
  useTitle('Incidents');
  const { query, route } = useLocation();
  const sort = query['sort'] === '-risk_score' ? '-risk_score' : '-last_seen';
  const open = query['all'] !== '1';
  const list = useLoad(
    (signal) =>
      api<{ incidents: Incident[]; next_cursor: string | null }>('/v1/incidents', {
        query: { sort, status: open ? ['new', 'acknowledged'] : undefined, limit: 100 },
        signal,
      }),
    [sort, open],
    10_000,
  );
  const go = (s: string, o: boolean) => route(`/incidents?sort=${s}${o ? '' : '&all=1'}`);
  return (
    <section aria-labelledby="inc-title">
      <h1 id="inc-title">Incidents</h1>
      <form class="filters" aria-label="Incident view" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="inc-sort">Sort</label>
          <select id="inc-sort" value={sort} onChange={(e) => go((e.target as HTMLSelectElement).value, open)}>
            <option value="-last_seen">Newest activity first</option>
            <option value="-risk_score">Highest risk first</option>
          </select>
        </div>
        <label class="check">
          <input type="checkbox" checked={!open} onChange={() => go(sort, !open)} /> Include resolved and false positives
        </label>
      </form>
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      {!list.data && !list.error && <p class="loading">Loading incidents…</p>}
      {list.data && list.data.incidents.length === 0 && <p>No incidents.</p>}
      {list.data && list.data.incidents.length > 0 && (
        <table aria-label="Incidents" data-testid="incidents">
          <thead>
            <tr>
              <th scope="col">Risk</th>
              <th scope="col">Incident</th>
              <th scope="col">Severity</th>
              <th scope="col">Alerts</th>
              <th scope="col">Agents</th>
              <th scope="col">Status</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {list.data.incidents.map((i) => (
              <tr key={i.incident_id}>
                <td>{i.risk_score}</td>
                <td>
                  <a href={incidentPath(i.incident_id)}>{i.title}</a>
                  <div class="sub">{i.risk_explanation}</div>
                </td>
                <td>
                  <SeverityBadge severity={i.severity} />
                </td>
                <td>{i.alert_count}</td>
                <td>{i.agent_ids.join(', ')}</td>
                <td>
                  <StatusBadge status={i.status} />
                </td>
                <td>
                  <time dateTime={i.last_seen} title={when(i.last_seen)}>
                    {relative(i.last_seen)}
                  </time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
