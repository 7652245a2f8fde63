// What every browser test needs: the real hyperiond on 127.0.0.1, Debian's Chromium driven by
// playwright-core (from web/ui's locked npm packages; never a downloaded browser), and a page
// that fails the test on any script error or failed request.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = join(here, '../../web/ui');
export const hyperiond = process.env.HYPERIOND || join(here, '../../build/dev/daemon/hyperiond');
export const artifacts = process.env.HYPERION_UI_ARTIFACTS || join(tmpdir(), 'hyperion-ui-artifacts');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

export function fail(message) {
  throw new Error(message);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls fn until it returns a truthy value; fails with `what` after timeoutMs.
export async function until(what, fn, timeoutMs = 10000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(everyMs);
  }
  fail(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

// The account every test logs in with, added by the real `hyperiond user add` before the
// daemon starts; cheap password hashing keeps each login to milliseconds.
export const user = { name: 'tester', password: 'browser-test-password-1' };
export const authFast = ['--auth-password-memory', '8MiB', '--auth-password-iterations', '1'];

export function addUser(dataDir, name, role, password, extra = []) {
  const r = spawnSync(hyperiond, ['user', 'add', name, '--role', role, '--password-stdin', '--data-dir', dataDir, ...authFast, ...extra], {
    input: `${password}\n`,
    encoding: 'utf8',
  });
  check(r.status === 0, `hyperiond user add ${name}: ${r.stderr}`);
}

export class Daemon {
  // port 0: the kernel picks one, read back from the log. `dir`: reuse a data directory (a
  // restart keeps its accounts).
  // extra: more command-line arguments.
  static async start(port = 0, dir = null, extra = []) {
    const d = new Daemon();
    d.dir = dir || mkdtempSync(join(tmpdir(), 'hyperion-ui-'));
    d.log = '';
    if (!dir) addUser(join(d.dir, 'var'), user.name, 'admin', user.password);
    d.proc = spawn(hyperiond, ['--listen', `127.0.0.1:${port}`, '--data-dir', join(d.dir, 'var'), ...authFast, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, JOURNAL_STREAM: '' },
    });
    d.proc.stderr.on('data', (b) => (d.log += b.toString()));
    d.exited = new Promise((resolve) => d.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const m = await until('hyperiond to listen', () => /listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(d.log) || (d.proc.exitCode !== null && fail(`hyperiond exited: ${d.log}`)), 10000, 20);
    d.port = Number(m[1]);
    d.url = `http://127.0.0.1:${d.port}/`;
    // the first samples (the API answers 503 before them)
    await until('the first samples', async () => {
      try {
        return (await fetch(`${d.url}healthz`)).status === 200;
      } catch {
        return false;
      }
    });
    return d;
  }

  // keep: leave the data directory for a restart.
  async stop({ keep = false } = {}) {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const { code, signal } = await this.exited;
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
    check(code === 0, `hyperiond exited with ${code ?? signal}: ${this.log.slice(-2000)}`);
  }
}

export async function launch() {
  check(existsSync(chromiumPath), `${chromiumPath} is missing: install Debian's chromium (packaging/install-deps.sh --tests)`);
  const require = createRequire(join(uiDir, 'package.json'));
  let playwright;
  try {
    playwright = require('playwright-core');
  } catch {
    fail(`playwright-core is not installed in ${uiDir}: run npm ci there (the build does)`);
  }
  // Playwright gives the browser a fresh temporary profile and removes it on close. The
  // networking flags keep Chromium from calling out (this machine's network is closed).
  return playwright.chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page that records script errors, console errors and failed requests; call
// page.assertClean() at the end. `allowFailures` lists patterns expected to fail (a restart).
export async function openPage(browser, { width = 1280, height = 800, colorScheme = 'light', context } = {}) {
  const ctx = context || (await browser.newContext({ viewport: { width, height }, colorScheme }));
  const page = await ctx.newPage();
  page.problems = [];
  page.allowed = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !page.allowed.some((re) => re.test(m.text()))) page.problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && process.env.HYPERION_UI_DEBUG) console.error(`debug: ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    const line = `request failed: ${r.url()} ${r.failure()?.errorText}`;
    if (!page.allowed.some((re) => re.test(line))) page.problems.push(line);
  });
  page.assertClean = () => check(page.problems.length === 0, page.problems.join('\n'));
  return page;
}

export function screenshotPath(name) {
  mkdirSync(artifacts, { recursive: true });
  return join(artifacts, `${name}.png`);
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// Signs in through the login form, as a person would.
export async function login(page, name = user.name, password = user.password) {
  await page.waitForSelector('[data-form="login"]', { timeout: 10000 });
  await page.fill('[data-form="login"] input[name="username"]', name);
  await page.fill('[data-form="login"] input[name="password"]', password);
  await page.click('[data-form="login"] button[type="submit"]');
}
