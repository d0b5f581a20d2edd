// Sign-in: the token is checked with GET /v1/session and kept in sessionStorage only (never in the URL).
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { useTitle } from '../hooks.ts';
import { keepToken } from '../token-store.ts';
import type { Session } from '../types.ts';

export function SignInPage({ onSignedIn, error }: { onSignedIn: (s: Session) => void; error: string | null }) {
  useTitle('Sign in');
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(error);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setProblem('Enter a token.');
    setBusy(true);
    try {
      const session = await api<Session>('/v1/session', { token: t });
      keepToken(t);
      setToken('');
      onSignedIn(session);
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>agentwatch console</h1>
      <form onSubmit={submit} method="post" action="#">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
          required
        />
        <p id="token-help" class="help">
          A token from <code>agentwatch token create</code>, the tokens page, or AGENTWATCH_BOOTSTRAP_TOKEN. It is kept in this tab only.
        </p>
        {problem && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
