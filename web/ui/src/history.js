// In-memory history for the charts: one History per topic, each a time column and named
// value columns, trimmed to the last `windowMs` (15 minutes). Columns appear when first seen
// (a new interface) and are padded with nulls, so every column has the time column's length.
// A gap in the data (a lost connection) gets a null row, so charts break the line there.

export class History {
  constructor({ windowMs = 15 * 60 * 1000, gapFactor = 3 } = {}) {
    this.windowMs = windowMs;
    this.gapFactor = gapFactor;
    this.t = []; // seconds since the epoch (uPlot's x unit)
    this.columns = new Map();
    this.listeners = new Set();
    this.interval = null; // seconds: a moving average of the spacing between samples
  }

  // Forgets every sample (another host is shown); listeners are told.
  clear() {
    this.t = [];
    this.columns = new Map();
    this.interval = null;
    for (const fn of this.listeners) fn(this);
  }

  column(name) {
    let c = this.columns.get(name);
    if (!c) {
      c = new Array(this.t.length).fill(null);
      this.columns.set(name, c);
    }
    return c;
  }

  // values: { name: number | null }; names absent this time get null.
  push(timestampMs, values) {
    const t = timestampMs / 1000;
    const last = this.t.length ? this.t[this.t.length - 1] : null;
    if (last !== null && t <= last) return; // the same snapshot again (a resubscription)
    if (last !== null) {
      const step = t - last;
      if (this.interval !== null && step > this.gapFactor * this.interval) {
        this.appendRow(last + step / 2, {});
      } else {
        this.interval = this.interval === null ? step : 0.8 * this.interval + 0.2 * step;
      }
    }
    this.appendRow(t, values);
    this.trim(t);
    for (const fn of this.listeners) fn(this);
  }

  appendRow(t, values) {
    this.t.push(t);
    for (const name of Object.keys(values)) this.column(name);
    for (const [name, c] of this.columns) {
      const v = values[name];
      c.push(v === undefined ? null : v);
    }
  }

  trim(now) {
    const cutoff = now - this.windowMs / 1000;
    let n = 0;
    while (n < this.t.length && this.t[n] < cutoff) n++;
    if (n === 0) return;
    this.t.splice(0, n);
    for (const [name, c] of this.columns) {
      c.splice(0, n);
      if (c.every((v) => v === null)) this.columns.delete(name);
    }
  }

  // Rows recorded before the first one held (the charts' backfill from the daemon's history):
  // t in seconds, ascending; columns: { name: [value | null] }. Rows at or after the first
  // held row are dropped; a gap between the two parts gets a null row.
  prepend(t, columns) {
    // Leading rows where nothing was recorded (the daemon was not running yet) are not drawn.
    const given = Object.values(columns).filter(Boolean);
    let start = 0;
    while (start < t.length && given.every((c) => c[start] == null)) start++;
    if (start > 0) {
      t = t.slice(start);
      columns = Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, c ? c.slice(start) : c]));
    }
    const first = this.t.length ? this.t[0] : Infinity;
    let n = 0;
    while (n < t.length && t[n] < first) n++;
    if (n === 0) return;
    const times = t.slice(0, n);
    const held = this.t.length;
    let gap = false;
    if (held) {
      const step = n > 1 ? times[n - 1] - times[n - 2] : this.interval ?? 1;
      gap = first - times[n - 1] > this.gapFactor * Math.max(step, this.interval ?? step);
    }
    const extra = gap ? 1 : 0;
    for (const name of Object.keys(columns)) this.column(name);
    for (const [name, c] of this.columns) {
      const given = columns[name];
      const head = given ? given.slice(0, n).map((v) => (v === undefined ? null : v)) : new Array(n).fill(null);
      if (extra) head.push(null);
      c.unshift(...head);
    }
    if (extra) times.push((times[n - 1] + first) / 2);
    this.t.unshift(...times);
    if (this.interval === null && n > 1) this.interval = times[n - 1] - times[n - 2];
    this.trim(this.t[this.t.length - 1]);
    for (const fn of this.listeners) fn(this);
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  names() {
    return [...this.columns.keys()];
  }
}
