// Your account: password, second factor (TOTP with a QR code and recovery codes), API tokens.
import qrcode from 'qrcode-generator';
import { useEffect, useState } from 'preact/hooks';
import { api, currentSession } from '../auth.js';
import { Card, DataTable } from '../components.jsx';
import { dateTime } from '../format.js';
import { PasswordForm } from './login.jsx';

function Qr({ text }) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  // A data: URL image: allowed by the page's CSP (img-src 'self' data:), no inline markup.
  return <img class="qr" alt="QR code of the otpauth:// URI" src={qr.createDataURL(5, 8)} />;
}

function SecondFactor() {
  const [me, setMe] = useState(null);
  const [enrolment, setEnrolment] = useState(null);
  const [codes, setCodes] = useState(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const load = () => api('api/v1/auth/me').then(setMe, (e) => setError(e.message));
  useEffect(() => {
    load();
  }, []);
  const run = (fn) => async (e) => {
    e?.preventDefault();
    setError('');
    try {
      await fn();
    } catch (err) {
      setError(err.message);
    }
  };
  if (!me) return <p class="muted">Loading…</p>;
  if (codes) {
    return (
      <div class="stack" data-field="recovery-codes">
        <p>
          <b>Second factor on.</b> Keep these recovery codes somewhere safe: each signs you in once without your phone. They are shown
          only now.
        </p>
        <ul class="codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => setCodes(null)}>
          Done
        </button>
      </div>
    );
  }
  if (me.totp_enabled) {
    return (
      <form class="stack" onSubmit={run(async () => {
        await api('api/v1/auth/totp', { method: 'DELETE', body: { password } });
        setPassword('');
        await load();
      })}>
        <p>
          Second factor: <b data-field="totp-state">on</b>. Logins ask for a code from your authenticator app.
        </p>
        <label>
          Password, to remove it
          <input type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit">Remove second factor</button>
      </form>
    );
  }
  if (enrolment) {
    return (
      <form class="stack" data-form="totp-confirm" onSubmit={run(async () => {
        const r = await api('api/v1/auth/totp/confirm', { method: 'POST', body: { code: code.trim() } });
        setEnrolment(null);
        setCode('');
        setCodes(r.recovery_codes);
        await load();
      })}>
        <p>Scan this with an authenticator app (or type the key), then enter the code it shows.</p>
        <Qr text={enrolment.otpauth_uri} />
        <p class="mono small" data-field="totp-secret">{enrolment.secret.match(/.{1,4}/g).join(' ')}</p>
        <label>
          Code
          <input name="code" inputMode="numeric" autocomplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        </label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" class="primary">Turn on</button>
      </form>
    );
  }
  return (
    <form class="stack" data-form="totp-enrol" onSubmit={run(async () => {
      setEnrolment(await api('api/v1/auth/totp', { method: 'POST', body: { password } }));
      setPassword('');
    })}>
      <p>
        Second factor: <b data-field="totp-state">off</b>. With it on, a stolen password is not enough to sign in.
      </p>
      <label>
        Password, to set it up
        <input type="password" name="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="submit" class="primary" data-action="totp-enrol">
        Set up an authenticator app
      </button>
    </form>
  );
}

const tokenColumns = (revoke) => [
  { key: 'name', label: 'Name' },
  { key: 'role', label: 'Role' },
  { key: 'prefix', label: 'Starts with', class: 'mono' },
  { key: 'created_ms', label: 'Created', numeric: true, render: (t) => dateTime(t.created_ms) },
  { key: 'expires_ms', label: 'Expires', numeric: true, class: 'hide-sm', render: (t) => (t.expires_ms ? dateTime(t.expires_ms) : 'never') },
  { key: 'last_used_ms', label: 'Last used', numeric: true, class: 'hide-sm', render: (t) => (t.last_used_ms ? dateTime(t.last_used_ms) : '–') },
  {
    key: 'actions', label: '', sortable: false,
    render: (t) => (t.revoked ? <span class="muted">revoked</span> : <button type="button" onClick={() => revoke(t)}>Revoke</button>),
  },
];

function Tokens() {
  const [tokens, setTokens] = useState([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [days, setDays] = useState('90');
  const [password, setPassword] = useState('');
  const [made, setMade] = useState(null);
  const [error, setError] = useState('');
  const load = () => api('api/v1/auth/tokens').then((r) => setTokens(r.tokens), (e) => setError(e.message));
  useEffect(() => {
    load();
  }, []);
  const myRole = currentSession()?.user?.role || 'viewer';
  const roles = ['viewer', 'operator', 'admin'].slice(0, ['viewer', 'operator', 'admin'].indexOf(myRole) + 1);
  const create = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const body = { name: name.trim(), role, password };
      if (days) body.expires_in_days = Number(days);
      setMade(await api('api/v1/auth/tokens', { method: 'POST', body }));
      setName('');
      setPassword('');
      load();
    } catch (err) {
      setError(err.message);
    }
  };
  const revoke = async (t) => {
    if (!window.confirm(`Revoke the token "${t.name}"? Scripts using it stop working.`)) return;
    await api(`api/v1/auth/tokens/${t.id}`, { method: 'DELETE' }).catch((err) => setError(err.message));
    load();
  };
  return (
    <div class="stack">
      <p class="muted">For scripts and Prometheus: send <code>Authorization: Bearer TOKEN</code>. A token never has more than your role.</p>
      {made && (
        <div class="notice" data-field="new-token">
          New token <b>{made.name}</b>, shown only now: <code class="token">{made.token}</code>
        </div>
      )}
      <form class="toolbar" onSubmit={create} data-form="token">
        <input name="name" placeholder="Name, e.g. prometheus" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <select value={role} onChange={(e) => setRole(e.currentTarget.value)} aria-label="Role">
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <select value={days} onChange={(e) => setDays(e.currentTarget.value)} aria-label="Expires">
          <option value="30">30 days</option>
          <option value="90">90 days</option>
          <option value="365">a year</option>
          <option value="">never</option>
        </select>
        <input type="password" name="password" placeholder="Your password" aria-label="Your password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="primary">Create token</button>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      <DataTable name="tokens" columns={tokenColumns(revoke)} rows={tokens} rowKey={(t) => t.id} maxHeight="none" empty="No API tokens." />
    </div>
  );
}

export function Profile() {
  const user = currentSession()?.user;
  return (
    <div class="page profile">
      <div class="page-head">
        <h1>Your account</h1>
        <span class="muted">
          {user?.name} · {user?.role}
        </span>
      </div>
      <div class="grid">
        <Card title="Password" id="password">
          <PasswordForm />
        </Card>
        <Card title="Second factor" id="totp">
          <SecondFactor />
        </Card>
      </div>
      <Card title="API tokens" id="tokens">
        <Tokens />
      </Card>
    </div>
  );
}
