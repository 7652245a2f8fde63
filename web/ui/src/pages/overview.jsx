// The overview: who the host is and how it is doing, as live charts over the last 15 minutes.
// Widgets can be hidden, shown and reordered; the layout is remembered in this browser.
import { useEffect, useState } from 'preact/hooks';
import { TimeChart, palette } from '../chart.jsx';
import { Card, Empty, Meter, Waiting, useTick } from '../components.jsx';
import { bytes, duration, number, percent, rate } from '../format.js';
import { load, normaliseLayout, save } from '../prefs.js';
import { histories, useTopic } from '../state.js';

const cpuSeries = [
  { key: 'user', label: 'user', color: '#3b82f6' },
  { key: 'nice', label: 'nice', color: '#06b6d4' },
  { key: 'system', label: 'system', color: '#ef4444' },
  { key: 'iowait', label: 'iowait', color: '#f59e0b' },
  { key: 'irq', label: 'irq', color: '#8b5cf6' },
  { key: 'softirq', label: 'softirq', color: '#ec4899' },
  { key: 'steal', label: 'steal', color: '#64748b' },
];

const pct = (v) => (v == null ? '–' : `${v.toFixed(v >= 10 ? 0 : 1)} %`);
const loadFmt = (v) => (v == null ? '–' : v.toFixed(2));
const signedRate = (v) => (v == null ? '–' : rate(Math.abs(v)));

// The devices (interfaces, disks) a history has columns for, as "name/metric" columns;
// re-renders when one appears or leaves.
function useDevices(history) {
  const devices = (h) => [...new Set(h.names().map((n) => n.split('/')[0]))].join('|');
  const [names, setNames] = useState(() => devices(history));
  useEffect(() => history.onChange((h) => setNames(devices(h))), [history]);
  return names ? names.split('|') : [];
}

function Identity() {
  const host = useTopic('host');
  const system = useTopic('load');
  useTick(1000);
  if (!host) return <Waiting />;
  const h = host.data;
  const uptime = system ? system.data.uptime_seconds + (Date.now() - system.timestamp_ms) / 1000 : null;
  const virt = [h.virtualization, h.container].filter((v) => v && v !== 'none').join(', ');
  return (
    <dl class="facts">
      <dt>Host</dt>
      <dd data-field="hostname">{h.hostname}</dd>
      <dt>OS</dt>
      <dd>{h.os?.pretty_name || h.os?.name || '–'}</dd>
      <dt>Kernel</dt>
      <dd>
        {h.kernel_release} <span class="muted">{h.architecture}</span>
      </dd>
      <dt>CPU</dt>
      <dd>
        {h.cpu?.model || '–'}{' '}
        <span class="muted">
          {h.cpu?.sockets > 1 ? `${h.cpu.sockets} sockets, ` : ''}
          {h.cpu?.cores} cores, {h.cpu?.threads} threads
        </span>
      </dd>
      {virt && (
        <>
          <dt>Virtualisation</dt>
          <dd>{virt}</dd>
        </>
      )}
      <dt>Uptime</dt>
      <dd data-field="uptime">{duration(uptime)}</dd>
    </dl>
  );
}

function CpuChart({ theme }) {
  const cpu = useTopic('cpu');
  const busy = cpu?.data?.usage_percent?.busy;
  return (
    <>
      <div class="headline">
        <span class="big" data-field="cpu-busy">{percent(busy)}</span> busy
        {cpu && (
          <span class="muted">
            {' '}· {number(cpu.data.context_switches_per_second)} ctx/s · {number(cpu.data.interrupts_per_second)} irq/s · {number(cpu.data.forks_per_second, 1)} forks/s
          </span>
        )}
      </div>
      <TimeChart history={histories.cpu} series={cpuSeries} stacked range={[0, 100]} format={pct} theme={theme} label="CPU" />
    </>
  );
}

function Cores() {
  const cpu = useTopic('cpu');
  if (!cpu) return <Waiting />;
  const cores = cpu.data.cores || [];
  if (!cores.length) return <Empty>No per-core data.</Empty>;
  return (
    <div class="cores">
      {cores.map((c) => {
        const u = c.usage_percent;
        const parts = u
          ? [
              ['user', u.user + u.nice, '#3b82f6'],
              ['system', u.system + u.irq + u.softirq, '#ef4444'],
              ['iowait', u.iowait, '#f59e0b'],
              ['steal', u.steal, '#64748b'],
            ]
          : [];
        return (
          <div class="core" key={c.cpu} title={u ? `cpu${c.cpu}: ${parts.map(([n, v]) => `${n} ${v.toFixed(0)}%`).join(', ')}` : `cpu${c.cpu}`}>
            <span class="core-name">{c.cpu}</span>
            <div class="core-bar">
              {parts.map(([name, v, color]) => (
                <div key={name} style={{ width: `${Math.max(0, Math.min(100, v))}%`, background: color }} />
              ))}
            </div>
            <span class="core-value">{u ? `${u.busy.toFixed(0)}%` : '–'}</span>
          </div>
        );
      })}
    </div>
  );
}

