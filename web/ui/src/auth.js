// Where authentication plugs in. Today the daemon serves loopback only and asks for no
// credentials: there is no token and no login. When accounts arrive, the session lives in an
// HttpOnly cookie (sent with every request and with the WebSocket upgrade by the browser);
// `token()` is for a client that must carry a token itself, and a 401 anywhere sends the app
// to its login screen through `onLoginRequired`.

const listeners = new Set();

export function token() {
  return null;
}

export function onLoginRequired(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export class HttpError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// GET/POST a path relative to the page (so the dashboard also works behind a reverse proxy
// under a sub-path); JSON in and out; problem+json errors become HttpError.
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(new URL(path, window.location.href), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const type = response.headers.get('Content-Type') || '';
  const payload = type.includes('json') ? await response.json() : null;
  if (response.status === 401) for (const fn of listeners) fn();
  if (!response.ok) throw new HttpError(response.status, payload);
  return payload;
}
