// The search loop with toy strategies and evaluators: a resumable prepare phase (supernet-style:
// epochs checkpointed to the key-value state and an artifact file), a strategy that runs out of
// proposals, failing evaluations and the failure cap, replay on resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatArch } from '../../src/space/archFormat';
import { sampleUniform } from '../../src/arch/sample';
import type { Evaluator } from '../../src/evaluate/evaluator';
import { createSyntheticEvaluator } from '../../src/evaluate/synthetic';
import { makeCostModel } from '../../src/cost/costModel';
import { loadSpace } from '../../src/space/registry';
import { runSearch } from '../../src/study/runSearch';
import { StudyStore } from '../../src/study/store';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../src/study/strategy';
import type { TrialRecord } from '../../src/study/types';
import { stateKey } from '../../src/study/stateKey';

const SUPERNET_EPOCH = stateKey<{ epoch: number }>('supernet');

const space = loadSpace('fbnet-s');
const costs = makeCostModel(space);

function study(store: StudyStore, name = 's') {
  return (
    store.getStudy(name) ??
    store.createStudy({
      name,
      strategy: 'toy',
      space: 'fbnet-s',
      evaluator: 'synthetic:0',
      data: null,
      objective: { metric: 'accuracy', direction: 'maximize' },
      constraints: [],
      seed: 1,
      config: {},
    })
  );
}

/** A supernet-style strategy: `prepare` trains for 5 "epochs", checkpointing each; it can be made to crash. */
class Supernet implements Strategy {
  readonly name = 'toy-supernet';
  epochsRun: number[] = [];
  told: number[] = [];
  constructor(private readonly crashAfterEpoch: number | null) {}
  async prepare(ctx: StudyContext): Promise<void> {
    const file = path.join(ctx.studyDir, 'supernet.json');
    const done = ctx.state.get(SUPERNET_EPOCH)?.epoch ?? 0;
    if (done > 0)
      assert.deepEqual(
        JSON.parse(fs.readFileSync(file, 'utf8')),
        { weights: done },
        'the checkpoint file matches the recorded epoch',
      );
    for (let epoch = done + 1; epoch <= 5; epoch++) {
      this.epochsRun.push(epoch);
      fs.writeFileSync(`${file}.tmp`, JSON.stringify({ weights: epoch }));
      fs.renameSync(`${file}.tmp`, file);
      if (epoch === 1) ctx.artifacts.add('supernet', file);
      ctx.state.set(SUPERNET_EPOCH, { epoch });
      ctx.heartbeat();
      if (epoch === this.crashAfterEpoch) throw new Error('crash');
    }
  }
  ask(ctx: AskContext): Proposal | null {
    if (ctx.index >= 4) return null; // the supernet yields 4 architectures, then is done
    return { arch: sampleUniform(ctx.space, ctx.rng), source: 'supernet' };
  }
  tell(t: TrialRecord): void {
    this.told.push(t.number);
  }
}

test('a prepare phase resumes from its last checkpointed epoch; a strategy with nothing more to propose ends the search', async () => {
  const store = StudyStore.open(':memory:');
  try {
    const s = study(store);
    const evaluator = createSyntheticEvaluator(space, { seed: 0 });
    const first = new Supernet(3);
    await assert.rejects(
      runSearch({ store, study: s, strategy: first, evaluator, space, constraints: [], costs, trials: 10 }),
      /crash/,
    );
    assert.deepEqual(first.epochsRun, [1, 2, 3]);
    assert.equal(store.activeWorker(s.id), null, 'the lease is released when the search fails');
    const second = new Supernet(null);
    const r = await runSearch({
      store,
      study: s,
      strategy: second,
      evaluator,
      space,
      constraints: [],
      costs,
      trials: 10,
    });
    assert.deepEqual(second.epochsRun, [4, 5], 'resumed after epoch 3, no epoch run twice');
    assert.equal(r.stopped, 'done');
    assert.equal(r.complete, 4);
    assert.deepEqual(
      store.artifacts(s.id).map((a) => [a.kind, a.path]),
      [['supernet', 'supernet.json']],
    );
    // A third run replays the 4 trials through tell, skips the finished prepare, and is done at once.
    const third = new Supernet(null);
    const r3 = await runSearch({
      store,
      study: s,
      strategy: third,
      evaluator,
      space,
      constraints: [],
      costs,
      trials: 10,
    });
    assert.deepEqual(third.epochsRun, []);
    assert.deepEqual(third.told, [0, 1, 2, 3]);
    assert.equal(r3.complete, 4);
    assert.equal(store.trials(s.id).length, 4);
  } finally {
    store.close();
  }
});

