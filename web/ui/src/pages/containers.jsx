// Containers & services: every control group down to collectors.cgroup_max_depth, typed as a
// systemd service, scope or slice, a Docker, containerd or Podman container, or a plain group,
// with its CPU, memory, IO, tasks and pressure. A slice's figures include its children's.
import { useState } from 'preact/hooks';
import { Card, DataTable, Meter, Waiting, sortRows, useSort } from '../components.jsx';
import { bytes, number, percent, rate } from '../format.js';
import { useTopic } from '../state.js';

const kinds = ['service', 'scope', 'slice', 'docker', 'containerd', 'podman', 'cgroup'];
const kindLabel = {
  service: 'Service',
  scope: 'Scope',
  slice: 'Slice',
  docker: 'Docker',
  containerd: 'containerd',
  podman: 'Podman',
  cgroup: 'Group',
};

const pressure = (p) => p?.some?.avg10_percent;

const columns = [
  { key: 'name', label: 'Name', render: (c) => (
    <span class="cgroup-name" style={{ paddingLeft: `${(c.depth - 1) * 12}px` }} title={c.id}>
      <b>{c.name}</b>
    </span>
  ) },
  { key: 'kind', label: 'Kind', render: (c) => <span class={`kind kind-${c.kind}`}>{kindLabel[c.kind] ?? c.kind}</span> },
  { key: 'cpu_percent', label: 'CPU', numeric: true, render: (c) => percent(c.cpu_percent) },
  { key: 'memory_current_bytes', label: 'Memory', numeric: true, render: (c) => (
    c.memory_limit_bytes ? (
      <span class="bar-cell">
        <Meter value={c.memory_current_bytes} max={c.memory_limit_bytes} label={`${c.name} memory of its limit`} />
        {bytes(c.memory_current_bytes)}
      </span>
    ) : bytes(c.memory_current_bytes)
  ) },
  { key: 'memory_limit_bytes', label: 'Limit', numeric: true, class: 'hide-sm', render: (c) => (c.memory_limit_bytes == null ? '–' : bytes(c.memory_limit_bytes)) },
  { key: 'memory_peak_bytes', label: 'Peak', numeric: true, class: 'hide-md', render: (c) => (c.memory_peak_bytes == null ? '–' : bytes(c.memory_peak_bytes)) },
  { key: 'io_read', label: 'Read', numeric: true, class: 'hide-sm', sort: (c) => c.io_read_bytes_per_second, render: (c) => rate(c.io_read_bytes_per_second) },
  { key: 'io_write', label: 'Write', numeric: true, class: 'hide-sm', sort: (c) => c.io_write_bytes_per_second, render: (c) => rate(c.io_write_bytes_per_second) },
  { key: 'pids', label: 'Tasks', numeric: true, class: 'hide-md', render: (c) => (c.pids == null ? '–' : number(c.pids)) },
  { key: 'pressure', label: 'CPU / mem / IO stall', numeric: true, class: 'hide-md', sort: (c) => Math.max(pressure(c.pressure?.cpu) ?? -1, pressure(c.pressure?.memory) ?? -1, pressure(c.pressure?.io) ?? -1),
    render: (c) => (c.pressure?.cpu || c.pressure?.memory || c.pressure?.io
      ? `${percent(pressure(c.pressure.cpu), 0)} / ${percent(pressure(c.pressure.memory), 0)} / ${percent(pressure(c.pressure.io), 0)}`
      : '–') },
];

function Groups() {
  const frame = useTopic('containers');
  const [filter, setFilter] = useState('');
  const [kind, setKind] = useState('all');
  const [sort, toggle] = useSort('containers', { key: 'cpu_percent', dir: 'desc' }, columns);
  if (!frame) return <Waiting />;
  const needle = filter.trim().toLowerCase();
  const list = (frame.data.containers || []).filter(
    (c) => (kind === 'all' || c.kind === kind) && (!needle || c.name.toLowerCase().includes(needle) || c.id.toLowerCase().includes(needle)),
  );
  const rows = sortRows(list, columns.find((c) => c.key === sort.key), sort.dir);
  const present = new Set((frame.data.containers || []).map((c) => c.kind));
  return (
    <>
      <div class="toolbar">
        <label>
          <span class="visually-hidden">Filter</span>
          <input type="search" data-field="containers-filter" placeholder="Filter by name or path" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <label>
          <span class="visually-hidden">Kind</span>
          <select data-field="containers-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="all">All kinds</option>
            {kinds.filter((k) => present.has(k)).map((k) => (
              <option key={k} value={k}>{kindLabel[k]}</option>
            ))}
          </select>
        </label>
        <span class="muted" data-field="cgroup-hierarchy">cgroup {frame.data.hierarchy}</span>
      </div>
      <DataTable
        name="containers"
        columns={columns}
        rows={rows}
        rowKey={(c) => c.id}
        sort={sort}
        onSort={toggle}
        maxHeight="none"
        empty={frame.data.hierarchy === 'none' ? 'No cgroup hierarchy on this host.' : 'No control group matches.'}
      />
    </>
  );
}

export function Containers() {
  return (
    <div class="page">
      <div class="page-head">
        <h1>Containers &amp; services</h1>
      </div>
      <Card title="Control groups" id="containers">
        <Groups />
      </Card>
    </div>
  );
}
