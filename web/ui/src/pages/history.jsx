// History: any metric the daemon recorded, over a range (presets, custom, or dragged on the
// chart), with min–max bands; a click on the chart lists the processes recorded at that time.
// The view lives in the URL (#/history?m=...&from=...&to=...), so it can be shared.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { HistoryChart } from '../history_chart.jsx';
import { Card, Empty, Waiting } from '../components.jsx';
import { bytes, number, rate } from '../format.js';
import { api } from '../auth.js';
import { fetchHistory, useHost } from '../state.js';

const presets = [
  ['15m', '15 min'],
  ['1h', '1 h'],
  ['6h', '6 h'],
  ['24h', '24 h'],
  ['7d', '7 d'],
  ['30d', '30 d'],
];

const defaults = ['cpu.percent{cpu="all",mode="busy"}', 'memory.used_bytes', 'system.load1'];

const formats = {
  percent: (v) => (v == null ? '–' : `${v.toFixed(v >= 10 ? 0 : 1)} %`),
  bytes: (v) => bytes(v),
  bytes_per_second: (v) => rate(v),
  per_second: (v) => (v == null ? '–' : `${number(v, v >= 100 ? 0 : 1)}/s`),
  celsius: (v) => (v == null ? '–' : `${v.toFixed(1)} °C`),
  milliseconds: (v) => (v == null ? '–' : `${v.toFixed(v >= 10 ? 0 : 2)} ms`),
};
const formatOf = (unit) => formats[unit] || ((v) => (v == null ? '–' : number(v, Math.abs(v) < 10 ? 2 : 0)));

// The view in the hash: #/history?m=SEL&m=SEL&from=-6h&to=now
function readView() {
  const q = new URLSearchParams(window.location.hash.split('?')[1] || '');
  const metrics = q.getAll('m');
  return { metrics: metrics.length ? metrics : defaults, from: q.get('from') || '-1h', to: q.get('to') || 'now' };
}

function writeView(view) {
  const q = new URLSearchParams();
  for (const m of view.metrics) q.append('m', m);
  q.set('from', view.from);
  q.set('to', view.to);
  const hash = `#/history?${q}`;
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
}

const toInput = (ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
};
const resolve = (spec) => {
  if (spec === 'now') return Date.now();
  const m = /^-(\d+)(s|m|h|d|w)$/.exec(spec);
  if (m) return Date.now() - Number(m[1]) * { s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 }[m[2]];
  const n = Number(spec);
  return Number.isFinite(n) ? n : Date.parse(spec);
};

function labelOf(s) {
  const l = Object.entries(s.labels || {})
    .filter(([k]) => k !== 'id')
    .map(([, v]) => v)
    .join(' ');
  return l ? `${s.metric} ${l}` : s.metric;
}

