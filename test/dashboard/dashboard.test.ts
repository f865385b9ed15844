// The dashboard in Debian's Chromium: the studies of a store, a study page that gains a trial while
// it is open (written into the store beside it), a trial page, a comparison, an unknown study; and
// the server's safety: a missing store and a port in use at start-up, a token asked of every request
// when bound to 0.0.0.0 (requests sent to 127.0.0.1 only), and paths outside a study's files refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../src/dashboard';
import { StudyStore } from '../../src/study/store';
import { FieldError } from '../../src/io/fieldError';
import { TSNAS_BIN, tsnasInProcess } from '../helpers/tsnasCli';
import { spawn } from 'node:child_process';
import { lineChart } from '../../src/report/charts/lines';
import { REPORT_SECTIONS } from '../../src/search/strategyPlugin';
import { FINAL_TRAINING } from '../../src/search/finalTraining';
import { CHROMIUM, launchChromium, makeStore } from './fixtures';

const skip = !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}`;
let dir: string;
let store: string;
let browser: Browser;
let dash: Dashboard;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-dashboard-'));
  ({ store } = await makeStore(dir));
  if (!skip) browser = await launchChromium();
  dash = await startDashboard({ store, port: 0, pollMs: 200 });
});
after(async () => {
  await dash?.close();
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A page that may fetch only from the dashboard, and that records script errors. */
async function openPage(url: string): Promise<{ page: Page; problems: string[]; foreign: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const problems: string[] = [];
  const foreign: string[] = [];
  const origin = new URL(url).origin;
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin)) return route.continue();
    foreign.push(u);
    return route.abort();
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, foreign };
}

/** A raw GET to 127.0.0.1 (the path sent as written: no URL normalization). */
function rawGet(
  port: number,
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test(
  'the study list: every study of the store with its state, counts, best and a link',
  { skip, timeout: 60_000 },
  async () => {
    const { page, problems, foreign } = await openPage(dash.url);
    const rows = await page.$$eval('#studies tbody tr', (trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-study'),
        href: tr.querySelector('td.name a')!.getAttribute('href'),
        state: tr.querySelector('[data-study-state]')!.getAttribute('data-study-state'),
        complete: tr.querySelector('[data-count=complete]')!.textContent,
        best: tr.querySelector('td:nth-child(7)')!.textContent,
      })),
    );
    assert.deepEqual(
      rows.map((r) => [r.name, r.href, r.state, r.complete]),
      [
        ['one', '/study/one', 'finished', '12 of 12 done'],
        ['two', '/study/two', 'finished', '16 of 16 done'],
      ],
    );
    for (const r of rows) assert.match(r.best!, /^\d+\.\d+% accuracy, trial #\d+$/);
    assert.deepEqual(foreign, [], 'nothing is fetched from anywhere else');
    assert.deepEqual(problems, []);
    await page.close();
  },
);

test(
  'a study page gains a trial while it is open: the grid, the counts and the charts follow without a reload',
  { skip, timeout: 90_000 },
  async () => {
    const { page, problems } = await openPage(`${dash.url}study/one`);
    await page.waitForSelector('#trial-grid tbody tr');
    assert.equal(await page.$$eval('#trial-grid tbody tr', (t) => t.length), 12);
    assert.equal(await page.textContent('#trial-count'), '12');
    assert.ok(await page.$('figure[data-chart="tradeoff-latencyUs"] svg'), 'the accuracy-latency plane is drawn');
    assert.ok(await page.$('figure[data-chart="best-by-trial"] svg'), 'the history is drawn');
    const shares = await page.$$eval('#importance tbody tr td.bar', (tds) =>
      tds.map((t) => Number(t.textContent!.replace('%', ''))),
    );
    assert.equal(shares.length, 9, 'one row per choice of fbnet-s');
    assert.deepEqual(
      shares,
      [...shares].sort((a, b) => b - a),
      'most important first',
    );
    await page.evaluate('window.marker = 1'); // gone if the page reloads

    // A trial starts beside the page (as a worker would write it), records an epoch, then finishes.
    const w = StudyStore.open(store);
    try {
      const s = w.requireStudy('one');
      const arch = 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip';
      const t = w.createTrial(s.id, { arch, source: 'beside', costs: { flops: 1e6, params: 1e4, latencyUs: 60 } });
      w.recordEpochs(t.id, [{ epoch: 0, accuracy: 0.5, trainLoss: 1.2 }]);
      await page.waitForSelector('#trial-grid tbody tr[data-trial="12"][data-state="running"]', { timeout: 20_000 });
      await page.waitForSelector('figure[data-chart="running-epochs"] svg', { timeout: 20_000 });
      assert.equal(await page.textContent('[data-count=running]'), '1 running');
      w.completeTrial(t.id, { accuracy: 0.999 }, [
        { epoch: 0, accuracy: 0.5, trainLoss: 1.2 },
        { epoch: 1, accuracy: 0.999, trainLoss: 0.3 },
      ]);
    } finally {
      w.close();
    }
    await page.waitForSelector('#trial-grid tbody tr[data-trial="12"][data-state="complete"]', { timeout: 20_000 });
    await page.waitForSelector('#trial-count:text-is("13")', { timeout: 20_000 });
    await page.waitForSelector('.best .headline:has-text("#12")', { timeout: 20_000 });
    assert.equal(await page.evaluate('window.marker'), 1, 'no reload');
    assert.ok(await page.$('#no-running'), 'no trial is running any more');

    // The grid sorts and filters on the server: by accuracy, best first; only the trial written beside.
    await page.click('#trial-grid th[data-sort="accuracy"]');
    await page.waitForSelector('#trial-grid th[aria-sort="descending"][data-sort="accuracy"]');
    assert.equal(await page.getAttribute('#trial-grid tbody tr:first-child', 'data-trial'), '12');
    await page.fill('#grid-filter', 'beside');
    await page.waitForSelector('#grid[data-matched="1"]');
    assert.deepEqual(await page.$$eval('#trial-grid tbody tr', (t) => t.map((r) => r.getAttribute('data-trial'))), [
      '12',
    ]);
    assert.deepEqual(problems, []);
    await page.close();
  },
);

test(
  "the method's own sections and the final training against the references appear live, from the report's hooks",
  { skip, timeout: 60_000 },
  async () => {
    const { page, problems } = await openPage(`${dash.url}study/two`);
    await page.waitForSelector('#trial-grid tbody tr');
    assert.equal(await page.$('#final-networks'), null);
    const w = StudyStore.open(store);
    try {
      const s = w.requireStudy('two');
      const best = w.trials(s.id, ['complete']).sort((a, b) => b.metrics.accuracy! - a.metrics.accuracy!)[0]!;
      // What a strategy stores while it searches (FBNet's distributions), and a final training's result.
      w.setState(s.id, REPORT_SECTIONS, [
        {
          title: 'Stored by the strategy <i>',
          html: '<p id="stored-section">expected latency by epoch</p>',
          charts: [
            lineChart(
              [
                {
                  name: 'E[latency]',
                  points: [
                    { x: 1, y: 900 },
                    { x: 2, y: 800 },
                  ],
                },
              ],
              { title: 'Expected latency', xTitle: 'epoch', yTitle: 'µs' },
            ),
          ],
        },
      ]);
      const net = {
        checkpoint: 'final/x',
        epochs: 3,
        trainImages: 100,
        emaDecay: null,
        trainAcc: 0.9,
        measuredLatencyUs: null,
        measuredP25Us: null,
        measuredP75Us: null,
        measuredWith: null,
        seconds: 1,
        params: 1e5,
      };
      w.setState(s.id, FINAL_TRAINING, {
        recipe: '3 epochs of SGD',
        networks: [
          {
            ...net,
            role: 'result',
            name: `searched #${best.number}`,
            trial: best.number,
            arch: best.arch,
            source: best.source,
            testAcc: 0.93,
            searchValAcc: best.metrics.accuracy!,
            flops: best.costs.flops,
            tableLatencyUs: best.costs.latencyUs,
          },
          {
            ...net,
            role: 'reference',
            name: 'the baseline',
            trial: null,
            arch: best.arch,
            source: null,
            testAcc: 0.9,
            searchValAcc: null,
            flops: best.costs.flops,
            tableLatencyUs: best.costs.latencyUs! * 1.5,
          },
        ],
        comparisons: [
          {
            reference: 'the baseline',
            text: 'beats the baseline: 1.5x faster, +3.0 points',
            beats: true,
            speedup: 1.5,
            accuracyPoints: 3,
            measuredText: 'not measured',
          },
        ],
      });
    } finally {
      w.close();
    }
    await page.waitForSelector('#final-networks tbody tr', { timeout: 20_000 });
    assert.deepEqual(await page.$$eval('#final-networks tbody tr', (trs) => trs.map((t) => t.className)), [
      'result',
      'reference',
    ]);
    assert.match((await page.textContent('#sections'))!, /beats the baseline: 1\.5x faster/);
    assert.equal(await page.textContent('#stored-section'), 'expected latency by epoch');
    assert.ok((await page.textContent('#sections'))!.includes('Stored by the strategy <i>'), 'a section title is text');
    assert.ok(await page.$('#sections figure.chart svg'), "the stored section's chart is drawn");
    await page.waitForSelector('figure[data-chart="tradeoff-latencyUs"] svg title:has-text("(final)")', {
      state: 'attached',
      timeout: 20_000,
    });
    assert.deepEqual(problems, []);
    await page.close();
  },
);

