// The app's live state: one LiveClient, and the histories the overview charts draw. The
// overview's topics stay subscribed on every page, so its 15 minutes of history keep growing
// while the user looks at processes.
import { useEffect, useState } from 'preact/hooks';
import { History } from './history.js';
import { LiveClient, liveUrl } from './live.js';
import { api, refresh, token } from './auth.js';
import { load, save } from './prefs.js';

// The host every page shows. The daemon's own host is the first of /api/v1/hosts; a choice
// made in the host switcher is remembered, and forgotten when that host is no longer listed.
let currentHost = load('host', null) || 'local';
const hostListeners = new Set();

export function selectedHost() {
  return currentHost;
}

export function selectHost(id) {
  if (id === currentHost) return;
  currentHost = id;
  save('host', id);
  restartRecording();
  for (const fn of hostListeners) fn(id);
}

export const topic = (family, host = currentHost) => `hosts/${host}/${family}`;

// The selected host, re-rendering the component when it changes.
export function useHost() {
  const [h, setH] = useState(currentHost);
  useEffect(() => {
    hostListeners.add(setH);
    setH(currentHost);
    return () => hostListeners.delete(setH);
  }, []);
  return h;
}

// The configured hosts (id, display_name, kind, state, hostname), polled every 10 s.
export function useHosts() {
  const [hosts, setHosts] = useState([]);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const body = await api('/api/v1/hosts');
        if (stopped) return;
        setHosts(body.hosts);
        const ids = body.hosts.map((x) => x.id);
        if (ids.length && !ids.includes(currentHost)) selectHost(ids[0]);
      } catch {
        // the connection indicator tells; keep the last list
      }
    };
    poll();
    const timer = setInterval(poll, 10000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return hosts;
}

// A socket refused for its credentials: renew the session (the next connection carries the new
// cookie); if that fails, the session is over and the app shows its login screen.
export const live = new LiveClient({ url: liveUrl(), token, onAuthError: () => refresh() });

export const histories = {
  cpu: new History(),
  memory: new History(),
  load: new History(),
  pressure: new History(),
  network: new History(),
  disks: new History(),
};

