// Every process, live: sortable by any column, filtered by text, user and state, as a flat list
// or as a tree by parent; a row opens a drawer with the process in detail.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { DataTable, Waiting, sortRows, useSort } from '../components.jsx';
import { bytes, cpuTime, dateTime, duration, number, percent, rate, stateNames } from '../format.js';
import { useTopic } from '../state.js';

const columns = [
  { key: 'pid', label: 'PID', numeric: true, firstSort: 'asc' },
  { key: 'user', label: 'User', class: 'ellipsis w-user' },
  { key: 'state', label: 'S', title: 'State', render: (p) => <span class={`state s-${p.state}`} title={stateNames[p.state] || p.state}>{p.state}</span> },
  { key: 'cpu_percent', label: 'CPU %', numeric: true, render: (p) => (p.cpu_percent == null ? '–' : p.cpu_percent.toFixed(1)) },
  { key: 'memory_percent', label: 'MEM %', numeric: true, render: (p) => (p.memory_percent == null ? '–' : p.memory_percent.toFixed(1)) },
  { key: 'rss_bytes', label: 'RSS', numeric: true, render: (p) => bytes(p.rss_bytes) },
  { key: 'virtual_bytes', label: 'VIRT', numeric: true, class: 'hide-md', render: (p) => bytes(p.virtual_bytes) },
  { key: 'threads', label: 'Thr', numeric: true, class: 'hide-md', title: 'Threads' },
  { key: 'nice', label: 'NI', numeric: true, class: 'hide-md', title: 'Nice', firstSort: 'asc' },
  { key: 'read_bytes_per_second', label: 'Read/s', numeric: true, class: 'hide-sm', render: (p) => rate(p.read_bytes_per_second) },
  { key: 'write_bytes_per_second', label: 'Write/s', numeric: true, class: 'hide-sm', render: (p) => rate(p.write_bytes_per_second) },
  { key: 'open_fds', label: 'FDs', numeric: true, class: 'hide-md', title: 'Open file descriptors', render: (p) => (p.open_fds == null ? '–' : p.open_fds) },
  { key: 'start_time_unix_ms', label: 'Started', numeric: true, class: 'hide-md', render: (p) => dateTime(p.start_time_unix_ms).slice(5, 16) },
  { key: 'command', label: 'Command', class: 'command', sort: (p) => p.cmdline || p.comm },
];

const stateOptions = [
  ['', 'any state'],
  ['R', 'running'],
  ['S', 'sleeping'],
  ['D', 'disk sleep'],
  ['Z', 'zombie'],
  ['T', 'stopped'],
  ['I', 'idle'],
];

function matches(p, text) {
  if (!text) return true;
  if (/^\d+$/.test(text) && String(p.pid) === text) return true;
  const t = text.toLowerCase();
  return (p.comm || '').toLowerCase().includes(t) || (p.cmdline || '').toLowerCase().includes(t) || (p.user || '').toLowerCase().includes(t);
}

