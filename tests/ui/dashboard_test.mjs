// Browser tests of the dashboard: the real hyperiond, the real page, Debian's Chromium.
//   node dashboard_test.mjs --case NAME     (CTest runs one case per test)
//   node dashboard_test.mjs                 (every case)
// Environment: HYPERIOND (the binary), HYPERION_UI_ARTIFACTS (where screenshots go).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { Daemon, addUser, check, launch, login, openPage, screenshotPath, sleep, until, user } from './harness.mjs';

const pages = ['overview', 'processes', 'network', 'disks', 'containers', 'history', 'profile', 'admin'];

async function waitForLive(page) {
  await page.waitForSelector('[data-connection="open"]', { timeout: 10000 });
}

// Opens the dashboard at `hash`, signs in through the form and waits for live data.
async function signedIn(page, daemon, hash = '') {
  await page.goto(`${daemon.url}${hash}`);
  await login(page);
  await waitForLive(page);
}

async function chartPoints(page, label) {
  return Number(await page.getAttribute(`[data-chart="${label}"]`, 'data-points'));
}

// Column values of the process table's rendered rows.
async function columnValues(page, index, table = 'processes') {
  return page.$$eval(`[data-table="${table}"] tbody tr[data-key]`, (rows, i) => rows.map((r) => r.children[i].textContent.trim()), index);
}

// The current TOTP code of a base32 secret, from oathtool (an independent implementation).
function oathtool(secret) {
  const r = spawnSync('oathtool', ['--totp', '-b', secret.replace(/ /g, '')], { encoding: 'utf8' });
  check(r.status === 0, `oathtool: ${r.stderr}`);
  return r.stdout.trim();
}

async function loginError(page) {
  await page.waitForSelector('[data-field="login-error"]');
  return page.textContent('[data-field="login-error"]');
}

