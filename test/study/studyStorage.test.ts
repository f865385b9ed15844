// The storage interface and the trial cycle both search loops share (TrialLoop): StudyStore is a
// StudyStorage (the compiler checks it here, and the test uses the store only through it), and a
// study run by the single-process loop, by a worker, or partly by one and finished by the other
// ends with the same trials, the strategy told each settled trial exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleUniform } from '../../src/arch/sample';
import { makeCostModel } from '../../src/cost/costModel';
import { createSyntheticEvaluator } from '../../src/evaluate/synthetic';
import { loadSpace } from '../../src/space/registry';
import { runSearch } from '../../src/study/runSearch';
import { runWorker } from '../../src/study/runWorker';
import { StudyStore, type StudyStorage } from '../../src/study/store';
import type { AskContext, Proposal, Strategy } from '../../src/study/strategy';
import type { StudyRecord, TrialRecord } from '../../src/study/types';
import { newWorkerId } from '../../src/study/worker';

const space = loadSpace('fbnet-s');
const costs = makeCostModel(space);

/** Proposals that depend on the history the loop replays: a wrong replay changes them. */
class HistoryAware implements Strategy {
  readonly name = 'history-aware';
  told: number[] = [];
  ask(ctx: AskContext): Proposal {
    const arch = sampleUniform(ctx.space, ctx.rng);
    return { arch, source: `after${ctx.history.length}-told${this.told.length}` };
  }
  tell(t: TrialRecord): void {
    this.told.push(t.number);
  }
}

function newStudy(storage: StudyStorage, name: string): StudyRecord {
  return storage.createStudy({
    name,
    strategy: 'history-aware',
    space: 'fbnet-s',
    evaluator: 'synthetic:0',
    data: null,
    objective: { metric: 'accuracy', direction: 'maximize' },
    constraints: [],
    seed: 4,
    config: {},
  });
}

const options = (store: StudyStore, study: StudyRecord, strategy: Strategy, trials: number) => ({
  store,
  study,
  strategy,
  evaluator: createSyntheticEvaluator(space, { seed: 0 }),
  space,
  constraints: [],
  costs,
  trials,
  log: () => {},
});

const outcome = (storage: StudyStorage, study: StudyRecord) =>
  storage.trials(study.id).map((t) => ({ number: t.number, arch: t.arch, source: t.source, metrics: t.metrics }));

test('StudyStore is a StudyStorage; one trial cycle: a search, a worker, and a search finished by a worker give the same trials', async () => {
  const store = StudyStore.open(':memory:');
  const storage: StudyStorage = store;
  try {
    const alone = newStudy(storage, 'alone');
    const a = new HistoryAware();
    const byLoop = await runSearch(options(store, alone, a, 6));
    assert.equal(byLoop.complete, 6);
    assert.deepEqual(a.told, [0, 1, 2, 3, 4, 5]);

    const worker = newStudy(storage, 'worker');
    const w = new HistoryAware();
    const byWorker = await runWorker(options(store, worker, w, 6));
    assert.equal(byWorker.complete, 6);
    assert.deepEqual(w.told, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(outcome(storage, worker), outcome(storage, alone));

    // Half by the single-process loop, the rest by a worker: the worker replays the first half.
    const both = newStudy(storage, 'both');
    await runSearch(options(store, both, new HistoryAware(), 3));
    const later = new HistoryAware();
    const summary = await runWorker(options(store, both, later, 6));
    assert.deepEqual(later.told, [0, 1, 2, 3, 4, 5], 'each settled trial told once, in number order');
    assert.equal(summary.complete, 6);
    assert.deepEqual(outcome(storage, both), outcome(storage, alone));
    assert.equal(summary.best?.number, byLoop.best?.number);

    // The leases and memberships both loops took are given back.
    assert.equal(storage.activeWorker(both.id), null);
    assert.deepEqual(storage.sharingWorkers(both.id), []);
    assert.equal(storage.claimPhase(both.id, 'ask', newWorkerId(), 60_000), 'mine', 'no worker kept the ask lock');
  } finally {
    store.close();
  }
});