// Depth-first order of the tree by parent, siblings in the current sort; `keep` (a set of
// pids, or null for all) limits it to matching processes and their ancestors.
function treeOrder(sorted, byPid, keep, collapsed) {
  const children = new Map();
  const roots = [];
  for (const p of sorted) {
    if (keep && !keep.has(p.pid)) continue;
    if (p.ppid && byPid.has(p.ppid) && (!keep || keep.has(p.ppid))) {
      if (!children.has(p.ppid)) children.set(p.ppid, []);
      children.get(p.ppid).push(p);
    } else {
      roots.push(p);
    }
  }
  const out = [];
  const walk = (p, depth) => {
    const kids = children.get(p.pid) || [];
    out.push({ ...p, depth, childCount: kids.length });
    if (collapsed.has(p.pid)) return;
    for (const k of kids) walk(k, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

function Detail({ pid, processes, hz, onClose, onSelect }) {
  const [last, setLast] = useState(null);
  const current = processes.find((p) => p.pid === pid) || null;
  useEffect(() => {
    if (current) setLast(current);
  }, [current]);
  useEffect(() => {
    const onKey = (e) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const p = current || last;
  if (!p) return null;
  const parent = processes.find((x) => x.pid === p.ppid);
  const row = (label, value) => (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
  return (
    <aside class="drawer" role="dialog" aria-label={`Process ${p.pid}`} data-drawer="process">
      <header class="drawer-head">
        <h2>
          {p.comm} <span class="muted">{p.pid}</span>
        </h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {!current && <p class="notice">This process has exited; the values are the last ones seen.</p>}
      <dl class="facts">
        {row('Command line', <code class="cmdline" data-field="cmdline">{p.cmdline || `[${p.comm}]`}</code>)}
        {row('State', `${p.state} (${stateNames[p.state] || 'other'})`)}
        {row('User', `${p.user ?? '?'} (uid ${p.uid})`)}
        {row(
          'Parent',
          parent ? (
            <button type="button" class="link" onClick={() => onSelect(parent.pid)}>
              {parent.comm} ({parent.pid})
            </button>
          ) : (
            p.ppid
          ),
        )}
        {row('Cgroup', <code data-field="cgroup">{p.cgroup || '–'}</code>)}
        {row('Threads', <span data-field="threads">{p.threads}</span>)}
        {row('Priority / nice', `${p.priority} / ${p.nice}`)}
        {row('Started', `${dateTime(p.start_time_unix_ms)} (${duration((Date.now() - p.start_time_unix_ms) / 1000)} ago)`)}
        {row('CPU', `${percent(p.cpu_percent)} · total ${cpuTime(p.cpu_ticks_total, hz)}`)}
        {row('Memory', `${bytes(p.rss_bytes)} resident (${percent(p.memory_percent)}) · ${bytes(p.shared_bytes)} shared · ${bytes(p.virtual_bytes)} virtual`)}
        {row(
          'I/O',
          p.read_bytes_total == null ? (
            <span class="muted">not readable (another user's process)</span>
          ) : (
            <span data-field="io">
              read {rate(p.read_bytes_per_second)} ({bytes(p.read_bytes_total)} total) · written {rate(p.write_bytes_per_second)} ({bytes(p.write_bytes_total)} total)
            </span>
          ),
        )}
        {row('Open files', p.open_fds == null ? '–' : number(p.open_fds))}
      </dl>
    </aside>
  );
}

export function Processes() {
  const frame = useTopic('processes');
  const host = useTopic('host');
  const [text, setText] = useState('');
  const [user, setUser] = useState('');
  const [state, setState] = useState('');
  const [tree, setTree] = useState(false);
  const [paused, setPaused] = useState(null); // the frame frozen on screen, or null
  const [selected, setSelected] = useState(null);
  const [collapsed, setCollapsed] = useState(() => new Set());
  const [sort, toggleSort] = useSort('processes', { key: 'cpu_percent', dir: 'desc' }, columns);

  const shown = paused || frame;
  const processes = shown ? shown.data.processes : [];
  const users = useMemo(() => [...new Set(processes.map((p) => p.user ?? String(p.uid)))].sort(), [shown]);

  const rows = useMemo(() => {
    const column = columns.find((c) => c.key === sort.key);
    const filtered = processes.filter((p) => matches(p, text.trim()) && (!user || (p.user ?? String(p.uid)) === user) && (!state || p.state === state));
    if (!tree) return sortRows(filtered, column, sort.dir);
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    let keep = null;
    if (filtered.length !== processes.length) {
      keep = new Set();
      for (const p of filtered) {
        for (let q = p; q && !keep.has(q.pid); q = byPid.get(q.ppid)) keep.add(q.pid);
      }
    }
    return treeOrder(sortRows(processes, column, sort.dir), byPid, keep, collapsed);
  }, [shown, text, user, state, tree, sort, collapsed]);

  const toggleCollapse = (pid) => {
    const next = new Set(collapsed);
    next.has(pid) ? next.delete(pid) : next.add(pid);
    setCollapsed(next);
  };

  const commandColumn = {
    ...columns[columns.length - 1],
    render: (p) => (
      <span class="cmd" title={p.cmdline || p.comm}>
        {tree && <span class="indent" style={{ width: `${p.depth * 14}px` }} />}
        {tree && p.childCount > 0 ? (
          <button
            type="button"
            class="twisty"
            aria-label={collapsed.has(p.pid) ? 'Expand' : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation();
              toggleCollapse(p.pid);
            }}
          >
            {collapsed.has(p.pid) ? '▸' : '▾'}
          </button>
        ) : (
          tree && <span class="twisty-space" />
        )}
        <b>{p.comm}</b> <span class="muted">{p.cmdline && p.cmdline !== p.comm ? p.cmdline : ''}</span>
      </span>
    ),
  };
  const cols = [...columns.slice(0, -1), commandColumn];

  if (!frame) return <div class="page"><h1>Processes</h1><Waiting /></div>;
  const c = frame.data.counts;
  return (
    <div class="page processes">
      <div class="page-head">
        <h1>Processes</h1>
        <span class="muted" data-field="counts">
          {c.total} processes · {c.threads} threads · {c.running} running · {c.sleeping} sleeping
          {c.disk_sleep ? ` · ${c.disk_sleep} in disk sleep` : ''}
          {c.zombie ? ` · ${c.zombie} zombie` : ''}
        </span>
      </div>
      <div class="toolbar">
        <input type="search" placeholder="Filter: name, command, user or PID" value={text} onInput={(e) => setText(e.currentTarget.value)} aria-label="Filter processes" data-filter="text" />
        <select value={user} onChange={(e) => setUser(e.currentTarget.value)} aria-label="User" data-filter="user">
          <option value="">any user</option>
          {users.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
        <select value={state} onChange={(e) => setState(e.currentTarget.value)} aria-label="State" data-filter="state">
          {stateOptions.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
        <label class="check">
          <input type="checkbox" checked={tree} onChange={() => setTree(!tree)} data-toggle="tree" /> Tree
        </label>
        <button type="button" aria-pressed={!!paused} onClick={() => setPaused(paused ? null : frame)} data-toggle="pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span class="muted small" data-field="shown">
          {rows.length} shown
        </span>
      </div>
      <DataTable
        name="processes"
        columns={cols}
        rows={rows}
        rowKey={(p) => p.pid}
        sort={sort}
        onSort={toggleSort}
        onRowClick={(p) => setSelected(p.pid)}
        selected={selected}
        maxHeight="calc(100vh - 190px)"
        empty="No process matches the filter."
      />
      {selected !== null && (
        <Detail pid={selected} processes={frame.data.processes} hz={host?.data?.clock_ticks_per_second} onClose={() => setSelected(null)} onSelect={setSelected} />
      )}
    </div>
  );
}
