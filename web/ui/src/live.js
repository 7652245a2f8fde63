// The WebSocket client: one socket to /api/v1/live carrying every topic the open pages want.
// Topics are reference-counted: the first listener subscribes, the last one leaving
// unsubscribes. A lost connection is retried with exponential backoff (with jitter), and every
// topic is subscribed again when it comes back. Protocol: docs/LIVE.md.

export const Status = Object.freeze({
  connecting: 'connecting',
  open: 'open',
  retrying: 'retrying',
});

export class LiveClient {
  // url: ws:// or wss:// address of /api/v1/live.
  // token: () => string | null; when it gives a token, it is sent as the first message
  //        ({"auth": token}), for servers that require one and cannot use a cookie.
  // onAuthError: called when the server says the credentials are missing, expired or revoked.
  constructor({ url, token = () => null, onAuthError = () => {}, minDelayMs = 500, maxDelayMs = 10000, staleAfterMs = 20000 }) {
    this.url = url;
    this.token = token;
    this.onAuthError = onAuthError;
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.staleAfterMs = staleAfterMs;
    this.topics = new Map(); // topic -> { listeners: Set, intervalMs, frame }
    this.stateListeners = new Set();
    this.state = { status: Status.connecting, attempt: 0, retryAt: null, lastFrameAt: null, error: null };
    this.socket = null;
    this.retryTimer = null;
    this.watchdog = null;
    this.stopped = true;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.onOnline = () => this.reconnectNow();
    window.addEventListener('online', this.onOnline);
    this.connect();
    this.watchdog = setInterval(() => this.checkStale(), 1000);
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000, 'page closed');
    this.socket = null;
  }

  // Calls fn(frame) for every frame of the topic, and at once with the latest one held.
  // Returns the function that removes the listener.
  subscribe(topic, fn, intervalMs = null) {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { listeners: new Set(), intervalMs, frame: null };
      this.topics.set(topic, entry);
      this.send({ subscribe: [this.topicRequest(topic, entry)] });
    }
    entry.listeners.add(fn);
    if (entry.frame) fn(entry.frame);
    return () => {
      entry.listeners.delete(fn);
      if (entry.listeners.size === 0 && this.topics.get(topic) === entry) {
        this.topics.delete(topic);
        this.send({ unsubscribe: [topic] });
      }
    };
  }

  latest(topic) {
    return this.topics.get(topic)?.frame ?? null;
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  // New credentials for the open socket (after the page refreshed its session).
  renew(token) {
    if (token) this.send({ auth: token });
  }

  reconnectNow() {
    if (this.stopped || this.state.status === Status.open) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  // --- internals

  topicRequest(topic, entry) {
    return entry.intervalMs ? { topic, interval_ms: entry.intervalMs } : topic;
  }

  setState(patch) {
    this.state = { ...this.state, ...patch };
    for (const fn of this.stateListeners) fn(this.state);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  connect() {
    if (this.stopped) return;
    this.setState({ status: this.state.attempt === 0 ? Status.connecting : Status.retrying, retryAt: null });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (e) {
      this.setState({ error: String(e) });
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (!this.firstOpenMarked) {
        this.firstOpenMarked = true;
        performance.mark('hyperion:socket-open');
      }
      const token = this.token();
      if (token) socket.send(JSON.stringify({ auth: token }));
      this.setState({ status: Status.open, attempt: 0, error: null, lastFrameAt: Date.now() });
      const all = [...this.topics.entries()].map(([topic, entry]) => this.topicRequest(topic, entry));
      if (all.length) socket.send(JSON.stringify({ subscribe: all }));
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setState({ error: event.reason || (event.code === 1006 ? 'connection lost' : `closed (${event.code})`) });
      this.scheduleRetry();
    };
    // onerror is always followed by onclose, which does the work.
    socket.onerror = () => {};
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    this.state.lastFrameAt = Date.now();
    if (!this.firstFrameMarked && message.topic) {
      this.firstFrameMarked = true;
      performance.mark('hyperion:first-frame');
    }
    if (message.error) {
      const type = message.error.type;
      if (type === 'unauthenticated' || type === 'session-expired') {
        this.onAuthError(type);
      } else {
        console.warn('hyperion live:', type, message.error.detail);
      }
      this.setState({ error: message.error.detail });
      return;
    }
    if (!message.topic) return;
    const entry = this.topics.get(message.topic);
    if (!entry) return;
    entry.frame = message;
    for (const fn of [...entry.listeners]) fn(message);
  }

  scheduleRetry() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const attempt = this.state.attempt + 1;
    const ceiling = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (attempt - 1));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.setState({ status: Status.retrying, attempt, retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // A socket that is open but silent for too long (a half-open TCP connection, a suspended
  // laptop) is closed and retried; the daemon sends something at least every few seconds.
  checkStale() {
    if (this.state.status !== Status.open || !this.socket || this.topics.size === 0) return;
    if (Date.now() - this.state.lastFrameAt > this.staleAfterMs) {
      const socket = this.socket;
      this.socket = null;
      socket.close(4000, 'no data');
      this.setState({ error: 'no data received' });
      this.scheduleRetry();
    }
  }
}

export function liveUrl(base = window.location.href) {
  const url = new URL('api/v1/live', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  return url.toString();
}
