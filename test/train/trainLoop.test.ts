// The shared training loop on a tiny network and synthetic data, with a main pass (SGD) and a
// second pass on another split (Adam on the head): hooks run in order, the second pass sees only
// its split and runs only in the epochs it asks for, a run resumed after epoch k equals an
// uninterrupted one (dropout, per-step rng and both optimizers included), a non-finite loss
// ends the run with the finished epochs kept, a refused checkpoint loads nothing, the weight-
// decay split, and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed, tensor, zeros } from '../../src/engine/creation';
import type { Tensor } from '../../src/engine/tensor';
import * as nn from '../../src/nn';
import { BatchLoader, type Batch } from '../../src/data/loader';
import { allIndices } from '../../src/data/split';
import { loadSynthetic } from '../../src/data/synthetic';
import { Adam } from '../../src/optim/adam';
import { SGD } from '../../src/optim/sgd';
import { learningRateAt } from '../../src/optim/schedule';
import { loadCheckpoint } from '../../src/train/checkpoint';
import { runTrainLoop, type StepContext, type StepResult, type TrainLoopResult } from '../../src/train/trainLoop';
import { weightDecayGroups } from '../../src/train/weightDecayGroups';
import { noLeaks } from '../helpers/leakCheck';
import { tempDir } from '../data/fixtures';

const data = loadSynthetic({ seed: 4, train: 300, test: 10 });
const HEAD_CLASS = 3;
const everything = [...allIndices(data.train)];
// The main pass never sees class 3; the second pass sees only class 3.
const mainSplit = Int32Array.from(everything.filter((i) => data.train.labels[i] !== HEAD_CLASS));
const secondSplit = Int32Array.from(everything.filter((i) => data.train.labels[i] === HEAD_CLASS));

interface LoopRecord {
  epoch: number;
  mainLoss: number;
  mainLr: [number, number];
  doubled: number;
  second: { loss: number; images: number } | null;
  /** ctx.rng() draws of every main step of the epoch. */
  draws: number[];
}

interface Options {
  epochs?: number;
  checkpointDir?: string;
  /** Weight initialisation seed (a resumed run starts from other weights). */
  initSeed?: number;
  /** The (0-based) epoch from which the second pass runs. */
  secondFrom?: number;
  /** A step that returns NaN: [pass, epoch, batch], 0-based. */
  nanAt?: [string, number, number];
  /** onEpoch throws after this (1-based) epoch, as a killed process would stop. */
  killAfter?: number;
  /** The checkpoint tag this run accepts. */
  tag?: string;
}

interface Outcome {
  result: TrainLoopResult<LoopRecord>;
  log: string[];
  weights: Map<string, number[]>;
  steps: { main: number; second: number };
}

class Killed extends Error {}

function tinyNet(seed: number): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3),
    new nn.BatchNorm2d(8),
    nn.ReLU(),
    new nn.Dropout(0.3),
    new nn.GlobalAvgPool(),
    new nn.Linear(8, 10),
  );
}

/** Forward, cross-entropy, backward; labels seen are logged so a test can tell the splits apart. */
function ceStep(model: nn.Module, log: string[], o: Options) {
  return (batch: Batch, ctx: StepContext): StepResult => {
    const labels = new Set(batch.y.toArray());
    log.push(`step ${ctx.pass} ${ctx.epoch}.${ctx.batch} labels ${[...labels].sort().join(',')}`);
    model.zeroGrad();
    const logits = model.forward(batch.x);
    const ce = nn.F.crossEntropy(logits, batch.y);
    const loss =
      o.nanAt && o.nanAt[0] === ctx.pass && o.nanAt[1] === ctx.epoch && o.nanAt[2] === ctx.batch ? NaN : ce.item();
    if (!Number.isFinite(loss)) return { loss, hits: 0 };
    ce.backward();
    return { loss, hits: logits.argmax(1).eq(batch.y).sum().item(), means: { doubled: 2 * loss } };
  };
}