function Memory({ theme }) {
  const m = useTopic('memory');
  if (!m) return <Waiting />;
  const d = m.data;
  const swapUsed = d.swap_total_bytes - d.swap_free_bytes;
  const series = [
    { key: 'used', label: 'used', color: '#8b5cf6' },
    { key: 'cache', label: 'buffers/cache', color: '#10b981' },
  ];
  return (
    <>
      <div class="headline">
        <span class="big" data-field="memory-used">{bytes(d.used_bytes)}</span> of {bytes(d.total_bytes)} used
        <span class="muted"> · {bytes(d.available_bytes)} available</span>
      </div>
      <TimeChart history={histories.memory} series={series} stacked range={[0, d.total_bytes]} format={(v) => bytes(v, 0)} binary theme={theme} label="Memory" />
      <div class="meter-row">
        <span>Swap</span>
        {d.swap_total_bytes > 0 ? (
          <>
            <Meter value={swapUsed} max={d.swap_total_bytes} label="Swap used" />
            <span class="muted">
              {bytes(swapUsed)} / {bytes(d.swap_total_bytes)}
            </span>
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </div>
    </>
  );
}

function Load({ theme }) {
  const l = useTopic('load');
  const cpu = useTopic('host');
  const series = [
    { key: 'load1', label: '1 min', color: '#3b82f6' },
    { key: 'load5', label: '5 min', color: '#f59e0b' },
    { key: 'load15', label: '15 min', color: '#10b981' },
  ];
  const threads = cpu?.data?.cpu?.threads;
  return (
    <>
      <div class="headline">
        <span class="big" data-field="load1">{l ? l.data.load1.toFixed(2) : '–'}</span>
        <span class="muted">
          {' '}
          {l ? `${l.data.load5.toFixed(2)} ${l.data.load15.toFixed(2)}` : ''}
          {threads ? ` · ${threads} CPUs` : ''}
          {l ? ` · ${l.data.runnable_tasks} runnable of ${l.data.total_tasks}` : ''}
        </span>
      </div>
      <TimeChart history={histories.load} series={series} format={loadFmt} theme={theme} label="Load" />
    </>
  );
}

function Pressure({ theme }) {
  const l = useTopic('load');
  if (l && !l.data.pressure) return <Empty>This kernel does not report pressure stall information (PSI).</Empty>;
  const series = [
    { key: 'cpu_some', label: 'cpu some', color: '#3b82f6' },
    { key: 'memory_some', label: 'memory some', color: '#8b5cf6' },
    { key: 'memory_full', label: 'memory full', color: '#ec4899' },
    { key: 'io_some', label: 'io some', color: '#f59e0b' },
    { key: 'io_full', label: 'io full', color: '#ef4444' },
  ];
  return (
    <>
      <p class="muted small">Share of time tasks stalled waiting for the resource (avg10).</p>
      <TimeChart history={histories.pressure} series={series} format={pct} theme={theme} label="Pressure" />
    </>
  );
}

function Network({ theme }) {
  const interfaces = useDevices(histories.network);
  if (!interfaces.length) return <Waiting />;
  const series = [];
  interfaces.forEach((name, i) => {
    const color = palette[i % palette.length];
    const hidden = name === 'lo' && interfaces.length > 1;
    series.push({ key: `${name}/rx`, label: `${name} rx`, color, fill: true, hidden });
    series.push({ key: `${name}/tx`, label: `${name} tx`, color, scale: -1, hidden });
  });
  return (
    <>
      <p class="muted small">Received above the line, sent below.{interfaces.includes('lo') && interfaces.length > 1 ? ' Loopback hidden: click its legend to show it.' : ''}</p>
      <TimeChart history={histories.network} series={series} format={signedRate} binary theme={theme} label="Network" />
    </>
  );
}

function Disks({ theme }) {
  const disks = useDevices(histories.disks);
  if (!disks.length) return <Waiting />;
  const io = [];
  const util = [];
  disks.forEach((name, i) => {
    const color = palette[i % palette.length];
    io.push({ key: `${name}/read`, label: `${name} read`, color, fill: true });
    io.push({ key: `${name}/write`, label: `${name} write`, color, scale: -1 });
    util.push({ key: `${name}/util`, label: name, color });
  });
  return (
    <>
      <p class="muted small">Read above the line, written below.</p>
      <TimeChart history={histories.disks} series={io} format={signedRate} binary theme={theme} label="Disk throughput" />
      <TimeChart history={histories.disks} series={util} format={pct} range={[0, 100]} height={110} theme={theme} label="Disk utilisation" />
    </>
  );
}

function Filesystems() {
  const f = useTopic('filesystems');
  if (!f) return <Waiting />;
  const list = f.data.filesystems || [];
  if (!list.length) return <Empty>No filesystems.</Empty>;
  return (
    <div class="fs-list">
      {list.map((fs) => (
        <div class="fs" key={fs.mount_point}>
          <div class="fs-head">
            <span class="mono">{fs.mount_point}</span>
            <span class="muted">
              {bytes(fs.used_bytes)} / {bytes(fs.size_bytes)} · {percent(fs.used_percent, 0)}
            </span>
          </div>
          <Meter value={fs.used_percent} label={`${fs.mount_point} used`} title={`${fs.device} (${fs.fstype})`} />
        </div>
      ))}
    </div>
  );
}

function Sensors() {
  const s = useTopic('sensors');
  if (!s) return <Waiting />;
  const list = s.data.sensors || [];
  if (!list.length) return <Empty>No temperature or fan sensors on this host.</Empty>;
  return (
    <table class="data compact">
      <tbody>
        {list.map((x) => {
          const value = x.kind === 'fan' ? x.rpm : x.celsius;
          const limit = x.critical ?? x.max;
          const level = limit && value >= limit ? 'crit' : x.max && value >= x.max * 0.9 ? 'warn' : '';
          return (
            <tr key={`${x.chip}/${x.label}/${x.source}`}>
              <td>{x.chip}</td>
              <td>{x.label}</td>
              <td class={`num ${level}`}>{x.kind === 'fan' ? `${number(value)} rpm` : `${value.toFixed(1)} °C`}</td>
              <td class="num muted">{limit ? (x.kind === 'fan' ? '' : `crit ${limit.toFixed(0)} °C`) : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export const widgets = [
  { id: 'identity', title: 'Host', render: () => <Identity /> },
  { id: 'cpu', title: 'CPU', render: (p) => <CpuChart {...p} /> },
  { id: 'cores', title: 'CPU cores', render: () => <Cores /> },
  { id: 'memory', title: 'Memory and swap', render: (p) => <Memory {...p} /> },
  { id: 'load', title: 'Load', render: (p) => <Load {...p} /> },
  { id: 'pressure', title: 'Pressure', render: (p) => <Pressure {...p} /> },
  { id: 'network', title: 'Network', render: (p) => <Network {...p} /> },
  { id: 'disks', title: 'Disk I/O', render: (p) => <Disks {...p} /> },
  { id: 'filesystems', title: 'Filesystems', render: () => <Filesystems /> },
  { id: 'sensors', title: 'Sensors', render: () => <Sensors /> },
];

function LayoutEditor({ layout, setLayout, onClose }) {
  const move = (i, delta) => {
    const j = i + delta;
    if (j < 0 || j >= layout.length) return;
    const next = [...layout];
    [next[i], next[j]] = [next[j], next[i]];
    setLayout(next);
  };
  const toggle = (i) => setLayout(layout.map((w, k) => (k === i ? { ...w, visible: !w.visible } : w)));
  const title = (id) => widgets.find((w) => w.id === id).title;
  return (
    <div class="layout-editor" role="dialog" aria-label="Overview layout">
      <ul>
        {layout.map((w, i) => (
          <li key={w.id} data-layout={w.id}>
            <label>
              <input type="checkbox" checked={w.visible} onChange={() => toggle(i)} /> {title(w.id)}
            </label>
            <span>
              <button type="button" class="icon" aria-label={`Move ${title(w.id)} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                ↑
              </button>
              <button type="button" class="icon" aria-label={`Move ${title(w.id)} down`} disabled={i === layout.length - 1} onClick={() => move(i, 1)}>
                ↓
              </button>
            </span>
          </li>
        ))}
      </ul>
      <div class="editor-actions">
        <button type="button" onClick={() => setLayout(normaliseLayout(null, widgets))}>
          Reset
        </button>
        <button type="button" class="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}

export function Overview({ theme }) {
  const [layout, setLayoutState] = useState(() => normaliseLayout(load('layout', null), widgets));
  const [editing, setEditing] = useState(false);
  const setLayout = (next) => {
    setLayoutState(next);
    save('layout', next);
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Overview</h1>
        <button type="button" data-action="customize" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Customise
        </button>
      </div>
      {editing && <LayoutEditor layout={layout} setLayout={setLayout} onClose={() => setEditing(false)} />}
      <div class="grid">
        {layout
          .filter((w) => w.visible)
          .map((w) => {
            const def = widgets.find((x) => x.id === w.id);
            return (
              <Card key={w.id} id={w.id} title={def.title} class={`w-${w.id}`}>
                {def.render({ theme })}
              </Card>
            );
          })}
      </div>
    </div>
  );
}
