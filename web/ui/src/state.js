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

let recording = null;  // the unsubscribe functions while recording

export function startRecording() {
  if (recording) return;
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
