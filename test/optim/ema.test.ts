// ModelEma: the shadow follows decay * shadow + (1 - decay) * weights, and withAveragedWeights
// swaps the shadow into the model and restores the trained weights afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, randn, tidy, type Tensor } from '../../src/engine';
import { BatchNorm2d, Conv2d, F, GlobalAvgPool, Linear, ReLU, Sequential } from '../../src/nn';
import { ModelEma, SGD } from '../../src/optim';
import { noLeaks } from '../helpers/leakCheck';

/** Runs body in a tidy scope; test/helpers/leakCheck's noLeaks asserts the live tensor count is unchanged. */
const leakFree = (body: () => void) => noLeaks(() => tidy(body));

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rtol = 1e-6,
  atol = 1e-7,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}[${i}]: ${a} != ${e}`);
  }
}

const net = () =>
  new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4), ReLU(), new GlobalAvgPool(), new Linear(4, 3));
const snapshot = (m: Sequential) => new Map([...m.stateDict()].map(([n, t]) => [n, t.toArray()]));

/** One SGD step on random data (changes parameters and BN buffers). */
function trainStep(model: Sequential, opt: SGD): void {
  tidy(() => {
    opt.zeroGrad();
    F.crossEntropy(model.forward(randn([4, 3, 6, 6])), randn([4, 3]).softmax(1)).backward();
    opt.step();
  });
}

test(
  'the shadow starts as a copy and follows decay * shadow + (1 - decay) * w',
  leakFree(() => {
    manualSeed(11);
    const model = net();
    const opt = new SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    const decay = 0.75;
    const ema = new ModelEma(model, decay);
    assert.deepEqual([...ema.shadow.keys()], [...model.stateDict().keys()]);
    for (const [n, t] of model.stateDict()) {
      const s = ema.shadow.get(n)!;
      assert.notEqual(s, t, 'the shadow holds copies');
      assert.equal(s.requiresGrad, false, `${n}: shadow needs no grad`);
      assert.deepEqual(s.toArray(), t.toArray());
    }
    let expected = snapshot(model);
    for (let step = 0; step < 4; step++) {
      trainStep(model, opt);
      const w = snapshot(model);
      ema.update();
      const next = new Map<string, number[]>();
      for (const [n, vals] of w) {
        const isInt = n.endsWith('num_batches_tracked');
        // Integer buffers are copied; float tensors averaged.
        next.set(n, isInt ? vals : expected.get(n)!.map((s, i) => decay * s + (1 - decay) * vals[i]!));
      }
      expected = next;
      for (const [n, s] of ema.shadow) assertAllClose(s.toArray(), expected.get(n)!, `step ${step}: ${n}`);
      assert.equal(ema.shadow.get('1.num_batches_tracked')!.toArray()[0], step + 1);
    }
    // The model's own weights are not touched by update().
    const w = snapshot(model);
    ema.update();
    for (const [n, t] of model.stateDict()) assert.deepEqual(t.toArray(), w.get(n), n);
    ema.dispose();
    assert.equal(ema.shadow.size, 0);
    opt.dispose();
    model.dispose();
  }),
);

test(
  'withAveragedWeights evaluates with the shadow and restores the trained weights',
  leakFree(() => {
    manualSeed(12);
    const model = net();
    const params = model.parameters();
    const opt = new SGD(params, { lr: 0.5 });
    const ema = new ModelEma(model, 0.5);
    for (let i = 0; i < 3; i++) {
      trainStep(model, opt);
      ema.update();
    }
    const trained = snapshot(model);
    const x = randn([2, 3, 6, 6]);
    model.eval();
    const yTrained = noGrad(() => model.forward(x)).toArray();

    let yAveraged: number[] = [];
    const result = ema.withAveragedWeights(() => {
      for (const [n, t] of model.stateDict())
        assert.deepEqual(t.toArray(), ema.shadow.get(n)!.toArray(), `inside: ${n}`);
      yAveraged = tidy(() => noGrad(() => model.forward(x)).toArray());
      return 'done';
    });
    assert.equal(result, 'done');
    assert.notDeepEqual(yAveraged, yTrained, 'the averaged weights give different outputs');
    for (const [n, t] of model.stateDict()) assert.deepEqual(t.toArray(), trained.get(n), `restored: ${n}`);
    model
      .parameters()
      .forEach((p, i) => assert.equal(p, params[i], 'parameter identity is kept (the optimizer still works)'));

    // Restored even when fn throws.
    assert.throws(
      () =>
        ema.withAveragedWeights(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    for (const [n, t] of model.stateDict()) assert.deepEqual(t.toArray(), trained.get(n), `restored after throw: ${n}`);

    // And training goes on against the same tensors.
    model.train();
    const before: Tensor = params[0]!.clone();
    trainStep(model, opt);
    assert.notDeepEqual(params[0]!.toArray(), before.toArray());
    ema.dispose();
    opt.dispose();
    model.dispose();
  }),
);
