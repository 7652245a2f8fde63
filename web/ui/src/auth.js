// The session: who is logged in, and the calls that need credentials.
//
// The server keeps the session in HttpOnly cookies (SameSite=Strict): the access token (15
// minutes), the refresh token (sent only to /api/v1/auth) and a CSRF token that this code reads
// and echoes in X-CSRF-Token on every request that changes something. Before the access token
// expires, refresh() trades the refresh token for new ones; a 401 anywhere tries one refresh and
// otherwise sends the app to its login screen.

const listeners = new Set();
let session = null; // { user: {name, role, ...}, expiresAt }
let refreshTimer = 0;
let refreshing = null;

export class HttpError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.type = problem?.type?.split('/').pop() || '';
  }
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)hyperion_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

function notify() {
  for (const fn of listeners) fn(session);
}

export function onSession(fn) {
  listeners.add(fn);
  fn(session);
  return () => listeners.delete(fn);
}

export function currentSession() {
  return session;
}

export function hasRole(role) {
  const rank = { viewer: 1, operator: 2, admin: 3 };
  return !!session && rank[session.user.role] >= rank[role];
}

async function request(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  const response = await fetch(new URL(path, window.location.href), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const type = response.headers.get('Content-Type') || '';
  const payload = type.includes('json') ? await response.json() : null;
  if (!response.ok) throw new HttpError(response.status, payload);
  return payload;
}

// A call to the API; on 401 one refresh is tried, then the login screen.
export async function api(path, options = {}) {
  try {
    return await request(path, options);
  } catch (e) {
    if (!(e instanceof HttpError) || e.status !== 401 || path.startsWith('api/v1/auth/login')) throw e;
    if (await refresh()) return request(path, options);
    end();
    throw e;
  }
}

function schedule(expiresIn) {
  clearTimeout(refreshTimer);
  // A minute before expiry (at least halfway), so that a slow network still makes it.
  const ms = Math.max(5000, Math.min(expiresIn * 1000 - 60000, (expiresIn * 1000) / 2));
  refreshTimer = setTimeout(() => refresh(), ms);
}

function started(tokens) {
  session = { user: tokens.user, expiresAt: Date.now() + tokens.expires_in * 1000, accessToken: tokens.access_token };
  schedule(tokens.expires_in);
  notify();
}

function end() {
  clearTimeout(refreshTimer);
  if (session) {
    session = null;
    notify();
  }
}

// POST /api/v1/auth/login. Throws HttpError: type "otp-required" asks for the second factor.
export async function login(username, password, otp) {
  const body = { username, password };
  if (otp) body.otp = otp;
  started(await request('api/v1/auth/login', { method: 'POST', body }));
  await loadMe();
}

// Trades the refresh cookie for new tokens; false when the session is gone.
export function refresh() {
  if (!refreshing) {
    refreshing = request('api/v1/auth/refresh', { method: 'POST' })
      .then((tokens) => {
        started(tokens);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

async function loadMe() {
  const me = await request('api/v1/auth/me');
  session = { ...(session || {}), user: me };
  notify();
  return me;
}

// At start: an existing session (cookies from before), refreshed if need be; null if none.
export async function resume() {
  // No CSRF cookie: no session was ever started in this browser (or it logged out). Straight to
  // the login screen, without a request that can only fail.
  if (!csrfToken()) return null;
  try {
    return await loadMe();
  } catch (e) {
    if (e.status === 403 && e.type === 'password-change-required') {
      session = { user: { must_change_password: true, name: '', role: 'viewer' } };
      notify();
      return session.user;
    }
    if (await refresh()) return loadMe();
    end();
    return null;
  }
}

export async function logout() {
  try {
    await request('api/v1/auth/logout', { method: 'POST' });
  } finally {
    end();
  }
}

export async function changePassword(currentPassword, newPassword) {
  const r = await request('api/v1/auth/password', {
    method: 'POST',
    body: { current_password: currentPassword, new_password: newPassword },
  });
  if (r.access_token) started(r);
  else await refresh();
  await loadMe();
}

// The access token of this page's session, for the WebSocket's {"auth": ...} renewal.
export function token() {
  return session?.accessToken ?? null;
}
