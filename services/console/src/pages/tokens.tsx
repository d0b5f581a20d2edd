// API tokens (admin): list without secrets, create with role, name and optional expiry (the secret is shown once,
// here), revoke.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import { ROLES } from '../roles.ts';
import { useCan } from '../session.ts';
import type { CreatedToken, Role, TokenInfo } from '../types.ts';

export function TokensPage() {
  useTitle('Tokens');
  const isAdmin = useCan('manageTokens');
  if (!isAdmin)
    return (
      <section>
        <h1>Tokens</h1>
        <p>Only admins manage tokens.</p>
      </section>
    );
  return <TokensAdmin />;
}

function TokensAdmin() {
  const list = useLoad((signal) => api<{ tokens: TokenInfo[] }>('/v1/tokens', { signal }), []);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const revoke = async (t: TokenInfo) => {
    if (!confirm(`Revoke token ${t.name} (${t.token_id})? Clients using it are refused at once.`)) return;
    try {
      await api(`/v1/tokens/${encodeURIComponent(t.token_id)}`, { method: 'DELETE' });
      setNotice(`Token ${t.name} revoked`);
      await list.reload();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <section aria-labelledby="tok-title">
      <h1 id="tok-title">Tokens</h1>
      <CreateToken
        onCreated={(t) => {
          setCreated(t);
          void list.reload();
        }}
      />
      {created && (
        <div class="secret" role="status" data-testid="new-token">
          <p>
            Token <strong>{created.name}</strong> ({created.role}) created. Copy the secret now: it is not shown again.
          </p>
          <label for="secret">Secret</label>
          <input id="secret" readOnly value={created.token} data-testid="new-token-secret" onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created.token)}>
            Copy
          </button>
          <button type="button" class="secondary" onClick={() => setCreated(null)}>
            Done, hide it
          </button>
        </div>
      )}
      <p role="status" class="notice">
        {notice}
      </p>
      {(problem || list.error) && (
        <p role="alert" class="error">
          {problem ?? list.error}
        </p>
      )}
      {list.data && (
        <table aria-label="Tokens" data-testid="tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Id</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Revoked</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.tokens.map((t) => (
              <tr key={t.token_id} class={t.revoked_at ? 'muted' : undefined}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td>
                  <code>{t.token_id}</code>
                </td>
                <td>
                  {when(t.created_at)} by {t.created_by}
                </td>
                <td>{t.expires_at ? when(t.expires_at) : 'never'}</td>
                <td>{t.revoked_at ? when(t.revoked_at) : '—'}</td>
                <td>
                  {!t.revoked_at && (
                    <button type="button" onClick={() => revoke(t)} aria-label={`Revoke token ${t.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [days, setDays] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    if (!name.trim()) return setProblem('A name is required.');
    try {
      const expires_at = days ? new Date(Date.now() + Number(days) * 86_400_000).toISOString() : undefined;
      const t = await api<CreatedToken>('/v1/tokens', { method: 'POST', body: { role, name: name.trim(), ...(expires_at ? { expires_at } : {}) } });
      setName('');
      onCreated(t);
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <form class="filters" onSubmit={submit} aria-labelledby="h-new-token">
      <h2 id="h-new-token">New token</h2>
      <div class="field">
        <label for="tok-name">Name</label>
        <input id="tok-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
      </div>
      <div class="field">
        <label for="tok-role">Role</label>
        <select id="tok-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="tok-expiry">Expires</label>
        <select id="tok-expiry" value={days} onChange={(e) => setDays((e.target as HTMLSelectElement).value)}>
          <option value="">never</option>
          <option value="1">in 1 day</option>
          <option value="30">in 30 days</option>
          <option value="90">in 90 days</option>
          <option value="365">in 1 year</option>
        </select>
      </div>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit">Create token</button>
      </div>
    </form>
  );
}
