// Users and the audit log (admins only; the server refuses these calls to anyone else).
import { useEffect, useState } from 'preact/hooks';
import { api, currentSession } from '../auth.js';
import { Card, DataTable } from '../components.jsx';
import { dateTime } from '../format.js';

function NewUser({ onCreated }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      await api('api/v1/users', { method: 'POST', body: { name: name.trim(), role, password, must_change_password: true } });
      setName('');
      setPassword('');
      onCreated();
    } catch (err) {
      setError(err.message);
    }
  };
  return (
    <form class="toolbar" onSubmit={submit} data-form="new-user">
      <input name="name" placeholder="User name" autocapitalize="none" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <select value={role} onChange={(e) => setRole(e.currentTarget.value)} aria-label="Role">
        <option value="viewer">viewer</option>
        <option value="operator">operator</option>
        <option value="admin">admin</option>
      </select>
      <input name="password" type="password" autocomplete="new-password" placeholder="Temporary password (12+)" required minLength={12} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      <button type="submit" class="primary">Add user</button>
      {error && <p class="form-error" role="alert">{error}</p>}
    </form>
  );
}

function Users() {
  const [users, setUsers] = useState([]);
  const [error, setError] = useState('');
  const me = currentSession()?.user?.name;
  const load = () => api('api/v1/users').then((r) => setUsers(r.users), (e) => setError(e.message));
  useEffect(() => {
    load();
  }, []);
  const act = (fn) => async () => {
    setError('');
    try {
      await fn();
    } catch (err) {
      setError(err.message);
    }
    load();
  };
  const columns = [
    { key: 'name', label: 'User', render: (u) => <b>{u.name}</b> },
    { key: 'display_name', label: 'Name', class: 'hide-sm' },
    {
      key: 'role', label: 'Role',
      render: (u) => (
        <select value={u.role} aria-label={`Role of ${u.name}`} onChange={(e) => act(() => api(`api/v1/users/${u.name}`, { method: 'PATCH', body: { role: e.currentTarget.value } }))()}>
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </select>
      ),
    },
    { key: 'enabled', label: 'Enabled', render: (u) => (u.enabled ? 'yes' : <span class="badge op-down">disabled</span>) },
    { key: 'totp_enabled', label: '2FA', render: (u) => (u.totp_enabled ? 'on' : 'off') },
    {
      key: 'throttled_addresses', label: 'Failed logins', numeric: true, class: 'hide-sm',
      render: (u) =>
        u.throttled_addresses > 0 ? (
          <span class="badge op-down" title={`until ${dateTime(u.locked_until_ms)}`}>
            {u.throttled_addresses} address{u.throttled_addresses > 1 ? 'es' : ''} waiting
          </span>
        ) : (
          '–'
        ),
    },
    { key: 'last_login_ms', label: 'Last login', numeric: true, class: 'hide-sm', render: (u) => (u.last_login_ms ? dateTime(u.last_login_ms) : 'never') },
    {
      key: 'actions', label: '', sortable: false,
      render: (u) =>
        u.name === me ? (
          <span class="muted">you</span>
        ) : (
          <span class="actions">
            <button type="button" onClick={act(() => api(`api/v1/users/${u.name}`, { method: 'PATCH', body: { enabled: !u.enabled } }))}>
              {u.enabled ? 'Disable' : 'Enable'}
            </button>
            {u.throttled_addresses > 0 && (
              <button type="button" data-action="unlock" onClick={act(() => api(`api/v1/users/${u.name}/unlock`, { method: 'POST' }))}>
                Unlock
              </button>
            )}
            {u.totp_enabled && (
              <button type="button" onClick={act(() => window.confirm(`Remove ${u.name}'s second factor?`) && api(`api/v1/users/${u.name}/reset-2fa`, { method: 'POST' }))}>
                Reset 2FA
              </button>
            )}
            <button
              type="button"
              onClick={act(() => {
                const password = window.prompt(`A temporary password for ${u.name} (12 characters or more); they must change it at their next login:`);
                return password && api(`api/v1/users/${u.name}/password`, { method: 'POST', body: { password, temporary: true } });
              })}
            >
              Set password
            </button>
            <button type="button" class="danger" onClick={act(() => window.confirm(`Delete ${u.name}? Their sessions and API tokens end.`) && api(`api/v1/users/${u.name}`, { method: 'DELETE' }))}>
              Delete
            </button>
          </span>
        ),
    },
  ];
  return (
    <div class="stack">
      <NewUser onCreated={load} />
      {error && <p class="form-error" role="alert">{error}</p>}
      <DataTable name="users" columns={columns} rows={users} rowKey={(u) => u.name} maxHeight="none" empty="No users." />
    </div>
  );
}

const auditColumns = [
  { key: 'time_ms', label: 'Time', render: (e) => dateTime(e.time_ms) },
  { key: 'user', label: 'User', render: (e) => e.user ?? '–' },
  { key: 'source', label: 'From', class: 'mono hide-sm' },
  { key: 'action', label: 'Action', class: 'mono' },
  { key: 'target', label: 'Target', class: 'hide-sm', render: (e) => e.target ?? '' },
  { key: 'outcome', label: 'Outcome', render: (e) => <span class={`badge outcome-${e.outcome}`}>{e.outcome}</span> },
  { key: 'detail', label: 'Detail', class: 'hide-md', render: (e) => e.detail ?? '' },
];

function Audit() {
  const [filters, setFilters] = useState({ user: '', action: '', outcome: '' });
  const [page, setPage] = useState({ entries: [], total: 0 });
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState('');
  const limit = 50;
  useEffect(() => {
    const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    for (const [k, v] of Object.entries(filters)) if (v.trim()) q.set(k, v.trim());
    api(`api/v1/audit?${q}`).then(setPage, (e) => setError(e.message));
  }, [filters, offset]);
  const set = (key) => (e) => {
    setOffset(0);
    setFilters({ ...filters, [key]: e.currentTarget.value });
  };
  return (
    <div class="stack">
      <div class="toolbar">
        <input type="search" placeholder="User" value={filters.user} onInput={set('user')} aria-label="User" />
        <select value={filters.action} onChange={set('action')} aria-label="Action">
          <option value="">any action</option>
          <option value="login">login</option>
          <option value="logout">logout</option>
          <option value="refresh.">refresh</option>
          <option value="user.">user changes</option>
          <option value="token.">API tokens</option>
          <option value="totp.">second factor</option>
        </select>
        <select value={filters.outcome} onChange={set('outcome')} aria-label="Outcome">
          <option value="">any outcome</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
          <option value="denied">denied</option>
        </select>
        <span class="muted small" data-field="audit-total">{page.total} entries</span>
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      <DataTable name="audit" columns={auditColumns} rows={page.entries} rowKey={(e) => e.id} maxHeight="60vh" empty="Nothing recorded that matches." />
      <div class="toolbar">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>
          Newer
        </button>
        <button type="button" disabled={offset + limit >= page.total} onClick={() => setOffset(offset + limit)}>
          Older
        </button>
      </div>
    </div>
  );
}

export function Admin() {
  return (
    <div class="page admin">
      <div class="page-head">
        <h1>Administration</h1>
      </div>
      <Card title="Users" id="users">
        <Users />
      </Card>
      <Card title="Audit log" id="audit">
        <Audit />
      </Card>
    </div>
  );
}
