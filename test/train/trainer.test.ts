// The trainer on synthetic data with a tiny network: learning, exact resume from checkpoints
// (with EMA, mixup, SGD, RMSProp-TF, AdamW), determinism, divergence as a failed status, gradient
// clipping, limits, test accuracy, checkpoint files, knowledge distillation, and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed, randn, tensor } from '../../src/engine/creation';
import { saveSafetensors } from '../../src/engine/safetensors';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import * as nn from '../../src/nn';
import { BatchLoader } from '../../src/data/loader';
import { allIndices } from '../../src/data/split';
import { loadSynthetic } from '../../src/data/synthetic';
import { parseRecipe, type RecipeInput } from '../../src/train/recipe';
import { clipGradNorm, train, type TrainJob, type TrainProgress, type TrainResult } from '../../src/train/trainer';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../src/train/checkpoint';
import { evaluate } from '../../src/train/evaluate';
import { noLeaks, tempDir, throwsWith } from '../data/fixtures';

const data = loadSynthetic({ seed: 3, train: 600, test: 200 });

function tinyNet(seed = 0): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3),
    new nn.BatchNorm2d(16),
    nn.ReLU(),
    new nn.GlobalAvgPool(),
    new nn.Linear(16, 10),
  );
}

function snapshot(m: nn.Module): Map<string, number[]> {
  return new Map([...m.stateDict()].map(([n, t]) => [n, t.toArray()]));
}

interface Run {
  result: TrainResult;
  weights: Map<string, number[]>;
  progress: TrainProgress[];
}

/** Trains a fresh tiny net (seeded) with the recipe; returns the result and final weights; frees the model. */
function run(recipe: RecipeInput, job: Partial<TrainJob> = {}, netSeed = 0): Run {
  const model = tinyNet(netSeed);
  const progress: TrainProgress[] = [];
  try {
    const result = train({
      model,
      recipe: parseRecipe({ epochs: 3, batchSize: 32, lr: 0.05, ...recipe }),
      data,
      limitTrain: 400,
      onProgress: (p) => progress.push(p),
      ...job,
    });
    return { result, weights: snapshot(model), progress };
  } finally {
    model.dispose();
  }
}

const losses = (r: TrainResult) => r.epochs.map((e) => e.loss);
const accs = (r: TrainResult) => r.epochs.map((e) => [e.trainAcc, e.valAcc, e.valLoss]);

function assertSameWeights(a: Map<string, number[]>, b: Map<string, number[]>, what: string): void {
  assert.deepEqual([...a.keys()], [...b.keys()], `${what}: names`);
  for (const [n, v] of a) assert.deepEqual(b.get(n), v, `${what}: ${n} differs`);
}

test(
  'training learns: validation accuracy improves over the epochs; metrics are complete',
  noLeaks(() => {
    const epochs: number[] = [];
    const { result, progress } = run(
      { epochs: 5, lr: 0.1, cropPadding: 0 },
      { limitTrain: undefined, onEpoch: (m) => epochs.push(m.epoch) },
    );
    assert.equal(result.status, 'complete', result.error);
    assert.equal(result.error, undefined);
    assert.deepEqual(epochs, [1, 2, 3, 4, 5], 'onEpoch once per epoch');
    assert.deepEqual(
      result.epochs.map((e) => e.epoch),
      [1, 2, 3, 4, 5],
    );
    const first = result.epochs[0]!;
    const last = result.epochs.at(-1)!;
    assert.ok(last.valAcc > first.valAcc + 0.1, `val accuracy ${first.valAcc} -> ${last.valAcc}`);
    assert.ok(last.valAcc > 0.4, `final val accuracy ${last.valAcc} (chance is 0.1)`);
    assert.ok(last.loss < first.loss, `loss ${first.loss} -> ${last.loss}`);
    assert.equal(result.valAcc, last.valAcc);
    assert.equal(result.testAcc, null, 'no test accuracy unless asked');
    assert.equal(result.resumedFrom, 0);
    for (const e of result.epochs) {
      for (const k of ['loss', 'trainAcc', 'valAcc', 'valLoss', 'lr', 'seconds', 'imgPerSec'] as const)
        assert.ok(Number.isFinite(e[k]), `epoch ${e.epoch} ${k} = ${e[k]}`);
      assert.ok(e.imgPerSec > 0 && e.trainAcc >= 0 && e.trainAcc <= 1);
    }
    // Cosine schedule: the learning rate falls epoch by epoch.
    const lrs = result.epochs.map((e) => e.lr);
    for (let i = 1; i < lrs.length; i++) assert.ok(lrs[i]! < lrs[i - 1]!, `lr ${lrs}`);
    assert.ok(Number.isFinite(result.imgPerSec) && result.imgPerSec > 0);
    // Progress: one report per batch, batch counts 1..batches within each epoch.
    const nb = progress[0]!.batches;
    assert.equal(progress.length, 5 * nb);
    assert.deepEqual(
      progress.slice(0, nb).map((p) => p.batch),
      Array.from({ length: nb }, (_, i) => i + 1),
    );
    assert.ok(progress.every((p) => p.epochs === 5 && Number.isFinite(p.loss)));
  }),
);

