// The dashboard's shell: header (host, pages, connection, theme), hash routing between pages,
// and the place where the login screen goes when the server asks for one.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { onLoginRequired } from './auth.js';
import { useTick } from './components.jsx';
import { Status } from './live.js';
import { applyTheme, effectiveTheme, load, onSystemThemeChange, save, themes } from './prefs.js';
import { Disks } from './pages/disks.jsx';
import { Network } from './pages/network.jsx';
import { Overview } from './pages/overview.jsx';
import { Processes } from './pages/processes.jsx';
import { live, startRecording, useConnection, useTopic } from './state.js';

const pages = [
  { path: 'overview', title: 'Overview', component: Overview },
  { path: 'processes', title: 'Processes', component: Processes },
  { path: 'network', title: 'Network', component: Network },
  { path: 'disks', title: 'Disks', component: Disks },
];

function currentPath() {
  const path = window.location.hash.replace(/^#\/?/, '');
  return pages.some((p) => p.path === path) || path === 'login' ? path : 'overview';
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

function Login() {
  return (
    <div class="page login">
      <h1>Sign in</h1>
      <p class="muted">This server asked for credentials. Sign-in arrives with user accounts; until then hyperiond serves loopback only, without login.</p>
    </div>
  );
}

function App() {
  const path = useRoute();
  const host = useTopic('host');
  const [choice, setChoiceState] = useState(() => (themes.includes(load('theme', 'system')) ? load('theme', 'system') : 'system'));
  const [theme, setTheme] = useState(() => effectiveTheme(choice));
  const setChoice = (c) => {
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
  useEffect(() => onLoginRequired(() => (window.location.hash = '#/login')), []);
  useEffect(() => {
    document.title = host ? `${host.data.hostname} · Hyperion` : 'Hyperion';
  }, [host]);

  const page = pages.find((p) => p.path === path);
  const Page = page ? page.component : Login;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/overview">
          <span class="logo" aria-hidden="true" />
          <span class="brand-name">Hyperion</span>
          {host && <span class="host" data-field="host">{host.data.hostname}</span>}
        </a>
        <nav class="tabs" aria-label="Pages">
          {pages.map((p) => (
            <a key={p.path} href={`#/${p.path}`} class={p.path === path ? 'active' : ''} aria-current={p.path === path ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <div class="top-right">
          <Connection />
          <ThemeToggle choice={choice} setChoice={setChoice} />
        </div>
      </header>
      <main>
        <Page theme={theme} />
      </main>
    </>
  );
}

applyTheme(load('theme', 'system'));
startRecording();
live.start();
render(<App />, document.getElementById('app'));
