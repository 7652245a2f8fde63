// Preferences kept in localStorage: the theme and the overview's layout. Storage can be
// missing or full (private windows, quotas): then the page still works, unremembered.

const prefix = 'hyperion.';

export function load(key, fallback) {
  try {
    const raw = window.localStorage.getItem(prefix + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function save(key, value) {
  try {
    window.localStorage.setItem(prefix + key, JSON.stringify(value));
  } catch {
    // not remembered; nothing else to do
  }
}

// --- theme: 'system' follows prefers-color-scheme; 'light' and 'dark' override it.

export const themes = ['system', 'light', 'dark'];

const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');

export function effectiveTheme(choice) {
  if (choice === 'light' || choice === 'dark') return choice;
  return darkQuery().matches ? 'dark' : 'light';
}

export function applyTheme(choice) {
  document.documentElement.dataset.theme = effectiveTheme(choice);
}

export function onSystemThemeChange(fn) {
  const q = darkQuery();
  q.addEventListener('change', fn);
  return () => q.removeEventListener('change', fn);
}

// --- overview layout: the widgets in order, each shown or hidden.

export function normaliseLayout(saved, widgets) {
  const known = new Set(widgets.map((w) => w.id));
  const out = [];
  const seen = new Set();
  if (Array.isArray(saved)) {
    for (const item of saved) {
      if (item && known.has(item.id) && !seen.has(item.id)) {
        out.push({ id: item.id, visible: item.visible !== false });
        seen.add(item.id);
      }
    }
  }
  // widgets added since the layout was saved come at the end, shown
  for (const w of widgets) if (!seen.has(w.id)) out.push({ id: w.id, visible: true });
  return out;
}
