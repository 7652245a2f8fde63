// The dashboard's shell: header (host, pages, connection, theme), hash routing between pages,
// and the place where the login screen goes when the server asks for one.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { currentSession, hasRole, logout, onSession, resume } from './auth.js';
import { useTick } from './components.jsx';
import { Status } from './live.js';
import { applyTheme, effectiveTheme, load, onSystemThemeChange, save, themes } from './prefs.js';
import { Admin } from './pages/admin.jsx';
import { Containers } from './pages/containers.jsx';
import { Disks } from './pages/disks.jsx';
import { History } from './pages/history.jsx';
import { ForcedPasswordChange, Login } from './pages/login.jsx';
import { Network } from './pages/network.jsx';
import { Overview } from './pages/overview.jsx';
import { Processes } from './pages/processes.jsx';
import { Profile } from './pages/profile.jsx';
import { live, selectHost, startRecording, useConnection, useHost, useHosts, useTopic } from './state.js';

const pages = [
  { path: 'overview', title: 'Overview', component: Overview },
  { path: 'processes', title: 'Processes', component: Processes },
  { path: 'network', title: 'Network', component: Network },
  { path: 'disks', title: 'Disks', component: Disks },
  { path: 'containers', title: 'Containers & services', component: Containers },
  { path: 'history', title: 'History', component: History },
  { path: 'profile', title: 'Account', component: Profile, hidden: true },
  { path: 'admin', title: 'Admin', component: Admin, role: 'admin' },
];

function currentPath() {
  const path = window.location.hash.replace(/^#\/?/, '').split('?')[0];
  return pages.some((p) => p.path === path) ? path : 'overview';
}

function useRoute() {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onHash = () => setPath(currentPath());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return path;
}

function Connection() {
  const state = useConnection();
  useTick(1000);
  let text = 'Live';
  if (state.status === Status.connecting) text = 'Connecting…';
  if (state.status === Status.retrying) {
    const seconds = state.retryAt ? Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000)) : 0;
    text = state.retryAt && seconds > 0 ? `Offline · retry in ${seconds} s` : 'Reconnecting…';
  }
  return (
    <button
      type="button"
      class={`conn conn-${state.status}`}
      data-connection={state.status}
      title={state.error ? `${text}: ${state.error}` : text}
      onClick={() => live.reconnectNow()}
      aria-live="polite"
    >
      <span class="dot" />
      <span class="conn-text">{text}</span>
    </button>
  );
}

const themeLabels = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };
const themeIcons = { system: '◐', light: '☀', dark: '☾' };

function ThemeToggle({ choice, setChoice }) {
  const next = themes[(themes.indexOf(choice) + 1) % themes.length];
  return (
    <button type="button" class="icon theme" data-theme-choice={choice} aria-label={`${themeLabels[choice]}; switch to ${next}`} title={themeLabels[choice]} onClick={() => setChoice(next)}>
      {themeIcons[choice]}
    </button>
  );
}

function UserMenu() {
  const user = currentSession()?.user;
  if (!user) return null;
  return (
    <div class="user-menu">
      <a href="#/profile" class="user" data-field="user" title={`${user.name} (${user.role})`}>
        {user.name}
      </a>
      <button type="button" class="icon" aria-label="Log out" title="Log out" data-action="logout" onClick={() => logout()}>
        ⎋
      </button>
    </div>
  );
}

function useTheme() {
  const [choice, setChoiceState] = useState(() => (themes.includes(load('theme', 'system')) ? load('theme', 'system') : 'system'));
  const [theme, setTheme] = useState(() => effectiveTheme(choice));
  const setChoice = (c) => {
    applyTheme(c); // at once, not after the next render
    setChoiceState(c);
    save('theme', c);
  };
  useEffect(() => {
    applyTheme(choice);
    setTheme(effectiveTheme(choice));
    return onSystemThemeChange(() => {
      applyTheme(choice);
      setTheme(effectiveTheme(choice));
    });
  }, [choice]);
  return [choice, setChoice, theme];
}

// Which host the pages show: only when the daemon serves more than one.
function HostSwitcher() {
  const hosts = useHosts();
  const selected = useHost();
  if (hosts.length < 2) return null;
  return (
    <label class="host-switcher">
      <span class="visually-hidden">Host</span>
      <select data-field="host-switcher" value={selected} onChange={(e) => selectHost(e.currentTarget.value)}>
        {hosts.map((h) => (
          <option key={h.id} value={h.id}>
            {h.display_name && h.display_name !== h.id ? `${h.id} (${h.display_name})` : h.id}
            {h.state !== 'up' ? ` · ${h.state}` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

function Dashboard({ choice, setChoice, theme }) {
  const path = useRoute();
  const host = useTopic('host');
  useEffect(() => {
    document.title = host ? `${host.data.hostname} · Hyperion` : 'Hyperion';
  }, [host]);
  const visible = pages.filter((p) => !p.role || hasRole(p.role));
  const page = visible.find((p) => p.path === path) || visible[0];
  const Page = page.component;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/overview">
          <span class="logo" aria-hidden="true" />
          <span class="brand-name">Hyperion</span>
          {host && <span class="host" data-field="host">{host.data.hostname}</span>}
        </a>
        <HostSwitcher />
        <nav class="tabs" aria-label="Pages">
          {visible
            .filter((p) => !p.hidden)
            .map((p) => (
              <a key={p.path} href={`#/${p.path}`} class={p.path === page.path ? 'active' : ''} aria-current={p.path === page.path ? 'page' : undefined}>
                {p.title}
              </a>
            ))}
        </nav>
        <div class="top-right">
          <Connection />
          <ThemeToggle choice={choice} setChoice={setChoice} />
          <UserMenu />
        </div>
      </header>
      <main>
        <Page theme={theme} />
      </main>
    </>
  );
}

// Until the session is known: checking, then the login screen, the forced password change, or
// the dashboard. Live data starts only with a session and stops with it.
function App() {
  const [choice, setChoice, theme] = useTheme();
  const [state, setState] = useState('checking');
  const decide = (session) => {
    if (!session) return 'login';
    return session.user?.must_change_password ? 'change-password' : 'ready';
  };
  useEffect(() => {
    resume().finally(() => setState(decide(currentSession())));
    return onSession((session) => setState((s) => (s === 'checking' ? s : decide(session))));
  }, []);
  useEffect(() => {
    if (state === 'ready') {
      startRecording();
      live.start();
    } else if (state === 'login') {
      live.stop();
    }
  }, [state]);
  useEffect(() => onSession((s) => s?.accessToken && live.renew(s.accessToken)), []);
  if (state === 'checking') return <div class="login-wrap muted">Loading…</div>;
  if (state === 'login') return <Login onDone={() => setState(decide(currentSession()))} />;
  if (state === 'change-password') return <ForcedPasswordChange onDone={() => setState(decide(currentSession()))} />;
  return <Dashboard choice={choice} setChoice={setChoice} theme={theme} />;
}

applyTheme(load('theme', 'system'));
render(<App />, document.getElementById('app'));
