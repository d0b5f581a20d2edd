// The inventory: registry entries and unregistered actors seen (GET /v1/agents).
import { api } from '../api.ts';
import { SeverityBadge } from '../components/badges.tsx';
import { agentPath, relative } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import type { AgentView } from '../types.ts';

export function AgentsPage() {
  useTitle('Agents');
  const list = useLoad((signal) => api<{ agents: AgentView[] }>('/v1/agents', { signal }), []);
  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      {!list.data && !list.error && <p class="loading">Loading agents…</p>}
      {list.data && (
        <table aria-label="Agents">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Registered</th>
              <th scope="col">Owner</th>
              <th scope="col">Status</th>
              <th scope="col">Open alerts</th>
              <th scope="col">Worst severity</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {list.data.agents.map((a) => (
              <tr key={a.agent_id}>
                <td>
                  <a href={agentPath(a.agent_id)}>{a.registry?.name ?? a.agent_id}</a>
                  <div class="sub">{a.agent_id}</div>
                </td>
                <td>{a.registered ? 'yes' : <span class="badge warn">not in the registry</span>}</td>
                <td>{a.registry?.owner ?? '—'}</td>
                <td>{a.registry?.status ?? '—'}</td>
                <td>{a.alerts.open}</td>
                <td>{a.alerts.max_severity ? <SeverityBadge severity={a.alerts.max_severity} /> : '—'}</td>
                <td>{relative(a.activity?.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