test(
  'a trial page: each layer with its share of MACs and of the table latency, epoch curves, error escaped, its files',
  { skip, timeout: 60_000 },
  async () => {
    // A failed trial whose error and source carry markup, and a file of it in the study directory.
    const w = StudyStore.open(store);
    let number: number;
    try {
      const s = w.requireStudy('two');
      const t = w.createTrial(s.id, { arch: 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip', source: '<b>odd</b>' });
      w.failTrial(t.id, 'out of memory <img src=x onerror="window.pwned=1">', {
        epochs: [{ epoch: 0, accuracy: 0.4, trainLoss: 2 }],
      });
      const file = path.join(w.studyDir('two', false), 'checkpoints', `t${t.number}`, 'notes.txt');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'trial notes\n');
      w.addArtifact(s.id, t.id, 'notes', file);
      number = t.number;
    } finally {
      w.close();
    }
    const { page, problems } = await openPage(`${dash.url}study/two/trial/${number}`);
    assert.equal(await page.getAttribute('[data-trial-state]', 'data-trial-state'), 'failed');
    assert.equal(await page.textContent('#trial-error'), 'out of memory <img src=x onerror="window.pwned=1">');
    assert.equal(await page.evaluate('window.pwned'), undefined);
    assert.ok((await page.textContent('dl.facts'))!.includes('<b>odd</b>'), 'the source shown as text');
    const layers = await page.$$eval('#layers tbody tr[data-layer]', (trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-layer'),
        macs: Number(tr.querySelector('td:nth-child(7)')!.textContent!.replace('%', '')),
        lat: Number(tr.querySelector('[data-latency-share]')!.textContent!.replace('%', '')),
      })),
    );
    assert.equal(layers.length, 13, 'stem, 9 searched layers, head, pool, classifier');
    assert.deepEqual([layers[0]!.name, layers.at(-1)!.name], ['stem', 'classifier']);
    const sum = (k: 'macs' | 'lat') => layers.reduce((n, l) => n + l[k], 0);
    assert.ok(Math.abs(sum('macs') - 100) < 0.5, `MAC shares sum to 100% (${sum('macs')})`);
    assert.ok(sum('lat') > 50 && sum('lat') < 100, `latency shares and the overhead's make 100% (${sum('lat')})`);
    assert.ok(await page.$('figure[data-chart="epochs-accuracy"] svg'), 'the epoch curve');
    const link = await page.getAttribute('#files a', 'href');
    assert.equal(link, `/study/two/files/checkpoints/t${number}/notes.txt`);
    const res = await rawGet(dash.port, link!);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'trial notes\n');
    assert.match(String(res.headers['content-disposition']), /attachment/);
    assert.deepEqual(problems, []);
    await page.close();
  },
);