const cpuModes = ['user', 'nice', 'system', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'];

function recordCpu(frame) {
  const u = frame.data.usage_percent;
  if (!u) return;
  const values = {};
  for (const m of cpuModes) values[m] = u[m] ?? null;
  histories.cpu.push(frame.timestamp_ms, values);
}

function recordMemory(frame) {
  const m = frame.data;
  histories.memory.push(frame.timestamp_ms, {
    used: m.used_bytes,
    cache: (m.cached_bytes ?? 0) + (m.buffers_bytes ?? 0),
    swap_used: m.swap_total_bytes - m.swap_free_bytes,
  });
}

function recordLoad(frame) {
  const d = frame.data;
  histories.load.push(frame.timestamp_ms, { load1: d.load1, load5: d.load5, load15: d.load15 });
  const p = d.pressure;
  if (p) {
    const values = {};
    for (const resource of ['cpu', 'memory', 'io']) {
      if (!p[resource]) continue;
      values[`${resource}_some`] = p[resource].some?.avg10_percent ?? null;
      if (resource !== 'cpu') values[`${resource}_full`] = p[resource].full?.avg10_percent ?? null;
    }
    histories.pressure.push(frame.timestamp_ms, values);
  }
}

function recordNetwork(frame) {
  const values = {};
  for (const i of frame.data.interfaces || []) {
    if (!i.rates) continue;
    values[`${i.name}/rx`] = i.rates.rx_bytes_per_second;
    values[`${i.name}/tx`] = i.rates.tx_bytes_per_second;
  }
  histories.network.push(frame.timestamp_ms, values);
}

function recordDisks(frame) {
  const values = {};
  for (const d of frame.data.disks || []) {
    if (d.partition || !d.rates) continue;
    values[`${d.name}/read`] = d.rates.read_bytes_per_second;
    values[`${d.name}/write`] = d.rates.write_bytes_per_second;
    values[`${d.name}/util`] = d.rates.utilization_percent;
  }
  histories.disks.push(frame.timestamp_ms, values);
}

// ---- the daemon's history: the overview's charts open full, not empty.

// GET /api/v1/hosts/{host}/history: metric selectors, from/to (RFC 3339, -15m, now, Unix ms),
// points. Returns { tier, step_ms, times (seconds), series: [{ key, metric, labels, unit,
// avg, min, max }] }; "NaN"/"+Inf" strings become null (a chart cannot draw them).
export async function fetchHistory(host, metrics, { from = '-15m', to = 'now', points = 900 } = {}) {
  const q = new URLSearchParams();
  for (const m of metrics) q.append('metric', m);
  q.set('from', String(from));
  q.set('to', String(to));
  q.set('points', String(points));
  const body = await api(`/api/v1/hosts/${encodeURIComponent(host)}/history?${q}`);
  const num = (v) => (typeof v === 'number' ? v : null);
  return {
    tier: body.tier,
    step_ms: body.step_ms,
    times: body.times_ms.map((t) => t / 1000),
    series: body.series.map((s) => ({ ...s, avg: s.avg.map(num), min: s.min.map(num), max: s.max.map(num) })),
  };
}

const sum = (a, b) => a.map((v, i) => (v == null && b[i] == null ? null : (v ?? 0) + (b[i] ?? 0)));

// The last 15 minutes of every overview chart, from the history, in front of what the live
// socket brought since. A daemon without history (or an older one) leaves them as they are.
async function backfill(host) {
  const find = (doc, key) => doc.series.find((s) => s.key === key)?.avg;
  const q = (metrics) => fetchHistory(host, metrics).catch(() => null);
  const [cpu, memory, load, net, disks] = await Promise.all([
    q(['cpu.percent{cpu="all"}']),
    q(['memory.used_bytes', 'memory.cached_bytes', 'memory.buffers_bytes', 'memory.swap_used_bytes']),
    q(['system.load1', 'system.load5', 'system.load15', 'pressure.some_avg10', 'pressure.full_avg10']),
    q(['net.rx_bytes_per_second', 'net.tx_bytes_per_second']),
    q(['disk.read_bytes_per_second', 'disk.write_bytes_per_second', 'disk.utilization_percent']),
  ]);
  if (host !== currentHost) return;
  if (cpu) {
    const columns = {};
    for (const m of cpuModes) columns[m] = find(cpu, `cpu.percent{cpu="all",mode="${m}"}`);
    histories.cpu.prepend(cpu.times, columns);
  }
  if (memory) {
    const used = find(memory, 'memory.used_bytes');
    const cached = find(memory, 'memory.cached_bytes');
    const buffers = find(memory, 'memory.buffers_bytes');
    histories.memory.prepend(memory.times, {
      used,
      cache: cached && buffers ? sum(cached, buffers) : cached,
      swap_used: find(memory, 'memory.swap_used_bytes'),
    });
  }
  if (load) {
    histories.load.prepend(load.times, {
      load1: find(load, 'system.load1'),
      load5: find(load, 'system.load5'),
      load15: find(load, 'system.load15'),
    });
    const pressure = {};
    for (const s of load.series) {
      const r = s.labels.resource;
      if (s.metric === 'pressure.some_avg10') pressure[`${r}_some`] = s.avg;
      if (s.metric === 'pressure.full_avg10' && r !== 'cpu') pressure[`${r}_full`] = s.avg;
    }
    if (Object.keys(pressure).length) histories.pressure.prepend(load.times, pressure);
  }
  // Interfaces and disks as the live topics list them (whole disks only, not partitions).
  const liveDisks = live.latest(topic('disks', host))?.data?.disks;
  const wholeDisks = liveDisks ? new Set(liveDisks.filter((d) => !d.partition).map((d) => d.name)) : null;
  if (net) {
    const columns = {};
    for (const s of net.series) columns[`${s.labels.interface}/${s.metric === 'net.rx_bytes_per_second' ? 'rx' : 'tx'}`] = s.avg;
    histories.network.prepend(net.times, columns);
  }
  if (disks && wholeDisks) {
    const name = { 'disk.read_bytes_per_second': 'read', 'disk.write_bytes_per_second': 'write', 'disk.utilization_percent': 'util' };
    const columns = {};
    for (const s of disks.series) if (wholeDisks.has(s.labels.device)) columns[`${s.labels.device}/${name[s.metric]}`] = s.avg;
    histories.disks.prepend(disks.times, columns);
  }
}

let recording = null;  // the unsubscribe functions while recording

export function startRecording() {
  if (recording) return;
  // After the first live frames (the disks frame says which devices are whole disks).
  const host = currentHost;
  setTimeout(() => backfill(host).catch(() => {}), 1500);
  recording = [
    live.subscribe(topic('cpu'), recordCpu),
    live.subscribe(topic('memory'), recordMemory),
    live.subscribe(topic('load'), recordLoad),
    live.subscribe(topic('network'), recordNetwork),
    live.subscribe(topic('disks'), recordDisks),
  ];
}

// Another host: its own histories, from now on.
function restartRecording() {
  if (!recording) return;
  for (const stop of recording) stop?.();
  recording = null;
  for (const h of Object.values(histories)) h.clear();
  startRecording();
}

// The latest frame of a topic, re-rendering the component on each new one.
export function useTopic(family, intervalMs = null) {
  const name = topic(family, useHost());
  const [frame, setFrame] = useState(() => live.latest(name));
  useEffect(() => live.subscribe(name, setFrame, intervalMs), [name, intervalMs]);
  return frame;
}

export function useConnection() {
  const [state, setState] = useState(live.state);
  useEffect(() => live.onState(setState), []);
  return state;
}