test(
  'a constant schedule keeps the learning rate; warm-up starts below it',
  noLeaks(() => {
    const flat = run({ epochs: 2, schedule: 'constant', lr: 0.02 }).result;
    assert.deepEqual(
      flat.epochs.map((e) => e.lr),
      [0.02, 0.02],
    );
    const warm = run({ epochs: 3, schedule: 'constant', lr: 0.02, warmupEpochs: 2, warmupStartFactor: 0.1 }).result;
    assert.ok(warm.epochs[0]!.lr < 0.02 && warm.epochs[0]!.lr > 0.002, `warm-up epoch 1 lr ${warm.epochs[0]!.lr}`);
    assert.equal(warm.epochs[2]!.lr, 0.02);
  }),
);

const resumeCases: Array<[string, RecipeInput]> = [
  [
    'SGD with EMA, mixup, label smoothing, warm-up, flips',
    { optimizer: 'sgd', ema: 0.9, mixup: 0.2, labelSmoothing: 0.1, warmupEpochs: 1, flip: true, weightDecay: 1e-3 },
  ],
  [
    'RMSProp-TF with EMA and a step schedule',
    { optimizer: 'rmsprop-tf', lr: 0.01, momentum: 0.9, ema: 0.95, schedule: 'step', stepEpochs: 1, gamma: 0.5 },
  ],
  [
    'AdamW with gradient clipping and an exponential schedule',
    { optimizer: 'adamw', lr: 0.003, weightDecay: 0.01, gradClip: 1, schedule: 'exponential', gamma: 0.9 },
  ],
];

for (const [name, recipe] of resumeCases) {
  test(
    `resume equals uninterrupted training: ${name}`,
    noLeaks(() => {
      const straight = run(recipe);
      assert.equal(straight.result.status, 'complete', straight.result.error);
      assert.equal(straight.result.epochs.length, 3);

      const dir = tempDir('resume');
      const first = run(recipe, { checkpointDir: dir, stopAfterEpochs: 2 });
      assert.equal(first.result.status, 'complete', first.result.error);
      assert.equal(first.result.epochs.length, 2, 'stopAfterEpochs stops after 2');
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epoch, 2);

      // A fresh model, differently initialised: everything must come from the checkpoint.
      const resumed = run(recipe, { checkpointDir: dir }, 77);
      assert.equal(resumed.result.status, 'complete', resumed.result.error);
      assert.equal(resumed.result.resumedFrom, 2);
      assert.equal(resumed.result.epochs.length, 3, 'the earlier epochs are carried over');
      assert.equal(resumed.progress.length, resumed.progress[0]!.batches, 'only epoch 3 is trained');
      assert.equal(resumed.progress[0]!.epoch, 3);
      assert.deepEqual(losses(resumed.result), losses(straight.result), 'per-epoch losses');
      assert.deepEqual(accs(resumed.result), accs(straight.result), 'per-epoch accuracies');
      assert.deepEqual(
        resumed.result.epochs.map((e) => e.lr),
        straight.result.epochs.map((e) => e.lr),
      );
      assertSameWeights(resumed.weights, straight.weights, 'final weights');
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epoch, 3);

      // Resuming a finished run trains nothing more and gives the same weights.
      const again = run(recipe, { checkpointDir: dir }, 78);
      assert.equal(again.result.status, 'complete', again.result.error);
      assert.equal(again.result.resumedFrom, 3);
      assert.equal(again.progress.length, 0);
      assert.deepEqual(losses(again.result), losses(straight.result));
      assertSameWeights(again.weights, straight.weights, 'weights after resuming a finished run');
    }),
  );
}