test(
  'a comparison: two studies on one accuracy-latency plane, each with its part of the joint front',
  { skip, timeout: 60_000 },
  async () => {
    const { page, problems } = await openPage(`${dash.url}compare?study=one&study=two`);
    assert.ok(await page.$('figure[data-chart="compare-plane"] svg'));
    const legend = await page.$$eval('figure[data-chart="compare-plane"] svg text', (ts) =>
      ts.map((t) => t.textContent),
    );
    assert.ok(legend.includes('one') && legend.includes('two'), 'both studies in the legend');
    const rows = await page.$$eval('#compare tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-study'), Number(tr.querySelector('[data-front]')!.textContent)]),
    );
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['one', 'two'],
    );
    assert.ok(rows.reduce((n, r) => n + (r[1] as number), 0) >= 1, 'the joint front has points');
    assert.deepEqual(await page.$$eval('form.compare input:checked', (i) => i.map((x) => x.getAttribute('value'))), [
      'one',
      'two',
    ]);
    assert.deepEqual(problems, []);
    await page.close();
  },
);

test(
  'an unknown study: a 404 page that names it and lists the studies there are',
  { skip, timeout: 60_000 },
  async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${dash.url}study/nosuch`);
    assert.equal(res!.status(), 404);
    assert.match((await page.textContent('.err404'))!, /No study 'nosuch' in .*store\.db/);
    assert.deepEqual(await page.$$eval('main a', (as) => as.map((a) => a.textContent)), [
      'one',
      'two',
      'All studies of the store',
    ]);
    assert.equal((await rawGet(dash.port, '/study/nosuch/trial/1')).status, 404);
    assert.equal((await rawGet(dash.port, '/study/one/trial/999')).status, 404);
    await page.close();
  },
);

test(
  'tsnas dashboard: prints where it is and that it asks no token on loopback, serves, and stops on Ctrl-C',
  { timeout: 60_000 },
  async () => {
    const child = spawn(process.execPath, [TSNAS_BIN, 'dashboard', '--store', store, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m && out.includes('Ctrl-C')) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(out, /tsnas dashboard of .*store\.db \(read-only\)/);
    assert.match(out, /127\.0\.0\.1 is a loopback address: only this machine reaches it; no token is asked/);
    assert.match(await (await fetch(url)).text(), /data-study="one"/);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGINT');
    });
    assert.equal(code, 0);
  },
);

/** Starts `tsnas dashboard ARGS` and waits for its banner: its output and address. */
async function startDashboardCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ReturnType<typeof spawn>; out: string; port: number }> {
  const child = spawn(process.execPath, [TSNAS_BIN, 'dashboard', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /at http:\/\/[^:]+:(\d+)\//.exec(out);
      if (m && out.includes('Ctrl-C')) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, out, port };
}

const stopCli = (child: ReturnType<typeof spawn>) =>
  new Promise<number | null>((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGINT');
  });

test(
  'tsnas dashboard --token T: every request needs T, and T is never printed (on loopback too; also from TSNAS_DASHBOARD_TOKEN)',
  { timeout: 60_000 },
  async () => {
    const token = 'my-own-token-0123456789';
    for (const given of ['flag', 'env'] as const) {
      const { child, out, port } = await startDashboardCli(
        ['--store', store, '--port', '0', ...(given === 'flag' ? ['--token', token] : [])],
        given === 'env' ? { ...process.env, TSNAS_DASHBOARD_TOKEN: token } : process.env,
      );
      try {
        assert.ok(!out.includes(token), `${given}: the token is not printed:\n${out}`);
        assert.match(out, /every request needs the token you gave/);
        assert.match(out, /open: http:\/\/127\.0\.0\.1:\d+\/\?token=… with the token you gave/);
        assert.equal((await rawGet(port, '/')).status, 401, `${given}: without the token`);
        assert.equal((await rawGet(port, `/?token=${'x'.repeat(token.length)}`)).status, 401, 'a wrong token');
        const ok = await rawGet(port, '/', { authorization: `Bearer ${token}` });
        assert.equal(ok.status, 200, `${given}: with the token`);
        assert.match(ok.body, /data-study="one"/);
        assert.equal((await rawGet(port, `/?token=${token}`)).status, 200, `${given}: the link`);
      } finally {
        assert.equal(await stopCli(child), 0);
      }
    }
    // Too short: refused at start-up, naming the flag, without echoing the value.
    const short = await tsnasInProcess(['dashboard', '--store', store, '--port', '0', '--token', 'tiny-secret']);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /a --token must have at least 16 characters/);
    assert.ok(!short.stderr.includes('tiny-secret'), short.stderr);
  },
);

test('a store that does not exist: a clear error at start-up, naming it, and nothing made', async () => {
  const missing = path.join(dir, 'nothere', 'x.db');
  await assert.rejects(startDashboard({ store: missing, port: 0 }), (e: Error) => {
    assert.ok(e instanceof FieldError && e.field === 'store');
    assert.match(e.message, /no study store at .*nothere\/x\.db/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(dir, 'nothere')), false);
});

test('a port in use: a clear error naming the port (the library names the field, the CLI the flag)', async () => {
  const other = net.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const port = (other.address() as net.AddressInfo).port;
  try {
    await assert.rejects(startDashboard({ store, port }), (e: Error) => {
      assert.ok(e instanceof FieldError && e.field === 'port' && e.value === port);
      assert.match(e.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
      return true;
    });
    const r = await tsnasInProcess(['dashboard', '--store', store, '--port', String(port)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use.*another --port`));
  } finally {
    other.close();
  }
});