test('failing evaluations fail their trials (with the error and partial epochs), do not count, and stop the search at the cap', async () => {
  const store = StudyStore.open(':memory:');
  try {
    const s = study(store);
    let calls = 0;
    const flaky: Evaluator = {
      kind: 'synthetic',
      spec: 'flaky',
      description: 'flaky',
      decode: {},
      metrics: ['accuracy'],
      recipeFor: () => ({ lr: 0.1 }),
      async evaluate(job) {
        calls++;
        job.onEpoch?.([{ epoch: 1, valAcc: 0.3 }]);
        if (calls % 3 === 1) throw new Error(`exploded on ${job.archText}`);
        if (calls % 3 === 2) return { metrics: { accuracy: NaN } };
        return { metrics: { accuracy: 0.5 + calls / 1000 }, epochs: [{ epoch: 1, valAcc: 0.5 }] };
      },
    };
    const random: Strategy = {
      name: 'r',
      ask: (ctx) => ({ arch: sampleUniform(ctx.space, ctx.rng), source: 'random' }),
      tell() {},
    };
    const r = await runSearch({
      store,
      study: s,
      strategy: random,
      evaluator: flaky,
      space,
      constraints: [],
      costs,
      trials: 100,
      maxFailed: 4,
    });
    assert.equal(r.stopped, 'failures');
    assert.equal(r.failed, 4);
    assert.equal(r.complete, 1);
    const trials = store.trials(s.id);
    assert.equal(trials.length, 5);
    assert.match(trials[0]!.error!, new RegExp(`exploded on ${trials[0]!.arch.replace(/\//g, '\\/')}`));
    assert.deepEqual(trials[0]!.epochs, [{ epoch: 1, valAcc: 0.3 }], 'the epochs recorded while it ran are kept');
    assert.match(trials[1]!.error!, /the evaluator reported no finite 'accuracy'/);
    assert.equal(trials[2]!.state, 'complete');
    assert.deepEqual(trials[2]!.recipe, { lr: 0.1 });
    assert.equal(r.best!.number, 2);
    assert.equal(r.lastError, trials[4]!.error);
    // A proposal outside the constraints is refused without evaluating it.
    const s2 = study(store, 's2');
    const cheap = { kind: 'flops' as const, max: 1, text: 'flops<=1' };
    const r2 = await runSearch({
      store,
      study: s2,
      strategy: random,
      evaluator: flaky,
      space,
      constraints: [cheap],
      costs,
      trials: 1,
      maxFailed: 1,
    });
    assert.equal(r2.failed, 1);
    assert.match(
      store.trials(s2.id)[0]!.error!,
      /the r strategy proposed an architecture outside the constraints: flops [\d.]+M > 1/,
    );
  } finally {
    store.close();
  }
});

test('an architecture interrupted 3 times is failed instead of being evaluated a fourth time', async () => {
  const store = StudyStore.open(':memory:');
  try {
    const s = study(store);
    const arch = sampleUniform(space, 42);
    const text = formatArch(space, arch);
    for (let i = 0; i < 3; i++) store.createTrial(s.id, { arch: text, worker: 'gone:1:00' });
    store.failStaleTrials(s.id);
    let evaluated = 0;
    const ev = createSyntheticEvaluator(space);
    const counting: Evaluator = {
      ...ev,
      evaluate: (job) => {
        evaluated++;
        return ev.evaluate(job);
      },
    };
    const fixed: Strategy = {
      name: 'fixed',
      ask: (ctx) => ({ arch: ctx.index === 0 ? arch : sampleUniform(space, ctx.rng), source: 'x' }),
      tell() {},
    };
    const r = await runSearch({
      store,
      study: s,
      strategy: fixed,
      evaluator: counting,
      space,
      constraints: [],
      costs,
      trials: 2,
    });
    assert.equal(r.complete, 2);
    assert.equal(evaluated, 2);
    const t = store.trials(s.id)[3]!;
    assert.equal(t.arch, text);
    assert.match(t.error!, /not evaluated: its evaluation was interrupted 3 times/);
  } finally {
    store.close();
  }
});