test(
  'determinism: two fresh runs with the same seed give the same metrics and weights; another seed differs',
  noLeaks(() => {
    const recipe: RecipeInput = { epochs: 2, mixup: 0.2, flip: true, ema: 0.9, dropout: 0.1 };
    const a = run(recipe);
    const b = run(recipe);
    assert.deepEqual(losses(a.result), losses(b.result));
    assert.deepEqual(accs(a.result), accs(b.result));
    assertSameWeights(a.weights, b.weights, 'same seed');
    const c = run({ ...recipe, seed: 1 });
    assert.notDeepEqual(losses(c.result), losses(a.result), 'recipe seed 1 changes data order and augmentation');
  }),
);

test(
  'a diverging run (huge learning rate) ends with status failed, naming the epoch, without throwing',
  noLeaks(() => {
    let out: Run | null = null;
    assert.doesNotThrow(() => {
      out = run({ lr: 1e12, momentum: 0.9, epochs: 3, schedule: 'constant' });
    });
    const { result } = out!;
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /at epoch \d+, batch \d+/);
    assert.match(result.error ?? '', /diverged/);
    assert.match(result.error ?? '', /loss is (NaN|Infinity|-Infinity)/);
    assert.ok(result.epochs.length < 3, 'the run stopped early');
    const failedEpoch = Number(/at epoch (\d+)/.exec(result.error!)![1]);
    assert.equal(failedEpoch, result.epochs.length + 1, 'the error names the epoch that failed');
    assert.equal(result.testAcc, null);
  }),
);

test(
  'a failed run with a checkpoint directory keeps the last good checkpoint',
  noLeaks(() => {
    // Epoch 1 trains normally (the teacher's logits are zeros); the resumed run, the same run, has a
    // teacher whose logits have turned NaN, so its first batch (epoch 2) diverges: failed, and the
    // checkpoint stays at epoch 1.
    const dir = tempDir('diverge-ck');
    const recipe = { epochs: 3, distill: { teacher: 'teacher' } };
    const ok = run(recipe, { checkpointDir: dir, stopAfterEpochs: 1, teacher: new NanTeacher(false) });
    assert.equal(ok.result.status, 'complete');
    const bad = run(recipe, { checkpointDir: dir, test: true, teacher: new NanTeacher(true) });
    assert.equal(bad.result.status, 'failed');
    assert.match(bad.result.error!, /at epoch 2, batch 1/);
    assert.equal(bad.result.resumedFrom, 1);
    assert.equal(bad.result.testAcc, null);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epoch, 1);
  }),
);