test(
  'bound to 0.0.0.0 it asks every request for its token, also those sent to 127.0.0.1',
  { skip, timeout: 60_000 },
  async () => {
    const open = await startDashboard({ store, host: '0.0.0.0', port: 0 });
    try {
      assert.ok(open.token && open.token.length >= 32, 'a token of its own');
      const base = `http://127.0.0.1:${open.port}`;
      for (const p of [
        '/',
        '/study/one',
        '/api/study/one/trials',
        '/assets/dashboard.js',
        '/events/study/one',
        '/study/one/files/x',
        '/nothing',
      ]) {
        const r = await rawGet(open.port, p);
        assert.equal(r.status, 401, `${p} without the token`);
        assert.ok(!r.body.includes('one'), `${p}: nothing of the store is shown`);
      }
      assert.equal((await rawGet(open.port, `/?token=${'x'.repeat(open.token.length)}`)).status, 401, 'a wrong token');
      assert.equal((await rawGet(open.port, '/', { authorization: `Bearer ${open.token}` })).status, 200, 'the header');
      // A browser opens the printed link once; the cookie carries the token to every later request (the events too).
      const { page, problems } = await openPage(`${base}/?token=${open.token}`);
      assert.ok(await page.$('#studies'));
      await page.goto(`${base}/study/one`);
      await page.waitForSelector('#trial-grid tbody tr');
      await page.waitForSelector('#live.live.on');
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await open.close();
    }
  },
);

