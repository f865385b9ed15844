// The screenshots of docs/dashboard.md: a store of two studies (random search and regularized
// evolution, the synthetic evaluator, a made-up latency table) with one trial still running,
// each page of the dashboard taken in Chromium.
// Run: npx tsc -p . && node dist/bench/dashboardScreenshots.js [--out docs/img]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDashboard } from '../src/dashboard';
import { StudyStore } from '../src/study/store';
import { launchChromium, makeStore } from '../test/dashboard/fixtures';
import { arg } from './args';

async function main(): Promise<void> {
  const out = path.resolve(arg('out', path.join('docs', 'img')));
  fs.mkdirSync(out, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-dashboard-shots-'));
  fs.mkdirSync(path.join(dir, 'runs'));
  const { store } = await makeStore(path.join(dir, 'runs'), { one: 60, two: 120 });
  const w = StudyStore.open(store);
  const s = w.requireStudy('two');
  const t = w.createTrial(s.id, {
    arch: 'ir_k3_e3/ir_k5_e3-skip/ir_k3_e6-skip-skip/ir_k5_e6-ir_k3_e3-skip',
    source: 'mutation',
  });
  w.recordEpochs(t.id, [
    { epoch: 0, accuracy: 0.61, trainLoss: 1.3 },
    { epoch: 1, accuracy: 0.74, trainLoss: 0.9 },
    { epoch: 2, accuracy: 0.79, trainLoss: 0.7 },
  ]);
  const best = w.trials(s.id, ['complete']).sort((a, b) => b.metrics.accuracy! - a.metrics.accuracy!)[0]!;
  w.close();
  // From the store's parent directory, so that the pages name it as a user would (runs/store.db).
  process.chdir(dir);
  const dash = await startDashboard({ store: path.relative(dir, store), port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    const shot = async (url: string, name: string, ready: string, o: { height?: number; scrollTo?: string } = {}) => {
      await page.setViewportSize({ width: 1200, height: o.height ?? 820 });
      await page.goto(`${dash.url}${url}`, { waitUntil: 'load' });
      await page.waitForSelector(ready);
      if (o.scrollTo) await page.locator(o.scrollTo).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(out, name) });
      console.log(path.join(out, name), fs.statSync(path.join(out, name)).size, 'bytes');
    };
    await shot('', 'dashboard-studies.png', '#studies tbody tr', { height: 360 });
    await shot('study/two', 'dashboard-study.png', '#trial-grid tbody tr', { height: 1400 });
    await shot('study/two#trials', 'dashboard-grid.png', '#trial-grid tbody tr', { height: 820, scrollTo: '#trials' });
    await shot(`study/two/trial/${best.number}`, 'dashboard-trial.png', '#layers', { height: 1300 });
    await shot('compare?study=one&study=two', 'dashboard-compare.png', 'figure[data-chart="compare-plane"]', {
      height: 820,
    });
  } finally {
    await browser.close();
    await dash.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
