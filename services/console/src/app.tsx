// The shell: sign-in gate, header with the role and sign-out, navigation landmarks, and the page router.
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api, errorText, setUnauthorizedHandler } from './api.ts';
import { AgentPage } from './pages/agent.tsx';
import { AgentsPage } from './pages/agents.tsx';
import { AlertDetailPage } from './pages/alert-detail.tsx';
import { AlertsPage } from './pages/alerts.tsx';
import { IncidentPage } from './pages/incident.tsx';
import { IncidentsPage } from './pages/incidents.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { RegistryPage } from './pages/registry.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { SuppressionsPage } from './pages/suppressions.tsx';
import { TokensPage } from './pages/tokens.tsx';
import { can } from './roles.ts';
import { SessionContext } from './session.ts';
import { clearToken, readToken } from './token-store.ts';
import type { Session } from './types.ts';

export function App() {
  return (
    <LocationProvider>
      <Shell />
    </LocationProvider>
  );
}

function Shell() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => readToken() !== null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
    if (!readToken()) return;
    api<Session>('/v1/session')
      .then(setSession)
      .catch((e) => setError(errorText(e)))
      .finally(() => setChecking(false));
  }, []);

  const signOut = () => {
    clearToken();
    setSession(null);
  };

  if (checking) return <p class="loading">Checking the session…</p>;
  if (!session) return <SignInPage onSignedIn={setSession} error={error} />;
  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header session={session} signOut={signOut} />
      <main id="main" tabIndex={-1}>
        {/* The server answers these paths with index.html (CLIENT_ROUTE in services/api/src/routes/console.ts): keep both in step. */}
        <Router>
          <Route path="/" component={AlertsPage} />
          <Route path="/alerts" component={AlertsPage} />
          <Route path="/alerts/:id" component={AlertDetailPage} />
          <Route path="/incidents" component={IncidentsPage} />
          <Route path="/incidents/:id" component={IncidentPage} />
          <Route path="/agents" component={AgentsPage} />
          <Route path="/agents/:id" component={AgentPage} />
          <Route path="/suppressions" component={SuppressionsPage} />
          <Route path="/registry" component={RegistryPage} />
          <Route path="/tokens" component={TokensPage} />
          <Route default component={NotFoundPage} />
        </Router>
      </main>
    </SessionContext.Provider>
  );
}

const NAV: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: '/alerts', label: 'Alerts' },
  { href: '/incidents', label: 'Incidents' },
  { href: '/agents', label: 'Agents' },
  { href: '/suppressions', label: 'Suppressions' },
  { href: '/registry', label: 'Registry' },
  { href: '/tokens', label: 'Tokens', admin: true },
];

function Header({ session, signOut }: { session: Session; signOut: () => void }) {
  const { path } = useLocation();
  const current = (href: string) => path === href || path.startsWith(`${href}/`) || (href === '/alerts' && path === '/');
  return (
    <header class="top">
      <span class="brand">agentwatch</span>
      <nav aria-label="Main">
        <ul>
          {NAV.filter((n) => !n.admin || can(session.role, 'manageTokens')).map((n) => (
            <li key={n.href}>
              <a href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span>
          Signed in as <strong>{session.name ?? session.actor}</strong>, role{' '}
          <strong class="role" data-testid="role">
            {session.role}
          </strong>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
