// Interfaces with their addresses and live rates; sockets with filters.
import { useMemo, useState } from 'preact/hooks';
import { Card, DataTable, Waiting, sortRows, useSort } from '../components.jsx';
import { bytes, number, perSecond, rate } from '../format.js';
import { useTopic } from '../state.js';

const interfaceColumns = [
  { key: 'name', label: 'Interface', render: (i) => <b>{i.name}</b> },
  { key: 'operstate', label: 'State', render: (i) => <span class={`badge op-${i.operstate}`}>{i.operstate}</span> },
  { key: 'addresses', label: 'Addresses', class: 'addresses', sortable: false, render: (i) => (i.addresses || []).map((a) => <div key={a} class="mono">{a}</div>) },
  { key: 'rx', label: 'Receive', numeric: true, sort: (i) => i.rates?.rx_bytes_per_second, render: (i) => rate(i.rates?.rx_bytes_per_second) },
  { key: 'tx', label: 'Send', numeric: true, sort: (i) => i.rates?.tx_bytes_per_second, render: (i) => rate(i.rates?.tx_bytes_per_second) },
  { key: 'pps', label: 'Packets', numeric: true, class: 'hide-sm', sort: (i) => (i.rates ? i.rates.rx_packets_per_second + i.rates.tx_packets_per_second : null), render: (i) => (i.rates ? `${perSecond(i.rates.rx_packets_per_second)} / ${perSecond(i.rates.tx_packets_per_second)}` : '–') },
  { key: 'rx_bytes_total', label: 'Received', numeric: true, class: 'hide-md', render: (i) => bytes(i.rx_bytes_total) },
  { key: 'tx_bytes_total', label: 'Sent', numeric: true, class: 'hide-md', render: (i) => bytes(i.tx_bytes_total) },
  { key: 'errors', label: 'Errors / drops', numeric: true, class: 'hide-md', sort: (i) => i.rx_errors_total + i.tx_errors_total + i.rx_dropped_total + i.tx_dropped_total, render: (i) => `${number(i.rx_errors_total + i.tx_errors_total)} / ${number(i.rx_dropped_total + i.tx_dropped_total)}` },
  { key: 'mtu', label: 'MTU', numeric: true, class: 'hide-md' },
  { key: 'speed_mbps', label: 'Speed', numeric: true, class: 'hide-md', render: (i) => (i.speed_mbps ? `${number(i.speed_mbps)} Mb/s` : '–') },
  { key: 'mac_address', label: 'MAC', class: 'mono hide-md' },
];

const address = (addr, port) => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

const socketColumns = [
  { key: 'protocol', label: 'Proto' },
  { key: 'state', label: 'State', render: (s) => <span class={`badge st-${s.state}`}>{s.state}</span> },
  { key: 'local', label: 'Local', class: 'mono', sort: (s) => s.local_port, render: (s) => address(s.local_address, s.local_port) },
  { key: 'remote', label: 'Remote', class: 'mono', sort: (s) => `${s.remote_address}:${s.remote_port}`, render: (s) => (s.remote_port ? address(s.remote_address, s.remote_port) : '*') },
  { key: 'rx_queue_bytes', label: 'Recv-Q', numeric: true, class: 'hide-md' },
  { key: 'tx_queue_bytes', label: 'Send-Q', numeric: true, class: 'hide-md' },
  { key: 'uid', label: 'UID', numeric: true, class: 'hide-md' },
  { key: 'process', label: 'Process', sort: (s) => s.process, render: (s) => (s.pid ? `${s.process ?? '?'} (${s.pid})` : <span class="muted">–</span>) },
];

function Interfaces() {
  const frame = useTopic('network');
  const [sort, toggle] = useSort('interfaces', { key: 'name', dir: 'asc' }, interfaceColumns);
  if (!frame) return <Waiting />;
  const rows = sortRows(frame.data.interfaces || [], interfaceColumns.find((c) => c.key === sort.key), sort.dir);
  return <DataTable name="interfaces" columns={interfaceColumns} rows={rows} rowKey={(i) => i.name} sort={sort} onSort={toggle} maxHeight="none" />;
}

function Sockets() {
  const frame = useTopic('sockets');
  const [protocol, setProtocol] = useState('');
  const [state, setState] = useState('');
  const [port, setPort] = useState('');
  const [proc, setProc] = useState('');
  const [sort, toggle] = useSort('sockets', { key: 'local', dir: 'asc' }, socketColumns);
  const sockets = frame ? frame.data.sockets : [];
  const states = useMemo(() => [...new Set(sockets.map((s) => s.state))].sort(), [frame]);
  const rows = useMemo(() => {
    const p = port.trim();
    const q = proc.trim().toLowerCase();
    const filtered = sockets.filter(
      (s) =>
        (!protocol || s.protocol === protocol || (protocol === 'tcp*' && s.protocol.startsWith('tcp')) || (protocol === 'udp*' && s.protocol.startsWith('udp'))) &&
        (!state || s.state === state) &&
        (!p || String(s.local_port) === p || String(s.remote_port) === p) &&
        (!q || String(s.pid ?? '') === q || (s.process || '').toLowerCase().includes(q)),
    );
    return sortRows(filtered, socketColumns.find((c) => c.key === sort.key), sort.dir);
  }, [frame, protocol, state, port, proc, sort]);
  if (!frame) return <Waiting />;
  const counts = Object.entries(frame.data.tcp_states || {}).filter(([, n]) => n > 0);
  return (
    <>
      <p class="muted small" data-field="tcp-states">
        TCP: {counts.length ? counts.map(([name, n]) => `${n} ${name}`).join(' · ') : 'none'} · UDP: {frame.data.udp_sockets}
      </p>
      <div class="toolbar">
        <select value={protocol} onChange={(e) => setProtocol(e.currentTarget.value)} aria-label="Protocol" data-filter="protocol">
          <option value="">any protocol</option>
          <option value="tcp*">TCP (v4 and v6)</option>
          <option value="udp*">UDP (v4 and v6)</option>
          <option value="tcp">tcp (IPv4)</option>
          <option value="tcp6">tcp6</option>
          <option value="udp">udp (IPv4)</option>
          <option value="udp6">udp6</option>
        </select>
        <select value={state} onChange={(e) => setState(e.currentTarget.value)} aria-label="State" data-filter="state">
          <option value="">any state</option>
          {states.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input type="search" inputMode="numeric" placeholder="Port" value={port} onInput={(e) => setPort(e.currentTarget.value)} aria-label="Port" data-filter="port" class="narrow" />
        <input type="search" placeholder="Process name or PID" value={proc} onInput={(e) => setProc(e.currentTarget.value)} aria-label="Process" data-filter="process" />
        <span class="muted small">{rows.length} shown</span>
      </div>
      <DataTable
        name="sockets"
        columns={socketColumns}
        rows={rows}
        rowKey={(s) => `${s.protocol}/${s.inode}/${s.local_address}/${s.local_port}/${s.remote_address}/${s.remote_port}`}
        sort={sort}
        onSort={toggle}
        maxHeight="60vh"
        empty="No socket matches the filter."
      />
    </>
  );
}

export function Network() {
  return (
    <div class="page">
      <div class="page-head">
        <h1>Network</h1>
      </div>
      <Card title="Interfaces" id="interfaces">
        <Interfaces />
      </Card>
      <Card title="Sockets" id="sockets">
        <Sockets />
      </Card>
    </div>
  );
}