test(
  'a checkpoint directory resumes only the same run: another recipe, data, subset or network is refused before anything is loaded, files untouched',
  noLeaks(() => {
    const dir = tempDir('identity-ck');
    const first = run({ epochs: 2 }, { checkpointDir: dir, stopAfterEpochs: 1, identity: { arch: 'a' } });
    assert.equal(first.result.status, 'complete');
    const file = path.join(dir, CHECKPOINT_FILE);
    const bytes = () => [fs.readFileSync(file), fs.readFileSync(path.join(dir, 'checkpoint.json'))];
    const before = bytes();
    const refused: Array<[RecipeInput, Partial<TrainJob>, string[]]> = [
      [{ epochs: 3 }, {}, ['recipe.epochs: 2 in the checkpoint, 3 now']],
      [{ epochs: 2, lr: 0.1 }, {}, ['recipe.lr: 0.05 in the checkpoint, 0.1 now']],
      [{ epochs: 2 }, { limitTrain: 300 }, ['limitTrain: 400 in the checkpoint, 300 now']],
      [{ epochs: 2 }, { identity: { arch: 'b' } }, ['arch: "a" in the checkpoint, "b" now']],
      [
        { epochs: 2 },
        { data: { ...data, spec: 'synthetic:4' } },
        ['data: "synthetic:3" in the checkpoint, "synthetic:4" now'],
      ],
    ];
    for (const [recipe, job, parts] of refused) {
      throwsWith(
        () => run(recipe, { checkpointDir: dir, identity: { arch: 'a' }, ...job }),
        [`${dir} holds the checkpoint of another run`, ...parts, 'give another run directory'],
      );
      assert.deepEqual(bytes(), before, 'the refused run changed the checkpoint');
    }
    // The same run continues (stopping after another number of epochs is the same run).
    const rest = run({ epochs: 2 }, { checkpointDir: dir, identity: { arch: 'a' } });
    assert.equal(rest.result.resumedFrom, 1);
    assert.equal(rest.result.epochs.length, 2);
  }),
);

test(
  "a run's identity is read from the checkpoint's header: a refused checkpoint's tensors are never loaded",
  noLeaks(() => {
    const dir = tempDir('identity-header');
    run({ epochs: 1 }, { checkpointDir: dir, identity: { arch: 'a' } });
    // Cut the tensor bytes off: loading them would fail; the header alone still says whose run it is.
    const file = path.join(dir, CHECKPOINT_FILE);
    const buf = fs.readFileSync(file);
    fs.writeFileSync(file, buf.subarray(0, 8 + Number(buf.readBigUInt64LE(0)) + 16));
    throwsWith(
      () => run({ epochs: 1 }, { checkpointDir: dir, identity: { arch: 'b' } }),
      ['holds the checkpoint of another run', 'arch: "a" in the checkpoint, "b" now'],
    );
    // A checkpoint that does not record its run (an older tsnas, another tool) is not taken as this one.
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    saveSafetensors(file, new Map(), {
      tsnas: JSON.stringify({ format: 'tsnas-checkpoint/1', epoch: 1, optimizer: {}, run: { epochs: [] } }),
    });
    throwsWith(
      () => run({ epochs: 1 }, { checkpointDir: dir }),
      [`${file} does not record which run it belongs to`, `remove ${dir} to start this run there`],
    );
  }),
);

/** A module whose outputs are NaN logits [N, 10] (as a teacher, it makes the distillation loss NaN), or zeros. */
class NanTeacher extends nn.Module {
  constructor(readonly nan = true) {
    super();
  }
  forward(x: Tensor): Tensor {
    return tidy(() =>
      x
        .flatten(1)
        .slice(1, 0, 10)
        .mul(this.nan ? Number.NaN : 0),
    );
  }
}

test(
  'clipGradNorm scales gradients to the given global norm and returns the norm before',
  noLeaks(() => {
    const model = tinyNet(4);
    try {
      const grads = () => tidy(() => model.parameters().map((p) => p.grad!.toArray()));
      const norm = (gs: number[][]) => Math.sqrt(gs.flat().reduce((s, v) => s + v * v, 0));
      tidy(() => {
        nn.F.crossEntropy(model.forward(randn([8, 1, 6, 6])), tensor([0, 1, 2, 3, 4, 5, 6, 7], [8], { dtype: 'int64' }))
          .mul(1000)
          .backward();
      });
      const before = grads();
      const n0 = norm(before);
      assert.ok(n0 > 1, `gradient norm ${n0}`);
      // A bound above the norm changes nothing.
      const r1 = clipGradNorm(model, n0 * 2);
      assert.ok(Math.abs(r1 - n0) <= 1e-4 * n0, `returned ${r1}, computed ${n0}`);
      assert.deepEqual(grads(), before);
      // A bound below it scales every gradient by the same factor, to that norm.
      const r2 = clipGradNorm(model, 0.5);
      assert.ok(Math.abs(r2 - n0) <= 1e-4 * n0);
      const after = grads();
      assert.ok(Math.abs(norm(after) - 0.5) < 1e-4, `norm after clipping ${norm(after)}`);
      const scale = 0.5 / n0;
      after.forEach((g, i) =>
        g.forEach((v, k) =>
          assert.ok(Math.abs(v - before[i]![k]! * scale) <= 1e-6 + 1e-4 * Math.abs(v), 'direction kept'),
        ),
      );
    } finally {
      model.zeroGrad();
      model.dispose();
    }
  }),
);

