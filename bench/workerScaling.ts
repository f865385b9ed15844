// Many workers on one study: trials per second against the number of worker processes (1, 2, 4,
// 8), each a real `tsnas worker`, with the synthetic evaluator sleeping a fixed time per trial (so
// that the workers need no CPU and the figure is the coordination's: linear is N / delay), on an
// SQLite store and on a PostgreSQL store; and the store's overhead per trial (a worker's time
// between finishing one trial and starting the next: finish, read the study, ask, create).
//
// Trials per second are counted in the steady state: the trials finished between the moment every
// worker had started its first trial and the moment the first worker finished its last one (so
// process start-ups are not counted), divided by that time.
// Run: npx tsc -p . && bash scripts/with-postgres.sh node dist/bench/workerScaling.js [--delay-ms 500] [--per-worker 12] [--workers 1,2,4,8]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { studyInit } from '../src/search/config';
import { configureSearch } from '../src/search/setupSearch';
import { StudyStore } from '../src/study/store';
import type { TrialRecord } from '../src/study/types';
import { packageRoot } from '../src/packageRoot';
import { arg } from './args';

const delayMs = Number(arg('delay-ms', '500'));
const perWorker = Number(arg('per-worker', '12'));
const counts = arg('workers', '1,2,4,8').split(',').map(Number);
const pgUrl = arg('pg', process.env.TSNAS_TEST_POSTGRES ?? '');
if (!pgUrl) throw new Error('no PostgreSQL server: run through scripts/with-postgres.sh, or give --pg URL');
const bin = path.join(packageRoot(), 'bin', 'tsnas.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-bench-workers-'));

interface Row {
  store: string;
  workers: number;
  trials: number;
  trialsPerSec: number;
  linear: number;
  overheadMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

async function run(storeName: string, location: string, n: number): Promise<Row> {
  const trials = perWorker * n;
  const name = `scale-${n}-${Date.now()}`;
  const config = configureSearch({
    strategy: 'random',
    space: 'fbnet-s',
    evaluator: 'synthetic:0',
    trials,
    evalDelayMs: delayMs,
  });
  const studies = path.join(dir, `${storeName}-studies`);
  let store = StudyStore.open(location, { studiesRoot: studies });
  store.createStudy(studyInit(name, config));
  store.close();
  const codes = await Promise.all(
    Array.from({ length: n }, () => {
      const c = spawn(process.execPath, [bin, 'worker', name, '--store', location, '--threads', '1'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, TSNAS_STUDIES_DIR: studies },
      });
      let err = '';
      c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      return new Promise<number>((resolve) =>
        c.on('close', (code) => resolve(code === 0 ? 0 : (process.stderr.write(err), 1))),
      );
    }),
  );
  if (codes.some((c) => c !== 0)) throw new Error(`a worker failed (${storeName}, ${n} workers)`);
  store = StudyStore.open(location, { studiesRoot: studies });
  const all = store.trials(store.requireStudy(name).id).filter((t) => t.state === 'complete');
  store.close();
  const byWorker = new Map<string, TrialRecord[]>();
  for (const t of all) byWorker.set(t.worker!, [...(byWorker.get(t.worker!) ?? []), t]);
  const start = Math.max(...[...byWorker.values()].map((ts) => Math.min(...ts.map((t) => t.startedAt))));
  const end = Math.min(...[...byWorker.values()].map((ts) => Math.max(...ts.map((t) => t.finishedAt!))));
  const inWindow = all.filter((t) => t.finishedAt! > start && t.finishedAt! <= end).length;
  const gaps: number[] = [];
  for (const ts of byWorker.values()) {
    ts.sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < ts.length; i++) gaps.push(ts[i]!.startedAt - ts[i - 1]!.finishedAt!);
  }
  return {
    store: storeName,
    workers: n,
    trials: all.length,
    trialsPerSec: inWindow / ((end - start) / 1000),
    linear: n / (delayMs / 1000),
    overheadMs: median(gaps),
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [storeName, location] of [
    ['sqlite', path.join(dir, 'tsnas.db')],
    ['postgres', pgUrl],
  ] as const) {
    for (const n of counts) {
      const r = await run(storeName, location, n);
      rows.push(r);
      process.stderr.write(`${storeName} ${n} worker(s): ${r.trialsPerSec.toFixed(2)} trials/s\n`);
    }
  }
  console.log(
    `synthetic evaluator sleeping ${delayMs} ms per trial, ${perWorker} trials per worker; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    '| store | workers | trials/s | linear (N / delay) | of linear | of 1 worker x N | store overhead per trial (median) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const one = rows.find((x) => x.store === r.store && x.workers === 1);
    console.log(
      `| ${r.store} | ${r.workers} | ${r.trialsPerSec.toFixed(2)} | ${r.linear.toFixed(2)} | ${(r.trialsPerSec / r.linear).toFixed(3)} | ${one ? (r.trialsPerSec / (one.trialsPerSec * r.workers)).toFixed(3) : '-'} | ${r.overheadMs.toFixed(1)} ms |`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