function run(o: Options = {}): Outcome {
  const log: string[] = [];
  const model = tinyNet(o.initSeed ?? 1).train();
  const named = model.namedParameters();
  const head = named.filter(([n]) => n.startsWith('5.')).map(([, p]) => p);
  const body = named.filter(([n]) => !n.startsWith('5.')).map(([, p]) => p);
  const common = { mean: data.mean, std: data.std, shuffle: true };
  const mainLoader = new BatchLoader(data.train, mainSplit, {
    ...common,
    batchSize: 64,
    seed: 7,
    dropLast: true,
    flip: true,
  });
  const secondLoader = new BatchLoader(data.train, secondSplit, { ...common, batchSize: 16, seed: 8 });
  const mainOpt = new SGD(weightDecayGroups(body, 1e-3), { lr: 0.1, momentum: 0.9 });
  const secondOpt = new Adam(head, { lr: 0.01 });
  const epochs = o.epochs ?? 3;
  const schedule = { kind: 'cosine' as const, epochs };
  const draws: number[] = [];
  const diverged = (r: StepResult, ctx: StepContext) =>
    new Error(`${ctx.pass} loss ${r.loss} at epoch ${ctx.epoch + 1}, batch ${ctx.batch + 1}`);
  try {
    const result = runTrainLoop<LoopRecord>({
      model,
      seed: 11,
      epochs,
      beginEpoch: (e) => {
        log.push(`beginEpoch ${e}`);
        draws.length = 0;
      },
      main: {
        name: 'main',
        loader: mainLoader,
        optimizer: mainOpt,
        learningRate: (t) => learningRateAt(t, 0.1, schedule),
        begin: (e) => log.push(`begin main ${e}`),
        beforeStep: (ctx) => {
          log.push(`before main ${ctx.epoch}.${ctx.batch} step ${ctx.step}`);
          assert.equal(ctx.lr, learningRateAt(ctx.epoch + ctx.batch / mainLoader.batchesPerEpoch, 0.1, schedule));
          assert.equal(ctx.rng(), ctx.rng(), 'one generator per step');
          draws.push(ctx.rng().next());
        },
        step: ceStep(model, log, o),
        afterUpdate: (ctx) => log.push(`after main ${ctx.epoch}.${ctx.batch}`),
        diverged,
      },
      second: {
        name: 'second',
        loader: secondLoader,
        optimizer: secondOpt,
        when: (e) => e >= (o.secondFrom ?? 0),
        begin: (e) => log.push(`begin second ${e}`),
        beforeStep: (ctx) => log.push(`before second ${ctx.epoch}.${ctx.batch} step ${ctx.step}`),
        step: ceStep(model, log, o),
        afterUpdate: (ctx) => log.push(`after second ${ctx.epoch}.${ctx.batch}`),
        diverged,
      },
      endEpoch: ({ epoch, main, second }) => {
        log.push(`endEpoch ${epoch}`);
        assert.equal(main.accuracy >= 0 && main.accuracy <= 1, true);
        return {
          epoch: epoch + 1,
          mainLoss: main.loss,
          mainLr: [main.firstLr, main.lastLr],
          doubled: main.means.doubled!,
          second: second && { loss: second.loss, images: second.images },
          draws: [...draws],
        };
      },
      checkpoint: o.checkpointDir
        ? {
            dir: o.checkpointDir,
            optimizerGroup: 'optim',
            save: (records, epoch) => {
              log.push(`save ${epoch}`);
              const sd = secondOpt.stateDict();
              return {
                run: { tag: o.tag ?? 'loop-test', records, secondOptimizer: sd.meta },
                groups: { second: sd.tensors },
              };
            },
            validate: (state) => {
              if (state.run.tag !== (o.tag ?? 'loop-test'))
                throw new Error(`checkpoint tag ${String(state.run.tag)}, not ${o.tag ?? 'loop-test'}`);
            },
            restore: (state, groups) => {
              secondOpt.loadStateDict({
                tensors: groups.second ?? new Map(),
                meta: state.run.secondOptimizer as never,
              });
              return state.run.records as LoopRecord[];
            },
          }
        : undefined,
      onProgress: (p) => log.push(`progress ${p.pass} ${p.epoch}/${p.epochs} ${p.batch}/${p.batches}`),
      onEpoch: (r, all) => {
        log.push(`onEpoch ${r.epoch} of ${all.length}`);
        if (r.epoch === o.killAfter) throw new Killed(`killed after epoch ${r.epoch}`);
      },
    });
    const weights = new Map([...model.stateDict()].map(([n, t]) => [n, t.toArray()]));
    return { result, log, weights, steps: { main: mainOpt.stepCount, second: secondOpt.stepCount } };
  } finally {
    mainLoader.dispose();
    secondLoader.dispose();
    mainOpt.dispose();
    secondOpt.dispose();
    model.dispose();
  }
}