test(
  'limitTrain limits the images trained on per epoch',
  noLeaks(() => {
    // 200 kept, 10% to validation: 180 training images, 5 full batches of 32 (the partial one dropped).
    const small = run({ epochs: 1 }, { limitTrain: 200 });
    assert.equal(small.result.status, 'complete', small.result.error);
    assert.equal(small.progress.at(-1)!.batches, 5);
    assert.equal(small.progress.length, 5);
    const full = run({ epochs: 1 }, { limitTrain: undefined });
    // 600 images, 540 for training: 16 full batches.
    assert.equal(full.progress.at(-1)!.batches, 16);
  }),
);

test(
  'test: true reports the test accuracy, the same as evaluating the returned model on the test split',
  noLeaks(() => {
    const model = tinyNet();
    try {
      const r = train({ model, recipe: parseRecipe({ epochs: 2, batchSize: 32 }), data, limitTrain: 300, test: true });
      assert.equal(r.status, 'complete', r.error);
      assert.ok(typeof r.testAcc === 'number' && r.testAcc >= 0 && r.testAcc <= 1, `testAcc ${r.testAcc}`);
      const loader = new BatchLoader(data.test, allIndices(data.test), {
        mean: data.mean,
        std: data.std,
        batchSize: 256,
        shuffle: false,
        seed: 0,
        memoryFormat: 'channels_last',
      });
      try {
        const e = evaluate(model, loader);
        assert.equal(e.count, data.test.count);
        assert.equal(e.accuracy, r.testAcc);
      } finally {
        loader.dispose();
      }
      assert.equal(model.training, true, 'evaluate restores training mode');
    } finally {
      model.dispose();
    }
  }),
);

test(
  'checkpoint files: checkpoint.safetensors with model, optimizer and EMA tensors, checkpoint.json with the epoch',
  noLeaks(() => {
    const dir = path.join(tempDir('ck'), 'run1');
    const { result } = run({ epochs: 2, ema: 0.9 }, { checkpointDir: dir, runInfo: { space: 'tiny', arch: 'a1' } });
    assert.equal(result.status, 'complete', result.error);
    assert.ok(fs.existsSync(path.join(dir, CHECKPOINT_FILE)));
    assert.ok(!fs.readdirSync(dir).some((f) => f.includes('.tmp')), `no temp files left: ${fs.readdirSync(dir)}`);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8'));
    assert.equal(json.format, 'tsnas-checkpoint/1');
    assert.equal(json.epoch, 2);
    assert.equal(json.run.space, 'tiny');
    assert.equal(json.run.arch, 'a1');
    assert.equal(json.run.data, data.spec);
    assert.equal(json.run.recipe.ema, 0.9);
    assert.equal(json.run.epochs.length, 2);
    assert.equal(typeof json.optimizer.stepCount, 'number');
    for (const where of [dir, path.join(dir, CHECKPOINT_FILE)]) {
      const ck = loadCheckpoint(where);
      try {
        assert.deepEqual(ck.state, json, 'the safetensors metadata and the JSON copy agree');
        assert.deepEqual(Object.keys(ck.groups).sort(), ['ema', 'model', 'optim']);
        const fresh = tinyNet(0);
        const names = [...fresh.stateDict().keys()];
        fresh.dispose();
        assert.deepEqual([...ck.groups.model!.keys()].sort(), [...names].sort());
        assert.deepEqual([...ck.groups.ema!.keys()].sort(), [...names].sort());
        assert.ok(ck.groups.optim!.size > 0, 'momentum buffers saved');
      } finally {
        for (const g of Object.values(ck.groups)) for (const t of g.values()) t.dispose();
      }
    }
  }),
);