test("paths outside a study's files are refused, and so are requests for another host's name and methods but GET", async () => {
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  const studyDir = path.join(dir, 'studies', 'one');
  fs.mkdirSync(studyDir, { recursive: true });
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(studyDir, 'link.txt'));
  for (const p of [
    '/study/one/files/../../store.db',
    '/study/one/files/%2e%2e/%2e%2e/store.db',
    '/study/one/files/..%2F..%2Fstore.db',
    '/study/one/files/%2Fetc%2Fpasswd',
    '/study/one/files/a%5C..%5C..%5Cstore.db',
    '/study/one/files/link.txt',
    '/study/one/files/.tsnas-study.json',
  ]) {
    const r = await rawGet(dash.port, p);
    assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
    assert.ok(!r.body.includes('SQLite format') && !r.body.includes('secret') && !r.body.includes('root:'), p);
  }
  assert.equal((await rawGet(dash.port, '/study/one/files/%2e%2e/%2e%2e/store.db')).status, 400);
  assert.equal((await rawGet(dash.port, '/study/one/files/link.txt')).status, 400);
  // On loopback without a token, a request for another name (DNS rebinding) is refused.
  assert.equal((await rawGet(dash.port, '/', { host: 'evil.example:80' })).status, 403);
  assert.equal((await rawGet(dash.port, '/', { host: `localhost:${dash.port}` })).status, 200);
  // Only GET: nothing changes the store.
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: dash.port, path: '/study/one', method }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 404, method);
  }
});