test(
  'hooks run in order: epoch seed and setup, each pass (begin, per step: before, step, update, after), record, checkpoint, onEpoch',
  noLeaks(() => {
    const dir = tempDir('loop-order');
    const { result, log } = run({ epochs: 2, secondFrom: 1, checkpointDir: dir });
    assert.equal(result.complete, true, String(result.error));
    const nb = Math.floor(mainSplit.length / 64);
    const na = Math.ceil(secondSplit.length / 16);
    const expected: string[] = [];
    for (let e = 0; e < 2; e++) {
      expected.push(`beginEpoch ${e}`, `begin main ${e}`);
      for (let b = 0; b < nb; b++) {
        expected.push(
          `before main ${e}.${b} step ${e * nb + b}`,
          `step main ${e}.${b}`,
          `after main ${e}.${b}`,
          `progress main ${e + 1}/2 ${b + 1}/${nb}`,
        );
      }
      if (e >= 1) {
        expected.push(`begin second ${e}`);
        for (let b = 0; b < na; b++) {
          expected.push(
            `before second ${e}.${b} step ${e * na + b}`,
            `step second ${e}.${b}`,
            `after second ${e}.${b}`,
            `progress second ${e + 1}/2 ${b + 1}/${na}`,
          );
        }
      }
      expected.push(`endEpoch ${e}`, `save ${e}`, `onEpoch ${e + 1} of ${e + 1}`);
    }
    assert.deepEqual(
      log.map((l) => l.replace(/ labels .*/, '')),
      expected,
    );
    assert.deepEqual(
      result.records.map((r) => r.second === null),
      [true, false],
      'the second pass runs from epoch 2',
    );
    for (const r of result.records) {
      assert.equal(r.doubled, 2 * r.mainLoss, 'StepResult.means are averaged per image like the loss');
      assert.equal(r.mainLr[0], learningRateAt(r.epoch - 1, 0.1, { kind: 'cosine', epochs: 2 }));
      assert.ok(r.mainLr[1] < r.mainLr[0], 'cosine: the last step of the epoch has a lower rate');
    }
  }),
);

test(
  'the second pass trains on its own split, with its own optimizer',
  noLeaks(() => {
    const { result, log, steps } = run({ epochs: 2 });
    assert.equal(result.complete, true, String(result.error));
    const labelsOf = (pass: string) =>
      new Set(log.filter((l) => l.startsWith(`step ${pass}`)).flatMap((l) => l.split(' labels ')[1]!.split(',')));
    assert.deepEqual([...labelsOf('second')], [String(HEAD_CLASS)]);
    assert.ok(!labelsOf('main').has(String(HEAD_CLASS)));
    for (const r of result.records)
      assert.equal(r.second!.images, secondSplit.length, 'every image of the split, the last partial batch kept');
    const na = Math.ceil(secondSplit.length / 16);
    assert.deepEqual(steps, { main: 2 * Math.floor(mainSplit.length / 64), second: 2 * na });
  }),
);

test(
  'a run resumed after epoch k equals an uninterrupted one (records, rng draws, weights, both optimizers)',
  noLeaks(() => {
    const straight = run({ secondFrom: 1 });
    assert.equal(straight.result.complete, true, String(straight.result.error));
    assert.equal(straight.result.records.length, 3);
    assert.notDeepEqual(
      straight.result.records[0]!.draws,
      straight.result.records[1]!.draws,
      'each step has its own generator',
    );

    for (const k of [1, 2]) {
      const dir = tempDir(`loop-resume-${k}`);
      const killed = run({ secondFrom: 1, checkpointDir: dir, killAfter: k });
      assert.equal(killed.result.complete, false);
      assert.ok(killed.result.error instanceof Killed, String(killed.result.error));
      assert.equal(killed.result.records.length, k, 'the finished epochs are kept');
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epoch, k);

      // Other initial weights: everything must come from the checkpoint.
      const resumed = run({ secondFrom: 1, checkpointDir: dir, initSeed: 99 });
      assert.equal(resumed.result.complete, true, String(resumed.result.error));
      assert.equal(resumed.result.resumedFrom, k);
      const begun = resumed.log.filter((l) => l.startsWith('beginEpoch')).map((l) => Number(l.split(' ')[1]));
      assert.deepEqual(begun, [0, 1, 2].slice(k), 'only the remaining epochs run');
      assert.deepEqual(resumed.result.records, straight.result.records, `records after resuming from epoch ${k}`);
      assert.deepEqual(resumed.weights, straight.weights, `weights after resuming from epoch ${k}`);
    }

    // A finished run resumes to its records without training.
    const dir = tempDir('loop-finished');
    run({ secondFrom: 1, checkpointDir: dir });
    const again = run({ secondFrom: 1, checkpointDir: dir, initSeed: 5 });
    assert.equal(again.result.resumedFrom, 3);
    assert.equal(again.log.filter((l) => l.startsWith('step')).length, 0);
    assert.deepEqual(again.result.records, straight.result.records);
    assert.deepEqual(again.weights, straight.weights);
  }),
);