test(
  'loadCheckpoint of a safetensors file that is not a tsnas checkpoint, or of no file, errors clearly',
  noLeaks(() => {
    const dir = tempDir('ck-bad');
    const file = path.join(dir, 'weights.safetensors');
    const t = tensor([1, 2, 3], [3]);
    saveSafetensors(file, { 'model.w': t }, { format: 'pt' });
    t.dispose();
    throwsWith(() => loadCheckpoint(file), [file, 'not a tsnas checkpoint']);
    throwsWith(() => loadCheckpoint(path.join(dir, 'none.safetensors')), ['none.safetensors']);
    fs.writeFileSync(path.join(dir, 'junk.safetensors'), 'hello world, not safetensors');
    throwsWith(() => loadCheckpoint(path.join(dir, 'junk.safetensors')), ['junk.safetensors', 'safetensors']);
  }),
);

test(
  'loadCheckpoint of a safetensors file whose tsnas metadata is not a checkpoint state',
  noLeaks(() => {
    const dir = tempDir('ck-meta');
    const file = path.join(dir, CHECKPOINT_FILE);
    const t = tensor([1, 2, 3], [3]);
    saveSafetensors(file, { 'model.w': t }, { tsnas: '{"hello": 1}' });
    t.dispose();
    throwsWith(() => loadCheckpoint(file), [file, 'not a tsnas checkpoint']);
  }),
);

test(
  'a limit that leaves no training images fails the run clearly, without throwing',
  noLeaks(() => {
    // limitTrain 3 of 600 over 10 classes rounds every class down to 0 images.
    const { result } = run({ epochs: 1 }, { limitTrain: 3 });
    assert.equal(result.status, 'failed');
    assert.match(result.error!, /no training images/);
  }),
);

test(
  'knowledge distillation: with a teacher the loss differs from plain cross-entropy; weight 0 is plain CE',
  noLeaks(() => {
    const teacher = tinyNet(5).eval();
    try {
      const teacherBefore = snapshot(teacher);
      const recipe: RecipeInput = { epochs: 2 };
      const plain = run(recipe);
      const kd = run(
        { ...recipe, distill: { teacher: 'teacher.safetensors', weight: 0.8, temperature: 2 } },
        { teacher },
      );
      assert.equal(kd.result.status, 'complete', kd.result.error);
      assert.ok(kd.result.epochs.every((e) => Number.isFinite(e.loss)));
      assert.notDeepEqual(losses(kd.result), losses(plain.result), 'distillation changes the loss');
      const zero = run({ ...recipe, distill: { teacher: 'teacher.safetensors', weight: 0 } }, { teacher });
      assert.deepEqual(losses(zero.result), losses(plain.result), 'weight 0 is plain cross-entropy');
      // A teacher without recipe.distill is ignored.
      const ignored = run(recipe, { teacher });
      assert.deepEqual(losses(ignored.result), losses(plain.result));
      assertSameWeights(snapshot(teacher), teacherBefore, 'the teacher is not trained');
    } finally {
      teacher.dispose();
    }
  }),
);

test(
  'knowledge distillation: a teacher in training mode is still used as a fixed function',
  noLeaks(() => {
    // The trainer should put the teacher in eval mode: in training mode BatchNorm uses batch
    // statistics and updates the teacher's running averages on every student batch.
    const teacher = tinyNet(5); // training mode, as a freshly built or loaded module is
    try {
      const before = snapshot(teacher);
      const kd = run({ epochs: 1, distill: { teacher: 't', weight: 0.8 } }, { teacher });
      assert.equal(kd.result.status, 'complete', kd.result.error);
      assertSameWeights(snapshot(teacher), before, 'teacher state untouched');
      assert.equal(teacher.training, true, 'the teacher gets its mode back');
    } finally {
      teacher.dispose();
    }
  }),
);

test(
  'no tensors leak from train(), whether it completes or fails',
  noLeaks(() => {
    run({ epochs: 1, ema: 0.9, mixup: 0.3 }, { test: true });
    run({ epochs: 1, lr: 1e12, schedule: 'constant' });
  }),
);
