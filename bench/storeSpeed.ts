// The study store's speed: trials recorded per second into a fresh database (ask, create the
// running trial, complete it with metrics and 5 epochs; WAL with synchronous FULL, the default,
// and NORMAL), the whole search loop with the instant synthetic evaluator, and the cost of resuming:
// reopen a study of 1,000 / 10,000 complete trials, read them, rebuild regularized evolution's
// population by replaying them, ask once.
// Run: npx tsc -p tsconfig.json && node dist/bench/storeSpeed.js [trials]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatArch } from '../src/space/archFormat';
import { sampleUniform } from '../src/arch/sample';
import { createSyntheticEvaluator } from '../src/evaluate/synthetic';
import { makeCostModel } from '../src/cost/costModel';
import { RandomSearch } from '../src/search/random';
import { RegularizedEvolution } from '../src/search/evolution';
import { loadSpace } from '../src/space/registry';
import { makeStudyContext, runSearch } from '../src/study/runSearch';
import { rngFor } from '../src/random/seeds';
import { StudyStore } from '../src/study/store';
import { isSettled, type StudyInit } from '../src/study/types';
import { newWorkerId } from '../src/study/worker';

const N = Number(process.argv[2] ?? 2000);
const space = loadSpace('fbnet-s');
const costs = makeCostModel(space);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-bench-store-'));
const init = (name: string): StudyInit => ({
  name,
  strategy: 'random',
  space: 'fbnet-s',
  evaluator: 'synthetic:0',
  data: null,
  objective: { metric: 'accuracy', direction: 'maximize' },
  constraints: [],
  seed: 0,
  config: { trials: N },
});
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const epochs = (acc: number) =>
  Array.from({ length: 5 }, (_, e) => ({
    epoch: e + 1,
    loss: 2 - e * 0.3,
    trainAcc: acc - 0.1 + e * 0.02,
    valAcc: acc - 0.08 + e * 0.02,
    valLoss: 1.5 - e * 0.1,
    lr: 0.05,
    seconds: 1.5,
    imgPerSec: 900,
  }));

async function throughput(durability: 'full' | 'normal'): Promise<number> {
  const store = StudyStore.open(path.join(dir, `throughput-${durability}.db`), { durability });
  const study = store.createStudy(init('t'));
  const strategy = new RandomSearch();
  const ctx = makeStudyContext(
    { store, study, strategy, evaluator: createSyntheticEvaluator(space), space, constraints: [], costs, trials: N },
    () => {},
  );
  const history: never[] = [];
  const worker = newWorkerId().id;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const p = strategy.ask({ ...ctx, index: i, rng: rngFor(0, i), history, seen: new Set() })!;
    const arch = formatArch(space, p.arch);
    const t = store.createTrial(study.id, {
      arch,
      recipe: { lr: 0.05, epochs: 5 },
      source: p.source,
      costs: costs.costs(p.arch),
      worker,
    });
    const acc = 0.8 + (i % 100) / 1000;
    store.completeTrial(
      t.id,
      { accuracy: acc, valLoss: 0.5, trainAcc: acc + 0.05, trainLoss: 0.4, epochs: 5, trainSeconds: 7.5 },
      epochs(acc),
    );
  }
  const rate = N / (ms(t0) / 1000);
  store.close();
  return rate;
}

async function loop(): Promise<number> {
  const store = StudyStore.open(path.join(dir, 'loop.db'));
  const study = store.createStudy(init('l'));
  const t0 = process.hrtime.bigint();
  await runSearch({
    store,
    study,
    strategy: new RandomSearch(),
    evaluator: createSyntheticEvaluator(space),
    space,
    constraints: [],
    costs,
    trials: N,
  });
  const rate = N / (ms(t0) / 1000);
  store.close();
  return rate;
}

function resume(n: number): Record<string, number> {
  const file = path.join(dir, `resume-${n}.db`);
  {
    const store = StudyStore.open(file, { durability: 'normal' });
    const study = store.createStudy({ ...init(`r${n}`), strategy: 'evolution' });
    const rng = rngFor(1, n);
    store.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const a = sampleUniform(space, rng);
        const t = store.createTrial(study.id, {
          arch: formatArch(space, a),
          recipe: { lr: 0.05 },
          source: i < 20 ? 'random' : 'mutation',
          costs: costs.costs(a),
        });
        store.completeTrial(t.id, { accuracy: 0.7 + rng.next() * 0.2, valLoss: 0.5 }, epochs(0.8));
      }
    })();
    store.createTrial(study.id, { arch: formatArch(space, sampleUniform(space, rng)), worker: 'gone:1:00' }); // left running by a crash
    store.close();
  }
  const t0 = process.hrtime.bigint();
  const store = StudyStore.open(file);
  const study = store.requireStudy(`r${n}`);
  const me = newWorkerId();
  store.acquireLease(study.id, me);
  store.failStaleTrials(study.id, me.id);
  const tOpen = ms(t0);
  const t1 = process.hrtime.bigint();
  const trials = store.trials(study.id);
  const history = trials.filter(isSettled);
  const tRead = ms(t1);
  const strategy = new RegularizedEvolution();
  const ctx = makeStudyContext(
    {
      store,
      study,
      strategy,
      evaluator: createSyntheticEvaluator(space),
      space,
      constraints: [],
      costs,
      trials: n + 1,
    },
    () => {},
  );
  const t2 = process.hrtime.bigint();
  for (const t of history) strategy.tell(t, ctx);
  const tReplay = ms(t2);
  const t3 = process.hrtime.bigint();
  strategy.ask({
    ...ctx,
    index: history.length,
    rng: rngFor(0, history.length),
    history,
    seen: new Set(history.map((t) => t.arch)),
  });
  const tAsk = ms(t3);
  store.releaseLease(study.id, me);
  store.close();
  return { open: tOpen, read: tRead, replay: tReplay, ask: tAsk, total: ms(t0) };
}

(async () => {
  try {
    const mem = StudyStore.open(':memory:');
    const sqlite = (mem.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    mem.close();
    console.log(
      `study store (better-sqlite3 ${require('better-sqlite3/package.json').version}, SQLite ${sqlite}), fbnet-s, ${N} trials, ${os.cpus()[0]?.model ?? ''}`,
    );
    console.log('command: npx tsc -p tsconfig.json && node dist/bench/storeSpeed.js', N);
    const full = await throughput('full');
    const normal = await throughput('normal');
    console.log(
      `record (ask + create + complete with metrics and 5 epochs), WAL synchronous=FULL (default): ${full.toFixed(0).padStart(6)} trials/s`,
    );
    console.log(
      `record (ask + create + complete with metrics and 5 epochs), WAL synchronous=NORMAL:         ${normal.toFixed(0).padStart(6)} trials/s`,
    );
    console.log(
      `search loop (runSearch, random, synthetic evaluator, FULL):                               ${(await loop()).toFixed(0).padStart(6)} trials/s`,
    );
    for (const n of [1000, 10000]) {
      const r = resume(n);
      console.log(
        `resume a study of ${String(n).padStart(5)} complete trials (regularized evolution): open + lease + fail stale ${r.open!.toFixed(1)} ms, ` +
          `read trials ${r.read!.toFixed(1)} ms, replay through tell ${r.replay!.toFixed(1)} ms, first ask ${r.ask!.toFixed(2)} ms; total ${r.total!.toFixed(1)} ms`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
