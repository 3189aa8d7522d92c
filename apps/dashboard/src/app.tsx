import { lazy, Suspense, useEffect, useState, type FormEvent } from 'react';
import { api, getToken, setToken, type Whoami } from './api';
import { ErrorNotice } from './components';
import { Link, useRoute } from './router';
import { RunsPage } from './pages/runs';
import { ApprovalsPage } from './pages/approvals';
import { AgentsPage } from './pages/agents';
import { DefinitionsPage } from './pages/definitions';
import { WebhooksPage } from './pages/webhooks';
import { SystemPage } from './pages/system';

// The run and definition pages carry the graph library: loaded when first opened.
const RunPage = lazy(() => import('./pages/run'));
const DefinitionPage = lazy(() => import('./pages/definition'));

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = localStorage.getItem('baton.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [token, setTokenState] = useState(getToken());
  const [me, setMe] = useState<Whoami | null>(null);
  const [theme, setTheme] = useState<Theme>(initialTheme);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('baton.theme', theme);
  }, [theme]);

  useEffect(() => {
    const onAuth = () => setTokenState(getToken());
    const onUnauthorized = () => setToken(null);
    window.addEventListener('baton:auth', onAuth);
    window.addEventListener('baton:unauthorized', onUnauthorized);
    return () => {
      window.removeEventListener('baton:auth', onAuth);
      window.removeEventListener('baton:unauthorized', onUnauthorized);
    };
  }, []);

  useEffect(() => {
    if (token === null) return setMe(null);
    api<Whoami>('GET', '/api/v1/whoami').then(setMe, () => setMe(null));
  }, [token]);

  const toggleTheme = () => setTheme(theme === 'dark' ? 'light' : 'dark');
  if (token === null) return <SignIn theme={theme} onToggleTheme={toggleTheme} />;

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/runs" className="brand">
          Baton
        </Link>
        <Nav />
        <div className="who">
          <span className="muted" data-testid="whoami">
            {me ? (me.anonymous ? 'auth off' : `${me.name} · ${me.role}`) : ''}
          </span>
          <button type="button" className="link" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <button type="button" className="link" onClick={() => setToken(null)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page />
        </Suspense>
      </main>
    </div>
  );
}

const SECTIONS: Array<[string, string]> = [
  ['runs', 'Runs'],
  ['approvals', 'Approvals'],
  ['definitions', 'Definitions'],
  ['agents', 'Agents'],
  ['webhooks', 'Webhooks'],
  ['system', 'System'],
];

function Nav() {
  const { segments } = useRoute();
  const current = segments[0] ?? 'runs';
  return (
    <nav className="sections" aria-label="Sections">
      {SECTIONS.map(([key, label]) => (
        <Link key={key} to={`/${key}`} aria-current={current === key ? 'page' : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}

function Page() {
  const { segments } = useRoute();
  const [section = 'runs', id] = segments;
  useEffect(() => {
    const title = SECTIONS.find(([key]) => key === section)?.[1] ?? 'Not found';
    document.title = id ? `${title}: ${id} · Baton` : `${title} · Baton`;
  }, [section, id]);
  switch (section) {
    case 'runs':
      return id ? <RunPage key={id} runId={id} /> : <RunsPage />;
    case 'approvals':
      return <ApprovalsPage focusId={id} />;
    case 'definitions':
      return id ? <DefinitionPage key={id} name={id} /> : <DefinitionsPage />;
    case 'agents':
      return <AgentsPage focusName={id} />;
    case 'webhooks':
      return <WebhooksPage webhookId={id} />;
    case 'system':
      return <SystemPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No page here. <Link to="/runs">See the runs</Link>.
          </p>
        </section>
      );
  }
}

function SignIn({ theme, onToggleTheme }: { theme: Theme; onToggleTheme: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const signIn = async (candidate: string) => {
    setBusy(true);
    setError(null);
    try {
      const me = await api<Whoami>('GET', '/api/v1/whoami', undefined, candidate);
      if (candidate === '' && !me.anonymous) throw new Error('this server needs a token');
      setToken(candidate);
    } catch (caught) {
      setError(
        caught instanceof Error && 'status' in caught && (caught as { status: number }).status === 401
          ? new Error(candidate ? 'That token is unknown or revoked.' : 'This server needs a token.')
          : caught,
      );
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn(value.trim());
  };
  return (
    <main className="signin" id="main">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Baton</h1>
        <p className="muted">Sign in with an API token. It is kept in this tab only, until you close it.</p>
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        <ErrorNotice error={error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || value.trim() === ''}>
            Sign in
          </button>
          <button type="button" className="link" disabled={busy} onClick={() => void signIn('')}>
            Continue without a token (auth off)
          </button>
          <button type="button" className="link" onClick={onToggleTheme}>
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
        </div>
      </form>
    </main>
  );
}
