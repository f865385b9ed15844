// The report in a real browser: Debian's Chromium (headless) opens the written file and the
// charts are there, drawn, with marks, titles and tables; nothing is fetched from anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderStudyReport } from '../../src/report';
import { makeReportData } from './fixtures';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshot is left for a person to look at. */
export const SCREENSHOT = path.join(os.tmpdir(), 'tsnas-report.png');

test(
  'Chromium opens the report: every chart drawn with marks, titles visible, tables filled, no request made',
  {
    skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}`,
    timeout: 60_000,
  },
  async () => {
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsnas-report-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, await renderStudyReport(makeReportData()));
    const url = pathToFileURL(file).href;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const requests: string[] = [];
      const problems: string[] = [];
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.request().url() === url ? route.continue() : route.abort();
      });
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.goto(url, { waitUntil: 'load' });
      assert.deepEqual(requests, [url], 'the report fetches nothing but itself');

      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svgs = f.querySelectorAll('svg');
          const r = svgs[0]!.getBoundingClientRect();
          return {
            name: f.getAttribute('data-chart'),
            svgs: svgs.length,
            width: r.width,
            height: r.height,
            items: f.querySelectorAll('svg path > title, svg rect > title').length,
            lines: [...f.querySelectorAll('g.mark-line path')].filter((p) => (p.getAttribute('d') ?? '').length > 10)
              .length,
          };
        }),
      );
      assert.deepEqual(
        charts.map((c) => c.name),
        [
          'tradeoff-latencyUs',
          'tradeoff-flops',
          'tradeoff-params',
          'best-by-trial',
          'best-by-time',
          'curves-valAcc',
          'op-frequency',
          'parallel-coordinates',
          'section-1-1',
          'section-1-2',
          'section-1-3',
        ],
      );
      assert.equal(await page.locator('svg').count(), 11);
      for (const c of charts) {
        assert.equal(c.svgs, 1, c.name!);
        assert.ok(c.width > 300 && c.height > 200, `${c.name}: ${c.width}x${c.height}`);
        assert.ok(c.items > 0, `${c.name} has marks`);
      }
      const byName = Object.fromEntries(charts.map((c) => [c.name, c]));
      assert.ok(byName['tradeoff-latencyUs']!.items >= 143, 'a point per complete trial (and the front ringed)');
      assert.ok(byName['tradeoff-latencyUs']!.lines >= 1, 'the Pareto staircase');
      assert.ok(byName['best-by-trial']!.lines >= 2, 'best-so-far and the baseline best');
      assert.equal(byName['section-1-1']!.items, 9 * 20, 'heatmap: 9 layers x 20 epochs');
      // Learning curves: a line per trial with stored epochs (143 complete, 2 pruned; at most 60 drawn).
      assert.equal(byName['curves-valAcc']!.lines, 60, 'a curve per drawn trial');
      // Op frequency: a cell per (layer, op) some complete trial chose, their counts summing to 9 per trial.
      const cells = await page.$$eval('figure[data-chart="op-frequency"] svg path > title', (ts) =>
        ts.map((t) => t.textContent ?? ''),
      );
      assert.ok(cells.length > 9 * 5 && cells.length <= 9 * 9, `${cells.length} cells`);
      const total = cells.reduce((n, c) => n + Number(/trials (\d+)/.exec(c)![1]), 0);
      assert.equal(total, 143 * 9, 'every complete trial counted once per layer');
      // Parallel coordinates: a line per complete trial through its 9 choices, its architecture on hover.
      assert.equal(byName['parallel-coordinates']!.lines, 143);
      const hover = await page.$$eval('figure[data-chart="parallel-coordinates"] g.mark-line path > title', (ts) =>
        ts.map((t) => t.textContent ?? ''),
      );
      assert.ok(
        hover.length === 143 &&
          hover.every((h) => /^#\d+ · Accuracy [\d.]+% · ir_|^#\d+ · Accuracy [\d.]+% · skip/.test(h)),
        hover[0],
      );
      // The architecture on hover in the trade-off chart too; whole numbers on the trial axis.
      const points = await page.$$eval('figure[data-chart="tradeoff-latencyUs"] svg path > title', (ts) =>
        ts.map((t) => t.textContent ?? ''),
      );
      assert.ok(
        points.filter((p) => p.includes('/ir_') || p.includes('/skip')).length >= 143,
        'arch in the hover text',
      );
      const ticks = await page.$$eval('figure[data-chart="best-by-trial"] g.role-axis-label text', (ts) =>
        ts.map((t) => t.textContent ?? ''),
      );
      assert.ok(
        ticks.some((t) => t === '100'),
        ticks.join(' '),
      );
      assert.ok(
        !ticks.some((t) => /^\d+\.\d+$/.test(t) && Number(t) > 1 && !Number.isInteger(Number(t))),
        ticks.join(' '),
      );

      for (const title of [
        'Accuracy vs latency: Pareto front',
        'Best-so-far accuracy vs trials',
        'Best-so-far accuracy vs wall time',
        'Probability of the final choice, per layer',
      ]) {
        assert.ok(await page.locator('svg text', { hasText: title }).first().isVisible(), `${title} visible`);
      }
      for (const axis of ['Latency (µs)', 'Accuracy (%)', 'MACs (M)', 'Params (K)']) {
        assert.ok(await page.locator('svg text', { hasText: axis }).first().isVisible(), `axis ${axis}`);
      }
      // Every metric the study holds is a column: the test accuracy too.
      const heads = await page.$$eval('#top-candidates thead th', (ts) => ts.map((t) => t.textContent ?? ''));
      assert.deepEqual(heads.slice(2, 4), ['Accuracy (%)', 'Test accuracy (%)']);
      const top = page.locator('#top-candidates tbody tr');
      assert.equal(await top.count(), 15);
      assert.ok(await top.first().isVisible());
      assert.match(await top.first().innerText(), /#\d+/);

      // Failed trials are collapsed until asked for.
      const failed = page.locator('details#failed');
      assert.equal(await failed.getAttribute('open'), null);
      assert.equal(await page.locator('details#failed pre.error').first().isVisible(), false);
      await page.click('details#failed > summary');
      assert.ok(await page.locator('details#failed pre.error').first().isVisible());
      assert.equal(await page.locator('details#failed tbody tr').count(), 4);

      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // A narrow window: the charts shrink, the page does not scroll sideways.
      await page.setViewportSize({ width: 760, height: 900 });
      // (The callback runs in the page; this project compiles without the DOM types.)
      const overflow = await page.evaluate(() => {
        const root = (globalThis as any).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
