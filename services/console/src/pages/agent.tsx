// One agent: registry entry, owner and the owner's status, 30 days of hourly activity, its alerts and the tokens
// seen in its events.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { Chart } from '../components/chart.tsx';
import { alertPath, relative, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import { hourlyWindow } from '../hourly-window.ts';
import type { AgentView, AlertPage, HourlyPoint, Registry, RegistryAgent } from '../types.ts';

/** Tokens listed before "show all". */
const TOKENS_SHOWN = 20;

export function AgentPage({ id }: { id: string }) {
  useTitle(`Agent ${id}`);
  const [allTokens, setAllTokens] = useState(false);
  const agent = useLoad((signal) => api<{ agent: AgentView }>(`/v1/agents/${encodeURIComponent(id)}`, { signal }), [id]);
  const alerts = useLoad((signal) => api<AlertPage>('/v1/alerts', { query: { agent_id: id, limit: 50 }, signal }), [id], 10_000);
  // The owner's status (active or departed) is in the registry's people.
  const registry = useLoad((signal) => api<{ registry: Registry }>('/v1/registry', { signal }).catch(() => null), []);
  if (agent.error)
    return (
      <section>
        <h1>Agent {id}</h1>
        <p role="alert" class="error">
          {agent.error}
        </p>
      </section>
    );
  if (!agent.data) return <p class="loading">Loading the agent…</p>;
  const a = agent.data.agent;
  const r = a.registry;
  const owner = r?.owner;
  const person = owner ? registry.data?.registry.people.find((p) => p.id === owner) : undefined;
  return (
    <article aria-labelledby="agent-title" data-testid="agent-page">
      <h1 id="agent-title">{r?.name ?? a.agent_id}</h1>
      <p class="sub">{a.agent_id}</p>
      {!a.registered && <p class="badge warn">This agent is not in the registry.</p>}
      <dl class="facts">
        <div>
          <dt>Owner</dt>
          <dd>
            {owner ?? '—'}
            {owner && (
              <>
                {' '}
                (
                {person ? (
                  <span class={person.status === 'departed' ? 'badge warn' : undefined}>{person.status}</span>
                ) : registry.data ? (
                  'not listed in people'
                ) : (
                  'status unknown'
                )}
                )
              </>
            )}
          </dd>
        </div>
        {r && (
          <>
            <div>
              <dt>Status</dt>
              <dd>{r.status}</dd>
            </div>
            <div>
              <dt>Team</dt>
              <dd>{r.team ?? '—'}</dd>
            </div>
            <div>
              <dt>Purpose</dt>
              <dd>{r.purpose}</dd>
            </div>
            <div>
              <dt>Registered</dt>
              <dd>{String(r.registered_at)}</dd>
            </div>
            <div>
              <dt>Last reviewed</dt>
              <dd>{r.last_reviewed ? String(r.last_reviewed) : '—'}</dd>
            </div>
          </>
        )}
        <div>
          <dt>Activity</dt>
          <dd>{a.activity ? `${a.activity.events} events, ${when(a.activity.first_seen)} to ${when(a.activity.last_seen)}` : 'none seen'}</dd>
        </div>
      </dl>
      {r && (
        <section aria-labelledby="h-entry">
          <h2 id="h-entry">What the registry lets it touch</h2>
          <DeclaredScope agent={r} />
        </section>
      )}
      <section aria-labelledby="h-activity">
        <h2 id="h-activity">Hourly activity, last 30 days</h2>
        <HourlyChart hourly={a.hourly} />
      </section>
      <section aria-labelledby="h-agent-alerts">
        <h2 id="h-agent-alerts">Alerts</h2>
        {alerts.data && alerts.data.alerts.length === 0 && <p>No alerts.</p>}
        {alerts.data && alerts.data.alerts.length > 0 && (
          <ul class="related">
            {alerts.data.alerts.map((al) => (
              <li key={al.alert_id}>
                <SeverityBadge severity={al.severity} /> <a href={alertPath(al.alert_id)}>{al.title}</a> <StatusBadge status={al.status} />{' '}
                <time dateTime={al.last_seen}>{relative(al.last_seen)}</time>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="h-tokens-seen">
        <h2 id="h-tokens-seen">Tokens seen</h2>
        {!a.tokens ? (
          <p>The server did not send the tokens seen.</p>
        ) : a.tokens.length === 0 ? (
          <p>No tokens seen in this agent's events.</p>
        ) : (
          <table aria-label="Tokens seen">
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Issuer</th>
                <th scope="col">Scopes</th>
                <th scope="col">Events</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {(allTokens ? a.tokens : a.tokens.slice(0, TOKENS_SHOWN)).map((t) => (
                <tr key={t.token_id}>
                  <td>{t.token_id}</td>
                  <td>{t.issuer ?? '—'}</td>
                  <td>{t.scopes?.join(', ') ?? '—'}</td>
                  <td>{t.events}</td>
                  <td>{when(t.first_seen)}</td>
                  <td>{when(t.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {a.tokens && a.tokens.length > TOKENS_SHOWN && (
          <button type="button" class="secondary" onClick={() => setAllTokens(!allTokens)}>
            {allTokens ? `Show the first ${TOKENS_SHOWN}` : `Show all ${a.tokens.length} tokens`}
          </button>
        )}
      </section>
    </article>
  );
}

/** The agent's declared scope as a table an identity reviewer reads (registry.md): one row per kind of grant. */
function DeclaredScope({ agent }: { agent: RegistryAgent }) {
  const s = agent.scope ?? {};
  const rows: Array<[string, readonly string[] | undefined, string]> = [
    ['Tools', s.tools, 'any tool'],
    ['Resources', s.resources, 'any resource'],
    ['Actions', s.actions, 'any action'],
    ['Token scopes', s.token_scopes, 'any scope'],
    ['Environments', s.environments, 'any environment'],
    ['High-consequence tools', agent.high_consequence_tools, 'none declared'],
    ['May delegate to', agent.delegation?.may_delegate_to, 'nobody'],
  ];
  return (
    <table class="scope" data-testid="declared-scope">
      <tbody>
        {rows.map(([label, list, none]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{list === undefined || list.length === 0 ? <span class="muted">{none}</span> : list.map((p) => <code key={p}>{p}</code>)}</td>
          </tr>
        ))}
        <tr>
          <th scope="row">Longest token lifetime</th>
          <td>{s.max_token_ttl ?? <span class="muted">not limited</span>}</td>
        </tr>
        {agent.delegation?.max_depth !== undefined && (
          <tr>
            <th scope="row">Delegation depth</th>
            <td>at most {agent.delegation.max_depth}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function HourlyChart({ hourly }: { hourly: HourlyPoint[] | undefined }) {
  if (!hourly) return <p>The server did not send hourly figures.</p>;
  const w = hourlyWindow(hourly, Date.now());
  const total = w.events.reduce((s, n) => s + n, 0);
  if (total === 0) return <p>No activity in the last 30 days.</p>;
  const peakAt = w.events.indexOf(Math.max(...w.events));
  const series = [{ label: 'events', values: w.events, color: '#1f5fa8' }];
  if (w.denied.some((n) => n > 0)) series.push({ label: 'denied', values: w.denied, color: '#b00020' });
  return (
    <>
      <Chart
        testId="hourly-chart"
        caption={`Events per hour (UTC) over the last 30 days${series.length > 1 ? '; red: denied' : ''}`}
        summary={`${total} events; the busiest hour was ${when(new Date((w.x[peakAt] ?? 0) * 1000).toISOString())} with ${w.events[peakAt]} events`}
        x={w.x}
        series={series}
        time
      />
      {w.outside > 0 && (
        <p class="help">
          {w.outside} event{w.outside === 1 ? '' : 's'} dated outside these 30 days {w.outside === 1 ? 'is' : 'are'} not drawn (see telemetry integrity alerts).
        </p>
      )}
    </>
  );
}
