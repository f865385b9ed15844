// What keeping a study's files in the store costs (src/study/artifacts.ts): one checkpoint-sized
// file pushed (digest, upsert) and pulled (select, write, rename) at each of several sizes, on an
// SQLite store (WAL, synchronous=FULL) and, with --postgres URL, on PostgreSQL. Median of --reps.
//
//   npx tsc -p tsconfig.json && node dist/bench/artifactUpload.js [--postgres postgres://...] [--reps 9]
//
// A training evaluator pushes its trial's checkpoint once per epoch (fbnet-s on 28x28 data:
// ~0.6-0.8 MB with the optimizer's state); a supernet pushes its own per epoch.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureSearch } from '../src/search/setupSearch';
import { studyInit } from '../src/search/config';
import { StudyStore } from '../src/study/store';
import { median } from '../src/stats/quantiles';
import { arg, num } from './args';

const reps = num('reps', 9);
const sizesMB = [0.75, 5, 50];

function measure(location: string, label: string): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-artifact-bench-'));
  const a = StudyStore.open(location, { studiesRoot: path.join(root, 'a') });
  const b = StudyStore.open(location, { studiesRoot: path.join(root, 'b') });
  try {
    const name = `bench-${crypto.randomBytes(4).toString('hex')}`;
    const config = configureSearch({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic:1', trials: 1 });
    a.createStudy({ ...studyInit(name, config), files: 'store' });
    const fa = a.files(name);
    const fb = b.files(name);
    for (const mb of sizesMB) {
      const push: number[] = [];
      const pull: number[] = [];
      const dir = path.join(fa.dir, 'checkpoints', `x${mb}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let r = 0; r < reps; r++) {
        fs.writeFileSync(path.join(dir, 'checkpoint.safetensors'), crypto.randomBytes(Math.round(mb * 2 ** 20)));
        let t0 = performance.now();
        fa.push(dir);
        push.push(performance.now() - t0);
        t0 = performance.now();
        fb.pull(path.join(fb.dir, 'checkpoints', `x${mb}`));
        pull.push(performance.now() - t0);
      }
      console.log(
        `${label}: ${mb} MB: push ${median(push).toFixed(1)} ms, pull ${median(pull).toFixed(1)} ms (median of ${reps})`,
      );
    }
  } finally {
    a.close();
    b.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-artifact-bench-db-'));
measure(path.join(dir, 'tsnas.db'), 'sqlite');
fs.rmSync(dir, { recursive: true, force: true });
const pg = arg('postgres', process.env.TSNAS_TEST_POSTGRES ?? '');
if (pg) measure(pg, 'postgres');