const cases = {
  // The login screen: a wrong password is refused with a message, the right one lets in,
  // the session survives a reload, and logging out ends it.
  async login({ browser, daemon }) {
    const page = await openPage(browser);
    page.allowed.push(/status of 401/);
    await page.goto(daemon.url);
    await login(page, user.name, 'not-the-password');
    check(/wrong/.test(await loginError(page)), 'a wrong password is refused with a reason');
    check((await page.$('[data-connection]')) === null, 'nothing of the dashboard shows before login');
    await login(page);
    await waitForLive(page);
    await page.reload();
    await waitForLive(page); // the cookie session resumes, no second login
    await page.click('[data-action="logout"]');
    await page.waitForSelector('[data-form="login"]');
    await page.reload();
    await page.waitForSelector('[data-form="login"]'); // logged out for good
    const status = await page.evaluate(async () => (await fetch('api/v1/hosts/local/system')).status);
    check(status === 401, `after logout the API refuses the browser: ${status}`);
    page.assertClean();
  },

  // A temporary password (from an admin) must be changed before anything else.
  async password({ browser, daemon }) {
    addUser(join(daemon.dir, 'var'), 'newcomer', 'viewer', 'temporary-password-1', ['--temporary']);
    const page = await openPage(browser);
    await page.goto(daemon.url);
    await login(page, 'newcomer', 'temporary-password-1');
    await page.waitForSelector('[data-page="forced-password"]');
    await page.fill('[data-form="password"] input[name="current"]', 'temporary-password-1');
    await page.fill('[data-form="password"] input[name="new"]', 'my-own-password-22');
    await page.fill('[data-form="password"] input[name="again"]', 'my-own-password-22');
    await page.click('[data-form="password"] button[type="submit"]');
    await waitForLive(page);
    check((await page.$('nav a[href="#/admin"]')) === null, 'a viewer sees no Admin page');
    await page.goto(`${daemon.url}#/admin`);
    check((await page.$('[data-table="users"]')) === null, 'nor reaches it by its address');
    page.allowed.push(/status of 403/); // the refusal below is the point
    const status = await page.evaluate(async () => (await fetch('api/v1/users')).status);
    check(status === 403, `and the server refuses a viewer the users API: ${status}`);
    page.assertClean();
  },

  // Second factor: enrol from the account page with the QR code's secret, then log in with a
  // code from oathtool.
  async totp({ browser, daemon }) {
    const page = await openPage(browser);
    page.allowed.push(/status of 401/);
    await signedIn(page, daemon, '#/profile');
    await page.fill('[data-form="totp-enrol"] input[name="password"]', user.password);
    await page.click('[data-action="totp-enrol"]');
    await page.waitForSelector('img.qr');
    const secret = await page.textContent('[data-field="totp-secret"]');
    await page.fill('[data-form="totp-confirm"] input[name="code"]', oathtool(secret));
    await page.click('[data-form="totp-confirm"] button[type="submit"]');
    await page.waitForSelector('[data-field="recovery-codes"]');
    const codes = await page.$$eval('[data-field="recovery-codes"] code', (els) => els.map((e) => e.textContent));
    check(codes.length === 10, `ten recovery codes: ${codes.length}`);
    await page.click('[data-action="logout"]');
    await login(page);
    await page.waitForSelector('[data-form="login"] input[name="otp"]');
    await page.fill('input[name="otp"]', '000000');
    await page.click('[data-form="login"] button[type="submit"]');
    check(/wrong|expired|used/.test(await loginError(page)), 'a wrong code is refused');
    // The enrolment used this step's code; wait for the next step so the code is new.
    await sleep(31000 - (Date.now() % 30000));
    await page.fill('input[name="otp"]', oathtool(secret));
    await page.click('[data-form="login"] button[type="submit"]');
    await waitForLive(page);
    page.assertClean();
  },

  // An admin adds a user from the Admin page; the audit log shows it; an API token made on
  // the account page works from a script.
  async admin({ browser, daemon }) {
    const page = await openPage(browser);
    await signedIn(page, daemon, '#/admin');
    await page.waitForSelector('[data-table="users"]');
    await page.fill('[data-form="new-user"] input[name="name"]', 'carol');
    await page.fill('[data-form="new-user"] input[name="password"]', 'temporary-pass-for-c1');
    await page.click('[data-form="new-user"] button[type="submit"]');
    await page.waitForSelector('[data-table="users"] tr[data-key="carol"]');
    await until('the audit log to show it', async () => {
      await page.reload();
      await waitForLive(page);
      await page.waitForSelector('[data-table="audit"]');
      return (await page.textContent('[data-table="audit"]')).includes('user.create');
    });
    await page.goto(`${daemon.url}#/profile`);
    await page.fill('[data-form="token"] input[name="name"]', 'script');
    await page.fill('[data-form="token"] input[name="password"]', user.password);
    await page.click('[data-form="token"] button[type="submit"]');
    await page.waitForSelector('[data-field="new-token"] code');
    const token = await page.textContent('[data-field="new-token"] code');
    const r = await fetch(`${daemon.url}api/v1/hosts/local/system`, { headers: { Authorization: `Bearer ${token}` } });
    check(r.status === 200, `the new API token reads the API: ${r.status}`);
    page.assertClean();
  },

  // The overview renders the live machine and its numbers move.
  async overview({ browser, daemon }) {
    const page = await openPage(browser);
    await signedIn(page, daemon);
    check((await page.textContent('[data-field="host"]')) === hostname(), 'the header names this host');
    check((await page.textContent('[data-field="user"]')) === user.name, 'the header names the user');
    await until('the CPU chart to have 2 samples', async () => (await chartPoints(page, 'CPU')) >= 2);
    for (const label of ['CPU', 'Memory', 'Load', 'Network', 'Disk throughput']) {
      check((await page.$(`[data-chart="${label}"] canvas`)) !== null, `the ${label} chart draws on a canvas`);
    }
    const fields = ['cpu-busy', 'memory-used', 'uptime', 'load1'];
    const read = async () => {
      const out = { points: await chartPoints(page, 'CPU'), legend: await page.textContent('[data-chart="CPU"] .u-legend') };
      for (const f of fields) out[f] = await page.textContent(`[data-field="${f}"]`);
      return out;
    };
    const before = await read();
    await sleep(3000);
    const after = await read();
    check(after.points >= before.points + 2, `the CPU chart gained samples in 3 s: ${before.points} -> ${after.points}`);
    check(/\d/.test(after.uptime), `uptime is shown: ${after.uptime}`);
    check(after.legend !== before.legend || after['cpu-busy'] !== before['cpu-busy'] || after['memory-used'] !== before['memory-used'],
      `live values change: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    check(/\d/.test(after['cpu-busy']) && /iB/.test(after['memory-used']), `numbers are shown: ${JSON.stringify(after)}`);
    const mark = await page.evaluate(() => performance.getEntriesByName('hyperion:first-chart').length);
    check(mark === 1, 'the first chart drew');
    // In the first minute the time axis reads in seconds, each tick its own time.
    const xlabels = (await page.getAttribute('[data-chart="CPU"]', 'data-xlabels')).split('|');
    check(xlabels.length >= 3 && new Set(xlabels).size === xlabels.length && xlabels.every((l) => /^\d\d:\d\d:\d\d$/.test(l)),
      `distinct HH:MM:SS ticks in the first minute: ${xlabels}`);
    page.assertClean();
  },

  // Sort by clicking headers; filter by text, user and state; the tree; the detail drawer.
  async processes({ browser, daemon }) {
    const marker = `${process.pid}.${Date.now() % 100000}`;
    const sleeper = spawn('sleep', [marker], { stdio: 'ignore' });
    try {
      const page = await openPage(browser);
      await signedIn(page, daemon, '#/processes');
      await until('our sleep in the table', async () => {
        await page.fill('[data-filter="text"]', marker);
        return (await columnValues(page, 0)).includes(String(sleeper.pid));
      });
      check((await columnValues(page, 0)).length === 1, 'the text filter leaves exactly our process');
      await page.fill('[data-filter="text"]', '');

      await page.click('button[data-sort="pid"]');
      let pids = (await columnValues(page, 0)).map(Number);
      check(pids.length > 10, `rows shown: ${pids.length}`);
      check(pids.every((p, i) => i === 0 || pids[i - 1] < p), `PID ascending: ${pids.slice(0, 10)}`);
      check((await page.getAttribute('th[aria-sort]', 'aria-sort')) === 'ascending', 'aria-sort says ascending');
      await page.click('button[data-sort="pid"]');
      pids = (await columnValues(page, 0)).map(Number);
      check(pids.every((p, i) => i === 0 || pids[i - 1] > p), `PID descending: ${pids.slice(0, 10)}`);

      await page.click('button[data-sort="rss_bytes"]'); // numeric columns sort largest first
      await page.click('[data-toggle="pause"]'); // hold the table still while reading it
      const rss = await page.$$eval('[data-table="processes"] tbody tr[data-key]', (rows) => rows.map((r) => r.children[5].textContent.trim()));
      const toBytes = (s) => {
        const [n, unit] = s.split(' ');
        return Number(n) * 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(unit);
      };
      const values = rss.map(toBytes);
      check(values.every((v, i) => i === 0 || values[i - 1] >= v * 0.999), `RSS descending: ${rss.slice(0, 8)}`);
      await page.click('[data-toggle="pause"]');

      await page.selectOption('[data-filter="state"]', 'S');
      const states = await columnValues(page, 2);
      check(states.length > 0 && states.every((s) => s === 'S'), `state filter: ${[...new Set(states)]}`);
      await page.selectOption('[data-filter="state"]', '');
      await page.selectOption('[data-filter="user"]', 'root');
      const users = await columnValues(page, 1);
      check(users.length > 0 && users.every((u) => u === 'root'), `user filter: ${[...new Set(users)]}`);
      await page.selectOption('[data-filter="user"]', '');

      // Tree: our sleep under this test's node process, its parent, shown above it.
      await page.fill('[data-filter="text"]', marker);
      await page.check('[data-toggle="tree"]');
      const tree = (await columnValues(page, 0)).map(Number);
      check(tree.includes(process.pid) && tree.includes(sleeper.pid), `tree keeps the ancestors of a match: ${tree}`);
      check(tree.indexOf(process.pid) < tree.indexOf(sleeper.pid), 'a parent comes before its child');
      const indent = await page.$eval(`tr[data-key="${sleeper.pid}"] .indent`, (e) => e.getBoundingClientRect().width);
      const parentIndent = await page.$eval(`tr[data-key="${process.pid}"] .indent`, (e) => e.getBoundingClientRect().width);
      check(indent > parentIndent, `a child is indented further: ${indent} vs ${parentIndent}`);

      await page.click(`tr[data-key="${sleeper.pid}"]`);
      await page.waitForSelector('[data-drawer="process"]');
      const cmdline = await page.textContent('[data-drawer="process"] [data-field="cmdline"]');
      check(cmdline === `sleep ${marker}`, `the drawer shows the command line: ${cmdline}`);
      check((await page.textContent('[data-drawer="process"] [data-field="threads"]')) === '1', 'threads');
      check((await page.textContent('[data-drawer="process"] [data-field="cgroup"]')).startsWith('/'), 'cgroup');
      await page.keyboard.press('Escape');
      check((await page.$('[data-drawer="process"]')) === null, 'Escape closes the drawer');
      await page.focus(`tr[data-key="${sleeper.pid}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-drawer="process"]');
      check((await page.textContent('[data-drawer="process"] h2')).includes(String(sleeper.pid)), 'Enter on a focused row opens its drawer');
      page.assertClean();
    } finally {
      sleeper.kill();
    }
  },

  // The theme follows the system, the toggle overrides it, and a reload remembers it.
  async theme({ browser, daemon }) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    const page = await openPage(browser, { context });
    await signedIn(page, daemon);
    const theme = async () => page.evaluate(() => document.documentElement.dataset.theme);
    const themeBecomes = (want) => page.waitForFunction((w) => document.documentElement.dataset.theme === w, want, { timeout: 5000 });
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check((await theme()) === 'dark', 'a dark system gives the dark theme');
    const darkBackground = await background();
    await page.click('button.theme'); // system -> light
    await themeBecomes('light');
    check((await page.getAttribute('button.theme', 'data-theme-choice')) === 'light', 'the toggle chose light');
    check((await theme()) === 'light', 'the light theme applies');
    check((await background()) !== darkBackground, 'the colours change');
    await page.reload();
    await waitForLive(page);
    check((await theme()) === 'light' && (await page.getAttribute('button.theme', 'data-theme-choice')) === 'light', 'light is remembered across a reload');
    await page.click('button.theme'); // light -> dark
    await themeBecomes('dark');
    await page.reload();
    check((await theme()) === 'dark', 'dark is remembered');
    await page.click('button.theme'); // dark -> system
    await page.waitForSelector('button.theme[data-theme-choice="system"]');
    await page.reload();
    check((await page.getAttribute('button.theme', 'data-theme-choice')) === 'system' && (await theme()) === 'dark', 'system follows the system again');
    page.assertClean();
    await context.close();
  },

  // Widgets hidden and reordered stay so after a reload.
  async layout({ browser, daemon }) {
    const page = await openPage(browser);
    await signedIn(page, daemon);
    const order = () => page.$$eval('.grid > [data-widget]', (cards) => cards.map((c) => c.dataset.widget));
    const initial = await order();
    check(initial[0] === 'identity' && initial.includes('sensors'), `default layout: ${initial}`);
    await page.click('[data-action="customize"]');
    await page.uncheck('[data-layout="sensors"] input[type="checkbox"]');
    await page.click('[data-layout="memory"] button[aria-label="Move Memory and swap up"]');
    const changed = await order();
    check(!changed.includes('sensors'), 'sensors hidden');
    check(changed.indexOf('memory') < changed.indexOf('cores'), `memory moved above cores: ${changed}`);
    await page.reload();
    await waitForLive(page);
    check(JSON.stringify(await order()) === JSON.stringify(changed), 'the layout survives a reload');
    await page.click('[data-action="customize"]');
    await page.click('.layout-editor button:has-text("Reset")');
    check(JSON.stringify(await order()) === JSON.stringify(initial), 'reset restores the default');
    page.assertClean();
  },

  // The daemon goes away and comes back on the same port: the page says so, reconnects by
  // itself and draws new data.
  async reconnect({ browser, daemon }) {
    const page = await openPage(browser);
    page.allowed.push(/api\/v1\/live/, /ERR_CONNECTION_REFUSED/, /WebSocket connection/);
    await signedIn(page, daemon);
    await until('samples', async () => (await chartPoints(page, 'CPU')) >= 2);
    const port = daemon.port;
    await daemon.stop({ keep: true }); // the same data directory: accounts and keys survive
    await page.waitForSelector('[data-connection="retrying"]', { timeout: 10000 });
    await sleep(3000); // a few failed attempts, backing off
    const pointsWhileDown = await chartPoints(page, 'CPU');
    const again = await Daemon.start(port, daemon.dir);
    try {
      await page.waitForSelector('[data-connection="open"]', { timeout: 15000 });
      await until('new samples after the restart', async () => (await chartPoints(page, 'CPU')) >= pointsWhileDown + 3, 10000);
      const uptime = await page.textContent('[data-field="uptime"]');
      check(uptime !== '–', 'the identity card is back');
      page.assertClean();
    } finally {
      await again.stop();
    }
    return { stopped: true };
  },

  // Phone-sized viewports (390 px, and 360 px, the narrowest we support): no page scrolls
  // sideways.
  async narrow({ browser, daemon }) {
    for (const width of [390, 360]) {
      const page = await openPage(browser, { width, height: 844 });
      await signedIn(page, daemon);
      for (const name of pages) {
        await page.goto(`${daemon.url}#/${name}`);
        await waitForLive(page);
        await sleep(name === 'overview' ? 2500 : 1500);
        const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
        check(widths.client === width, `the viewport is ${width} px wide: ${widths.client}`);
        check(widths.scroll <= widths.client && widths.body <= widths.client, `${name} at ${width} px scrolls sideways: ${JSON.stringify(widths)}`);
        if (width === 390) await page.screenshot({ path: screenshotPath(`${name}-390-light`) });
      }
      page.assertClean();
      await page.context().close();
    }
  },

  // The host switcher: absent with one host; with a second (a captured tree) it lists both,
  // switching shows the other host's data on every page, and the choice survives a reload.
  async hosts({ browser, daemon }) {
    const single = await openPage(browser);
    await signedIn(single, daemon);
    await sleep(500);
    check((await single.$('[data-field="host-switcher"]')) === null, 'no switcher with one host');
    single.assertClean();

    const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/debian12-6.18-x86_64');
    const two = await Daemon.start(0, null, ['--collectors-tree-hosts', `fixture=${fixture}`]);
    try {
      const page = await openPage(browser);
      await signedIn(page, two);
      await page.waitForSelector('[data-field="host-switcher"]');
      const options = await page.$$eval('[data-field="host-switcher"] option', (o) => o.map((x) => x.value));
      check(JSON.stringify(options) === JSON.stringify(['local', 'fixture']), `both hosts listed: ${options}`);
      await until('this host in the header', async () => (await page.textContent('[data-field="host"]')) === hostname());
      await page.selectOption('[data-field="host-switcher"]', 'fixture');
      await until('the fixture host in the header', async () => (await page.textContent('[data-field="host"]')) === 'fixture-host');
      await page.goto(`${two.url}#/processes`);
      await until('the fixture host\'s processes', async () => {
        const pids = await columnValues(page, 0);
        return pids.length > 0 && pids.includes('4984') && !pids.includes(String(two.proc.pid));
      });
      await page.reload();
      await waitForLive(page);
      await until('the choice remembered', async () => (await page.textContent('[data-field="host"]')) === 'fixture-host');
      check((await page.$eval('[data-field="host-switcher"]', (s) => s.value)) === 'fixture', 'the switcher shows the choice');
      page.assertClean();
    } finally {
      await two.stop();
    }
  },

  // Containers & services: the cgroups of a captured v2 tree (a second host), typed and named,
  // filtered by kind and by text; and this machine's own page answers too.
  async containers({ browser, daemon }) {
    const local = await openPage(browser);
    await signedIn(local, daemon, '#/containers');
    await local.waitForSelector('[data-field="cgroup-hierarchy"]');
    local.assertClean();

    const tree = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/synthetic-cgroupv2-tree');
    const two = await Daemon.start(0, null, ['--collectors-tree-hosts', `cg=${tree}`]);
    try {
      const page = await openPage(browser);
      await signedIn(page, two, '#/containers');
      await page.waitForSelector('[data-field="host-switcher"]');
      await page.selectOption('[data-field="host-switcher"]', 'cg');
      const row = '[data-table="containers"] tr[data-key="/system.slice/nginx.service"]';
      await page.waitForSelector(row);
      check((await page.textContent(row)).includes('Service'), 'nginx.service is a service');
      check((await page.textContent('[data-field="cgroup-hierarchy"]')).includes('v2'), 'the v2 hierarchy');
      await page.selectOption('[data-field="containers-kind"]', 'docker');
      await until('only the Docker container', async () => {
        const names = await columnValues(page, 0, 'containers');
        return names.length === 1 && names[0] === 'web' && names;
      });
      await page.selectOption('[data-field="containers-kind"]', 'all');
      await page.fill('[data-field="containers-filter"]', 'libpod-cc');
      await until('the Podman container by its path', async () => {
        const names = await columnValues(page, 0, 'containers');
        return names.length === 1 && names[0] === 'db' && names;
      });
      page.assertClean();
    } finally {
      await two.stop();
    }
  },

  // The History page: a chart of recorded data with min-max bands, a shareable URL, drag to
  // zoom (a finer range re-queried), a click that lists the processes of that time, and the
  // metric picker.
  async history({ browser }) {
    const daemon = await Daemon.start(0, null, ['--history-processes-interval', '5s', '--history-batch-interval', '1s']);
    try {
      await sleep(12000); // samples and two process lists
      const page = await openPage(browser, { width: 1280, height: 900 });
      const busy = encodeURIComponent('cpu.percent{cpu="all",mode="busy"}');
      await signedIn(page, daemon, `#/history?m=${busy}&m=memory.used_bytes&from=-20s&to=now`);
      await until('the percent chart', async () => (await chartPoints(page, 'History percent')) > 0);
      check((await page.$('[data-chart="History percent"] canvas')) !== null, 'the chart draws on a canvas');
      check((await page.$('[data-chart="History bytes"] canvas')) !== null, 'memory has its own chart (another unit)');
      check(/raw/.test(await page.textContent('[data-field="tier"]')), 'twenty seconds come from the raw tier');
      const legend = await page.textContent('[data-chart="History percent"] .u-legend');
      check(/max/.test(legend) && /min/.test(legend), `the band's min and max are in the legend: ${legend}`);
      // Drag across the right half: the range becomes two numbers (Unix ms) and the chart is re-queried.
      const box = await page.$eval('[data-chart="History percent"] .u-over', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
      await page.mouse.move(box.x + box.w * 0.55, box.y + box.h / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.w * 0.8, box.y + box.h / 2, { steps: 8 });
      await page.mouse.up();
      await until('the zoomed range in the URL', async () => /from=\d{13}&to=\d{13}/.test(await page.evaluate(() => location.hash)));
      const zoomed = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]);
      check(Number(zoomed.get('to')) - Number(zoomed.get('from')) < 20 * 1000 * 0.5, `zoomed in: ${zoomed}`);
      await until('the zoomed chart', async () => (await chartPoints(page, 'History percent')) > 0 && (await chartPoints(page, 'History percent')) < 12);
      // The URL is the view: opened afresh it shows the same metrics and range.
      await page.goto(`${daemon.url}#/history?m=${busy}&from=-30s&to=now`);
      await until('the chart of the new range', async () => (await chartPoints(page, 'History percent')) >= 25);
      // A click on the newest part of the chart: the processes recorded then.
      const over = await page.$eval('[data-chart="History percent"] .u-over', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
      await page.mouse.move(over.x + over.w * 0.97, over.y + over.h / 2);
      await page.mouse.click(over.x + over.w * 0.97, over.y + over.h / 2);
      await page.waitForSelector('[data-widget="processes-at"]', { timeout: 10000 }).catch(async (e) => {
        await page.screenshot({ path: screenshotPath('history-click-failed') });
        throw e;
      });
      await page.waitForSelector('[data-table="processes-at"] tbody tr', { timeout: 10000 });
      const names = await page.$$eval('[data-table="processes-at"] tbody tr', (rows) => rows.map((r) => r.children[1].textContent));
      check(names.includes('hyperiond'), `the daemon is among the processes of that time: ${names}`);
      // The picker adds a metric to the view and the URL.
      await page.selectOption('[data-field="metric"]', 'system.load1');
      await page.click('[data-action="add-metric"]');
      await until('system.load1 in the URL', async () => (await page.evaluate(() => location.hash)).includes('system.load1'));
      await until('a chart for the load', async () => (await chartPoints(page, 'History count')) > 0);
      page.assertClean();
    } finally {
      await daemon.stop();
    }
  },

  // After a restart the overview's charts open full (backfilled from the history), and the
  // History page shows what was recorded before the restart.
  async backfill({ browser }) {
    const args = ['--history-batch-interval', '1s'];
    const first = await Daemon.start(0, null, args);
    await sleep(20000);
    await first.stop({ keep: true });
    const stoppedAt = Date.now();
    const daemon = await Daemon.start(0, first.dir, args);
    try {
      const page = await openPage(browser);
      await signedIn(page, daemon);
      // Live data alone would give a few points in the first seconds; the history gives ~20.
      await until('the CPU chart backfilled', async () => (await chartPoints(page, 'CPU')) >= 20, 8000);
      await until('the memory chart backfilled', async () => (await chartPoints(page, 'Memory')) >= 20, 8000);
      await page.goto(`${daemon.url}#/history?m=memory.used_bytes&from=-1h&to=now`);
      await until('the memory history', async () => (await chartPoints(page, 'History bytes')) > 0);
      const recorded = await page.evaluate(async (before) => {
        const r = await fetch(`api/v1/hosts/local/history?metric=memory.used_bytes&from=${before - 120000}&to=${before}&points=120`);
        const body = await r.json();
        return body.series[0].avg.filter((v) => v !== null).length;
      }, stoppedAt);
      check(recorded >= 15, `the samples from before the restart are there: ${recorded}`);
      page.assertClean();
    } finally {
      await daemon.stop();
    }
  },

  // Every page in both themes, for the README and for anyone reviewing a change.
  // HYPERION_UI_HISTORY_MS (6000) is how long the overview gathers history before its picture.
  async screenshots({ browser, daemon }) {
    const history = Number(process.env.HYPERION_UI_HISTORY_MS || 6000);
    for (const scheme of ['light', 'dark']) {
      const page = await openPage(browser, { width: 1440, height: 900, colorScheme: scheme });
      await signedIn(page, daemon);
      for (const name of pages) {
        await page.goto(`${daemon.url}#/${name}`);
        await waitForLive(page);
        await sleep(name === 'overview' ? history : 2500);
        check((await page.evaluate(() => document.documentElement.dataset.theme)) === scheme, `${scheme} theme`);
        await page.screenshot({ path: screenshotPath(`${name}-${scheme}`) });
      }
      page.assertClean();
    }
  },
};

// Cases that start their own daemon (with other settings) get none from run().
const ownDaemon = new Set(['history', 'backfill']);

async function run(name) {
  const started = Date.now();
  const daemon = ownDaemon.has(name) ? null : await Daemon.start();
  const browser = await launch();
  let outcome;
  try {
    outcome = await cases[name]({ browser, daemon });
  } finally {
    await browser.close();
    if (daemon && !outcome?.stopped) await daemon.stop();
  }
  console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const args = process.argv.slice(2);
const chosen = args[0] === '--case' ? [args[1]] : Object.keys(cases);
for (const name of chosen) {
  if (!cases[name]) {
    console.error(`no case '${name}'; cases: ${Object.keys(cases).join(', ')}`);
    process.exit(2);
  }
}
for (const name of chosen) {
  try {
    await run(name);
  } catch (e) {
    console.error(`FAILED ${name}: ${e.stack || e.message}`);
    process.exit(1);
  }
}
