// The dashboard at scale: a study of 10,000 trials (written straight into a fresh store: costs from
// the space, made-up accuracies, three epochs each), opened in Chromium. Measures the study page's
// load (navigation until the grid's first rows are drawn; cold: the first load after the study
// changed, so the server reads it and draws its charts again; warm: the same version again), the
// list of studies, one page of the grid sorted by accuracy, and the live update: a trial written
// into the store while the page is open, until its row is in the grid and until every part of the
// page (charts, summary) has been fetched again. The server looks for changes every second, so the
// live update's wait has a floor of up to a second by design.
// Run: npx tsc -p . && node dist/bench/dashboardLoad.js [--trials 10000] [--updates 10] [--loads 5] [--screenshots DIR]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sampleUniform } from '../src/arch/sample';
import { makeCostModel } from '../src/cost/costModel';
import { Rng } from '../src/random/rng';
import { predictLatency, type LatencyTable } from '../src/latency/latencyTable';
import { fakeLatencyTable } from '../test/helpers/fakeTable';
import { formatArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { StudyStore } from '../src/study/store';
import { startDashboard } from '../src/dashboard';
import { CHROMIUM_ARGS, CHROMIUM } from '../test/dashboard/fixtures';
import { arg, num } from './args';

const TRIALS = num('trials', 10_000);
const UPDATES = num('updates', 10);
const LOADS = num('loads', 5);
const SHOTS = arg('screenshots', '');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const line = (what: string, xs: number[]) =>
  console.log(
    `${what.padEnd(52)} median ${median(xs).toFixed(0).padStart(5)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`,
  );

/** A made-up accuracy that rises with MACs, with noise: a plane with a front. */
function accuracyOf(flops: number, r: () => number): number {
  return Math.min(0.99, 0.7 + 0.04 * Math.log2(1 + flops / 1e6) + 0.03 * (r() - 0.5));
}

type Costs = ReturnType<typeof makeCostModel>;

function writeStudy(store: StudyStore, name: string, n: number, seed: number, costs: Costs, lut: string): void {
  const rng = new Rng(seed);
  const r = () => rng.next();
  const s = store.createStudy({
    name,
    strategy: 'random',
    space: 'fbnet-s',
    evaluator: 'synthetic:0',
    data: null,
    objective: { metric: 'accuracy', direction: 'maximize' },
    constraints: [],
    seed,
    config: { trials: n + UPDATES + LOADS + 10, lut },
  });
  store.driver.transaction(() => {
    for (let i = 0; i < n; i++) writeTrial(store, s.id, costs, r);
  });
}

function writeTrial(store: StudyStore, studyId: number, costs: Costs, r: () => number): number {
  const space = costs.space;
  const arch = sampleUniform(space, new Rng(Math.floor(r() * 2 ** 31)));
  const c = costs.costs(arch);
  const t = store.createTrial(studyId, { arch: formatArch(space, arch), source: 'random', costs: c });
  const acc = accuracyOf(c.flops ?? 1e6, r);
  store.completeTrial(
    t.id,
    { accuracy: acc },
    [0, 1, 2].map((e) => ({ epoch: e, accuracy: acc - 0.05 * (2 - e), trainLoss: 1 - acc + 0.1 * (2 - e) })),
  );
  return t.number;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-bench-dashboard-'));
  const file = path.join(dir, 'store.db');
  const space = loadSpace('fbnet-s');
  const table: LatencyTable = await fakeLatencyTable(space, undefined, 50);
  const lut = path.join(dir, 'fbnet-s.lut.json');
  fs.writeFileSync(lut, JSON.stringify(table));
  const costs = makeCostModel(space, { latency: (a) => predictLatency(table, space, a) });
  const writer = StudyStore.open(file, { durability: 'normal' });
  let t0 = Date.now();
  writeStudy(writer, 'big', TRIALS, 1, costs, lut);
  writeStudy(writer, 'small', 200, 2, costs, lut);
  console.log(`wrote ${TRIALS} + 200 trials in ${((Date.now() - t0) / 1000).toFixed(1)} s (${file})`);
  const big = writer.requireStudy('big');
  const rng = new Rng(3);
  const r = () => rng.next();

  const dash = await startDashboard({ store: file, port: 0 });
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const studyUrl = `${dash.url}study/big`;
    const loadOnce = async (url: string, ready: string) => {
      const t = Date.now();
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForSelector(ready);
      return Date.now() - t;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      writeTrial(writer, big.id, costs, r); // a new version: the next load reads and draws it again
      cold.push(await loadOnce(studyUrl, '#trial-grid tbody tr'));
      warm.push(await loadOnce(studyUrl, '#trial-grid tbody tr'));
    }
    line(`study page of ${TRIALS} trials, cold (new version)`, cold);
    line(`study page of ${TRIALS} trials, warm (same version)`, warm);
    const list: number[] = [];
    for (let i = 0; i < LOADS; i++) list.push(await loadOnce(dash.url, '#studies tbody tr'));
    line('list of studies', list);
    const grid: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      t0 = Date.now();
      const res = await fetch(`${dash.url}api/study/big/trials?sort=accuracy&dir=desc&offset=${i * 50}&limit=50`);
      await res.json();
      grid.push(Date.now() - t0);
    }
    line('one grid page, sorted by accuracy (HTTP, from Node)', grid);
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.goto(studyUrl);
      await page.waitForSelector('#trial-grid tbody tr');
      await page.screenshot({ path: path.join(SHOTS, 'bench-study.png') });
    }

    await page.goto(studyUrl, { waitUntil: 'load' });
    await page.waitForSelector('#trial-grid tbody tr');
    await page.waitForSelector('#live.live.on');
    const rowShown: number[] = [];
    const pageDone: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const before = await page.getAttribute('body', 'data-version');
      const written = Date.now();
      const n = writeTrial(writer, big.id, costs, r);
      await page.waitForSelector(`#trial-grid tbody tr[data-trial="${n}"]`, { timeout: 60_000 });
      rowShown.push(Date.now() - written);
      await page.waitForSelector(`body:not([data-version="${before}"])`, { timeout: 60_000 });
      pageDone.push(Date.now() - written);
      await page.waitForTimeout(300 + Math.round(r() * 700)); // writes at other phases of the server's 1 s poll
    }
    line('live update: trial written -> its row in the grid', rowShown);
    line('live update: trial written -> every part redrawn', pageDone);
  } finally {
    await browser.close();
    await dash.close();
    writer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