function MetricPicker({ catalog, onAdd }) {
  const [metric, setMetric] = useState('');
  const [key, setKey] = useState('');
  const names = useMemo(() => [...new Set(catalog.map((s) => s.metric))].sort(), [catalog]);
  const keys = catalog.filter((s) => s.metric === metric);
  return (
    <div class="toolbar" data-field="metric-picker">
      <label>
        <span class="visually-hidden">Metric</span>
        <select data-field="metric" value={metric} onChange={(e) => { setMetric(e.currentTarget.value); setKey(''); }}>
          <option value="">Add a metric…</option>
          {names.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      {metric && keys.length > 1 && (
        <label>
          <span class="visually-hidden">Series</span>
          <select data-field="series" value={key} onChange={(e) => setKey(e.currentTarget.value)}>
            <option value="">every series ({keys.length})</option>
            {keys.map((s) => <option key={s.key} value={s.key}>{labelOf(s)}</option>)}
          </select>
        </label>
      )}
      <button type="button" data-action="add-metric" disabled={!metric} onClick={() => { onAdd(key || metric); setMetric(''); setKey(''); }}>
        Add
      </button>
    </div>
  );
}

function ProcessesAt({ host, at, onClose }) {
  const [frame, setFrame] = useState(undefined);
  useEffect(() => {
    setFrame(undefined);
    api(`/api/v1/hosts/${encodeURIComponent(host)}/history/processes?at=${at}`)
      .then((body) => setFrame(body.frames[0] || null))
      .catch(() => setFrame(null));
  }, [host, at]);
  return (
    <Card title={`Processes at ${new Date(at).toLocaleString([], { hourCycle: 'h23' })}`} id="processes-at" actions={<button type="button" class="icon" aria-label="Close" onClick={onClose}>✕</button>}>
      {frame === undefined && <Waiting />}
      {frame === null && <Empty>No process list was recorded near this time.</Empty>}
      {frame && (
        <>
          <p class="muted">Recorded {new Date(frame.time_ms).toLocaleTimeString([], { hourCycle: 'h23' })}; CPU is the average over the minute before.</p>
          <div class="table-scroll">
            <table class="data" data-table="processes-at">
              <thead>
                <tr><th>PID</th><th>Name</th><th>User</th><th class="num">CPU</th><th class="num">Memory</th><th class="hide-sm">Command</th></tr>
              </thead>
              <tbody>
                {frame.processes.map((p) => (
                  <tr key={p.pid}>
                    <td class="num">{p.pid}</td>
                    <td><b>{p.name}</b></td>
                    <td>{p.user}</td>
                    <td class="num">{p.cpu_percent.toFixed(1)} %</td>
                    <td class="num">{bytes(p.rss_bytes)}</td>
                    <td class="mono ellipsis hide-sm" title={p.command}>{p.command}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {frame.containers.length > 0 && (
            <p class="muted">
              Busiest groups: {frame.containers.slice(0, 5).map((c) => `${c.name} (${c.cpu_percent != null ? `${c.cpu_percent.toFixed(1)} %` : '–'}, ${bytes(c.memory_bytes)})`).join(', ')}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

export function History({ theme }) {
  const host = useHost();
  const [view, setView] = useState(readView);
  const [catalog, setCatalog] = useState([]);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [pick, setPick] = useState(null);
  useEffect(() => writeView(view), [view]);
  // A link opened or the back button: the URL is the view.
  useEffect(() => {
    const onHash = () => {
      if (!window.location.hash.startsWith('#/history')) return;
      const next = readView();
      setView((v) => (JSON.stringify(v) === JSON.stringify(next) ? v : next));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    api(`/api/v1/hosts/${encodeURIComponent(host)}/history/catalog`)
      .then((body) => setCatalog(body.series))
      .catch(() => setCatalog([]));
  }, [host]);
  useEffect(() => {
    let stale = false;
    setError(null);
    const width = Math.max(300, Math.min(2000, Math.round(window.innerWidth)));
    fetchHistory(host, view.metrics, { from: view.from, to: view.to, points: width })
      .then((r) => !stale && setResult(r))
      .catch((e) => !stale && setError(e.message || String(e)));
    return () => {
      stale = true;
    };
  }, [host, view]);
  const set = (patch) => setView((v) => ({ ...v, ...patch }));
  // One chart per unit: metrics of one unit share an axis.
  const charts = useMemo(() => {
    if (!result) return [];
    const byUnit = new Map();
    for (const s of result.series) {
      if (!byUnit.has(s.unit)) byUnit.set(s.unit, []);
      byUnit.get(s.unit).push({ ...s, label: labelOf(s) });
    }
    return [...byUnit.entries()].map(([unit, series]) => ({ unit, data: { times: result.times, series } }));
  }, [result]);
  const from = resolve(view.from);
  const to = resolve(view.to);
  return (
    <section class="history-page">
      <div class="toolbar" role="group" aria-label="Range">
        {presets.map(([spec, text]) => (
          <button key={spec} type="button" class={view.from === `-${spec}` && view.to === 'now' ? 'active' : ''} aria-pressed={view.from === `-${spec}` && view.to === 'now'} data-range={spec} onClick={() => set({ from: `-${spec}`, to: 'now' })}>
            {text}
          </button>
        ))}
        <label>
          From <input type="datetime-local" data-field="from" value={Number.isFinite(from) ? toInput(from) : ''} onChange={(e) => set({ from: String(new Date(e.currentTarget.value).getTime()) })} />
        </label>
        <label>
          To <input type="datetime-local" data-field="to" value={Number.isFinite(to) ? toInput(to) : ''} onChange={(e) => set({ to: String(new Date(e.currentTarget.value).getTime()) })} />
        </label>
        {result && <span class="muted" data-field="tier">{result.tier} · {Math.round(result.step_ms / 1000)} s per point</span>}
      </div>
      <MetricPicker catalog={catalog} onAdd={(m) => !view.metrics.includes(m) && set({ metrics: [...view.metrics, m] })} />
      <ul class="chips" aria-label="Metrics shown">
        {view.metrics.map((m) => (
          <li key={m}>
            <span class="mono">{m}</span>
            <button type="button" class="icon" aria-label={`Remove ${m}`} onClick={() => set({ metrics: view.metrics.filter((x) => x !== m) })}>✕</button>
          </li>
        ))}
      </ul>
      {error && <p class="error" role="alert">{error}</p>}
      {!result && !error && <Waiting />}
      {result && charts.length === 0 && <Empty>Nothing recorded for these metrics in this range.</Empty>}
      <div class="grid">
        {charts.map((c) => (
          <Card key={c.unit} title={c.data.series.map((s) => s.metric).filter((v, i, a) => a.indexOf(v) === i).join(', ')}>
            <HistoryChart
              data={c.data}
              format={formatOf(c.unit)}
              binary={c.unit === 'bytes' || c.unit === 'bytes_per_second'}
              theme={theme}
              label={`History ${c.unit}`}
              onZoom={(f, t) => set({ from: String(f), to: String(t) })}
              onPick={(t) => setPick(t)}
            />
          </Card>
        ))}
      </div>
      <p class="muted">Drag across a chart to zoom in; click a point to see the processes at that time.</p>
      {pick && <ProcessesAt host={host} at={pick} onClose={() => setPick(null)} />}
    </section>
  );
}
