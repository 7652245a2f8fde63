// The login screen (password, then the second factor when the account has one) and the
// forced password change of an account with a temporary password.
import { useState } from 'preact/hooks';
import { changePassword, login } from '../auth.js';

export function Login({ onDone }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [needOtp, setNeedOtp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await login(username.trim(), password, needOtp ? otp.trim() : undefined);
      onDone();
    } catch (err) {
      if (err.type === 'otp-required') {
        setNeedOtp(true);
      } else {
        setError(err.message || 'Login failed');
        if (err.type === 'invalid-otp') setOtp('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login-wrap">
      <form class="card login" onSubmit={submit} data-form="login">
        <div class="login-brand">
          <span class="logo" aria-hidden="true" /> Hyperion
        </div>
        {!needOtp ? (
          <>
            <label>
              User name
              <input name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
            </label>
            <label>
              Password
              <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
            </label>
          </>
        ) : (
          <label>
            Code from your authenticator app (or a recovery code)
            <input name="otp" inputMode="numeric" autocomplete="one-time-code" required autoFocus value={otp} onInput={(e) => setOtp(e.currentTarget.value)} />
          </label>
        )}
        {error && (
          <p class="form-error" role="alert" data-field="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : needOtp ? 'Verify' : 'Sign in'}
        </button>
        {needOtp && (
          <button type="button" class="link" onClick={() => { setNeedOtp(false); setOtp(''); setError(''); }}>
            Back
          </button>
        )}
      </form>
    </div>
  );
}

// A new password, typed twice; `current` is asked for unless given (the forced change after
// a login knows it only if the user types it again: the server wants it).
export function PasswordForm({ onDone, submitLabel = 'Change password' }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    setDone(false);
    if (next !== again) return setError('The two new passwords differ.');
    setBusy(true);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      setDone(true);
      onDone?.();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={submit} data-form="password">
      <label>
        Current password
        <input name="current" type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
      </label>
      <label>
        New password <span class="muted small">(12 characters or more)</span>
        <input name="new" type="password" autocomplete="new-password" minLength={12} required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
      </label>
      <label>
        New password again
        <input name="again" type="password" autocomplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
      </label>
      {error && <p class="form-error" role="alert">{error}</p>}
      {done && <p class="form-ok" role="status">Password changed.</p>}
      <button type="submit" class="primary" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  );
}

export function ForcedPasswordChange({ onDone }) {
  return (
    <div class="login-wrap">
      <div class="card login" data-page="forced-password">
        <h1>Choose your password</h1>
        <p class="muted">This account has a temporary password. Choose your own before going on.</p>
        <PasswordForm onDone={onDone} submitLabel="Set password and continue" />
      </div>
    </div>
  );
}
