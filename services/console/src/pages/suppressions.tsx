// Suppressions: what each matches, why, who, hits and last hit, expiry; engineers create and delete them.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { SuppressForm } from '../components/suppress-form.tsx';
import { relative, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import { useCan } from '../session.ts';
import type { Suppression } from '../types.ts';

export function SuppressionsPage() {
  useTitle('Suppressions');
  const canEdit = useCan('suppress');
  const [includeExpired, setIncludeExpired] = useState(false);
  const list = useLoad(
    (signal) => api<{ suppressions: Suppression[] }>('/v1/suppressions', { query: { include_expired: includeExpired || undefined }, signal }),
    [includeExpired],
    10_000,
  );
  const [notice, setNotice] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const remove = async (s: Suppression) => {
    if (!confirm(`Delete suppression ${s.id}? Matching alerts will be raised again.`)) return;
    try {
      await api(`/v1/suppressions/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
      setNotice(`Suppression ${s.id} deleted`);
      await list.reload();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <section aria-labelledby="sup-title">
      <h1 id="sup-title">Suppressions</h1>
      <label class="check">
        <input type="checkbox" checked={includeExpired} onChange={() => setIncludeExpired(!includeExpired)} /> Include expired and deleted
      </label>
      <p role="status" class="notice">
        {notice}
      </p>
      {(problem || list.error) && (
        <p role="alert" class="error">
          {problem ?? list.error}
        </p>
      )}
      {!list.data && !list.error && <p class="loading">Loading suppressions…</p>}
      {list.data && list.data.suppressions.length === 0 && <p>No suppressions.</p>}
      {list.data && list.data.suppressions.length > 0 && (
        <table aria-label="Suppressions" data-testid="suppressions">
          <thead>
            <tr>
              <th scope="col">Match</th>
              <th scope="col">Reason</th>
              <th scope="col">Author</th>
              <th scope="col">Hits</th>
              <th scope="col">Last hit</th>
              <th scope="col">Expires</th>
              {canEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.suppressions.map((s) => (
              <tr key={s.id} class={s.expired || s.deleted_at ? 'muted' : undefined}>
                <td>
                  <ul class="plain">
                    {Object.entries(s.match).map(([k, v]) => (
                      <li key={k}>
                        {k}: <code>{String(v)}</code>
                      </li>
                    ))}
                  </ul>
                  <div class="sub">{s.id}</div>
                </td>
                <td>{s.reason}</td>
                <td>{s.author}</td>
                <td data-testid="hits">{s.hits}</td>
                <td>{s.last_hit ? <time dateTime={s.last_hit}>{relative(s.last_hit)}</time> : 'never'}</td>
                <td>
                  <time dateTime={s.expires_at} title={when(s.expires_at)}>
                    {s.deleted_at ? `deleted ${relative(s.deleted_at)}` : s.expired ? `expired ${relative(s.expires_at)}` : relative(s.expires_at)}
                  </time>
                </td>
                {canEdit && (
                  <td>
                    {!s.deleted_at && (
                      <button type="button" onClick={() => remove(s)} aria-label={`Delete suppression ${s.id}`}>
                        Delete
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit && (
        <section aria-labelledby="h-new-sup">
          <h2 id="h-new-sup">New suppression</h2>
          <SuppressForm
            idPrefix="new-sup"
            onCreated={(s) => {
              setNotice(`Suppression ${s.id} created`);
              void list.reload();
            }}
          />
        </section>
      )}
    </section>
  );
}