test(
  "a non-finite loss ends the run with the diverged hook's error; finished epochs and their checkpoint are kept; no update is applied",
  noLeaks(() => {
    const clean = run({ epochs: 3 });
    for (const [pass, message] of [
      ['main', 'main loss NaN at epoch 2, batch 3'],
      ['second', 'second loss NaN at epoch 2, batch 2'],
    ] as const) {
      const dir = tempDir(`loop-nan-${pass}`);
      const { result, log, steps } = run({ epochs: 3, checkpointDir: dir, nanAt: [pass, 1, pass === 'main' ? 2 : 1] });
      assert.equal(result.complete, false);
      assert.ok(result.error instanceof Error);
      assert.equal(result.error.message, message);
      assert.equal(result.records.length, 1);
      assert.deepEqual(result.records[0], clean.result.records[0]);
      assert.equal(
        JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epoch,
        1,
        'the checkpoint holds the last good epoch',
      );
      assert.ok(!log.includes(`after ${pass} 1.${pass === 'main' ? 2 : 1}`), 'no update after the NaN step');
      assert.ok(!log.some((l) => l.startsWith('endEpoch 1')), 'the failed epoch makes no record');
      const nb = Math.floor(mainSplit.length / 64);
      const na = Math.ceil(secondSplit.length / 16);
      assert.deepEqual(steps, pass === 'main' ? { main: nb + 2, second: na } : { main: 2 * nb, second: na + 1 });
    }
  }),
);

test(
  'a checkpoint that validate refuses ends the run before anything is loaded',
  noLeaks(() => {
    const dir = tempDir('loop-refuse');
    run({ epochs: 1, checkpointDir: dir });
    const fresh = run({ epochs: 0, initSeed: 3 });
    const refused = run({ epochs: 2, checkpointDir: dir, tag: 'other', initSeed: 3 });
    assert.equal(refused.result.complete, false);
    assert.match(String(refused.result.error), /checkpoint tag loop-test, not other/);
    assert.equal(refused.result.resumedFrom, 0);
    assert.deepEqual(refused.result.records, []);
    assert.deepEqual(refused.weights, fresh.weights, 'the model keeps its own weights');
    assert.deepEqual(refused.log, []);
    const ck = loadCheckpoint(dir);
    try {
      assert.equal(ck.state.epoch, 1, 'the refused checkpoint is left as it was');
      assert.deepEqual(Object.keys(ck.groups).sort(), ['model', 'optim', 'second']);
    } finally {
      for (const g of Object.values(ck.groups)) for (const t of g.values()) t.dispose();
    }
  }),
);

test(
  "the step's tensors are freed by the loop's memory scope, the batches too, whether the run completes or fails",
  noLeaks(() => {
    run({ epochs: 1 });
    run({ epochs: 2, nanAt: ['second', 1, 0] });
    run({ epochs: 2, killAfter: 1, checkpointDir: tempDir('loop-leak') });
  }),
);

test(
  'weightDecayGroups: decay for rank >= 2, none for 1-D and scalars, order kept',
  noLeaks(() => {
    const ts: Tensor[] = [zeros([4, 3]), zeros([4]), zeros([2, 2, 3, 3]), tensor([1], []), zeros([3])];
    try {
      const [decay, none] = weightDecayGroups(ts, 0.05);
      assert.deepEqual(
        decay!.params.map((p) => ts.indexOf(p)),
        [0, 2],
      );
      assert.deepEqual(
        none!.params.map((p) => ts.indexOf(p)),
        [1, 3, 4],
      );
      assert.deepEqual([decay!.weightDecay, none!.weightDecay], [0.05, 0]);
    } finally {
      for (const t of ts) t.dispose();
    }
  }),
);
