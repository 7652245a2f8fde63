// Block devices with live I/O; filesystems with usage and inodes.
import { useState } from 'preact/hooks';
import { Card, DataTable, Meter, Waiting, sortRows, useSort } from '../components.jsx';
import { bytes, number, percent, perSecond, rate } from '../format.js';
import { useTopic } from '../state.js';

const ms = (v) => (v == null ? '–' : `${v.toFixed(v >= 10 ? 0 : 2)} ms`);

const deviceColumns = [
  { key: 'name', label: 'Device', render: (d) => <b class={d.partition ? 'partition' : ''}>{d.name}</b> },
  { key: 'util', label: 'Busy', numeric: true, sort: (d) => d.rates?.utilization_percent, render: (d) => (
    <span class="bar-cell">
      <Meter value={d.rates?.utilization_percent} label={`${d.name} busy`} />
      {percent(d.rates?.utilization_percent, 0)}
    </span>
  ) },
  { key: 'read', label: 'Read', numeric: true, sort: (d) => d.rates?.read_bytes_per_second, render: (d) => rate(d.rates?.read_bytes_per_second) },
  { key: 'write', label: 'Write', numeric: true, sort: (d) => d.rates?.write_bytes_per_second, render: (d) => rate(d.rates?.write_bytes_per_second) },
  { key: 'riops', label: 'Reads', numeric: true, class: 'hide-sm', sort: (d) => d.rates?.reads_per_second, render: (d) => perSecond(d.rates?.reads_per_second) },
  { key: 'wiops', label: 'Writes', numeric: true, class: 'hide-sm', sort: (d) => d.rates?.writes_per_second, render: (d) => perSecond(d.rates?.writes_per_second) },
  { key: 'await', label: 'Await r / w', numeric: true, class: 'hide-md', sort: (d) => d.rates?.await_ms, render: (d) => `${ms(d.rates?.read_await_ms)} / ${ms(d.rates?.write_await_ms)}` },
  { key: 'ios_in_progress', label: 'In flight', numeric: true, class: 'hide-md' },
  { key: 'read_bytes_total', label: 'Read total', numeric: true, class: 'hide-md', render: (d) => bytes(d.read_bytes_total) },
  { key: 'written_bytes_total', label: 'Written total', numeric: true, class: 'hide-md', render: (d) => bytes(d.written_bytes_total) },
];

const fsColumns = [
  { key: 'mount_point', label: 'Mounted on', class: 'mono' },
  { key: 'device', label: 'Device', class: 'mono hide-sm ellipsis' },
  { key: 'fstype', label: 'Type', class: 'hide-sm', render: (f) => `${f.fstype}${f.read_only ? ' (ro)' : ''}` },
  { key: 'used_percent', label: 'Use', numeric: true, render: (f) => (
    <span class="bar-cell">
      <Meter value={f.used_percent} label={`${f.mount_point} used`} />
      {percent(f.used_percent, 0)}
    </span>
  ) },
  { key: 'size_bytes', label: 'Size', numeric: true, render: (f) => bytes(f.size_bytes) },
  { key: 'used_bytes', label: 'Used', numeric: true, class: 'hide-sm', render: (f) => bytes(f.used_bytes) },
  { key: 'available_bytes', label: 'Avail', numeric: true, render: (f) => bytes(f.available_bytes) },
  { key: 'inodes', label: 'Inodes used', numeric: true, class: 'hide-md', sort: (f) => (f.inodes_total ? f.inodes_used / f.inodes_total : null), render: (f) => (
    f.inodes_total ? (
      <span class="bar-cell">
        <Meter value={f.inodes_used} max={f.inodes_total} label={`${f.mount_point} inodes used`} />
        {number(f.inodes_used)} / {number(f.inodes_total)}
      </span>
    ) : '–'
  ) },
];

function Devices() {
  const frame = useTopic('disks');
  const [partitions, setPartitions] = useState(false);
  const [sort, toggle] = useSort('disks', { key: 'name', dir: 'asc' }, deviceColumns);
  if (!frame) return <Waiting />;
  const list = (frame.data.disks || []).filter((d) => partitions || !d.partition);
  const rows = sortRows(list, deviceColumns.find((c) => c.key === sort.key), sort.dir);
  return (
    <>
      <div class="toolbar">
        <label class="check">
          <input type="checkbox" checked={partitions} onChange={() => setPartitions(!partitions)} /> Show partitions
        </label>
      </div>
      <DataTable name="disks" columns={deviceColumns} rows={rows} rowKey={(d) => d.name} sort={sort} onSort={toggle} maxHeight="none" empty="No block devices." />
    </>
  );
}

function Filesystems() {
  const frame = useTopic('filesystems');
  const [sort, toggle] = useSort('filesystems', { key: 'mount_point', dir: 'asc' }, fsColumns);
  if (!frame) return <Waiting />;
  const rows = sortRows(frame.data.filesystems || [], fsColumns.find((c) => c.key === sort.key), sort.dir);
  return <DataTable name="filesystems" columns={fsColumns} rows={rows} rowKey={(f) => f.mount_point} sort={sort} onSort={toggle} maxHeight="none" empty="No filesystems." />;
}

export function Disks() {
  return (
    <div class="page">
      <div class="page-head">
        <h1>Disks</h1>
      </div>
      <Card title="Block devices" id="devices">
        <Devices />
      </Card>
      <Card title="Filesystems" id="filesystems">
        <Filesystems />
      </Card>
    </div>
  );
}
