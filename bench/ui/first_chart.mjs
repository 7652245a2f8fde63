// Time to first chart and bytes on the wire for the dashboard, in Debian's Chromium against a
// running hyperiond on loopback, for a signed-in user (the session cookies set by a login
// before the page loads, as for someone coming back). Each cold run is a new browser context
// (empty cache); each warm run reloads in the same context (immutable assets from cache, the
// page revalidated).
//   node bench/ui/first_chart.mjs URL RUNS USER PASSWORD
import { launch } from '../../tests/ui/harness.mjs';

const [url, runsArg, username, password] = process.argv.slice(2);
const runs = Number(runsArg || 30);

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { median: q(0.5), p95: q(0.95), min: v[0], max: v[v.length - 1] };
}

async function measure(page) {
  await page.waitForFunction(() => performance.getEntriesByName('hyperion:first-chart').length > 0, null, { timeout: 10000 });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
    return {
      firstChart: at('hyperion:first-chart'),
      firstFrame: at('hyperion:first-frame'),
      socketOpen: at('hyperion:socket-open'),
      scriptStart: performance.getEntriesByType('resource').find((r) => r.name.endsWith('.js'))?.responseEnd ?? null,
      domContentLoaded: nav.domContentLoadedEventEnd,
      transferred: nav.transferSize + resources.reduce((s, r) => s + (r.transferSize || 0), 0),
      decoded: nav.decodedBodySize + resources.reduce((s, r) => s + (r.decodedBodySize || 0), 0),
    };
  });
}

const browser = await launch();
const cold = [];
const warm = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const login = await context.request.post(`${url}api/v1/auth/login`, { data: { username, password } });
    if (!login.ok()) throw new Error(`login: ${login.status()} ${await login.text()}`);
    const page = await context.newPage();
    await page.goto(url);
    cold.push(await measure(page));
    await page.reload();
    warm.push(await measure(page));
    await context.close();
  }
} finally {
  await browser.close();
}

const row = (name, list, key, unit, digits = 0) => {
  const s = stats(list.map((m) => m[key]));
  const f = (x) => (unit === 'KiB' ? (x / 1024).toFixed(1) : x.toFixed(digits));
  return `| ${name} | ${f(s.median)} | ${f(s.p95)} | ${f(s.min)} | ${f(s.max)} |`;
};
console.log(`${runs} runs each, ${url}\n`);
console.log('| measure | median | p95 | min | max |\n| --- | ---: | ---: | ---: | ---: |');
console.log(row('cold: script received (ms)', cold, 'scriptStart'));
console.log(row('cold: WebSocket open (ms)', cold, 'socketOpen'));
console.log(row('cold: first live frame (ms)', cold, 'firstFrame'));
console.log(row('cold: first chart drawn (ms)', cold, 'firstChart'));
console.log(row('cold: DOMContentLoaded (ms)', cold, 'domContentLoaded'));
console.log(row('cold: bytes transferred (KiB)', cold, 'transferred', 'KiB'));
console.log(row('cold: bytes decoded (KiB)', cold, 'decoded', 'KiB'));
console.log(row('warm: first chart drawn (ms)', warm, 'firstChart'));
console.log(row('warm: bytes transferred (KiB)', warm, 'transferred', 'KiB'));
