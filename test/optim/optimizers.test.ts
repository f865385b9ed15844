// Optimizers against PyTorch (and timm's RMSpropTF rule) on float64 parameters, from
// test/fixtures/optim.json (written by test/fixtures/make_nn_fixtures.py), and exact resumption
// from an optimizer state dict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeSafetensors, encodeSafetensors, keep, tensor, tidy, type Tensor } from '../../src/engine';
import { Adam, AdamW, RMSProp, SGD, type Optimizer, type OptimizerMeta } from '../../src/optim';
import { noLeaks } from '../helpers/leakCheck';

interface Fixture {
  params: Record<string, { shape: number[]; init: number[] }>;
  grads: Array<Record<string, number[] | null>>;
  cases: Array<{
    name: string;
    optimizer: string;
    options: Record<string, unknown>;
    expected: Array<Record<string, number[]>>;
  }>;
}
const FX: Fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/optim.json'), 'utf8'));
const NAMES = Object.keys(FX.params);

/** Runs body in a tidy scope; test/helpers/leakCheck's noLeaks asserts the live tensor count is unchanged. */
const leakFree = (body: () => void) => noLeaks(() => tidy(body));

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}[${i}]: tsnas ${a} vs reference ${e}`);
  }
}

/** Fresh float64 leaf parameters at the fixture's initial values (kept: they outlive scopes). */
function makeParams(): Tensor[] {
  return NAMES.map((n) => keep(tensor(Float64Array.from(FX.params[n]!.init), FX.params[n]!.shape)).requiresGrad_(true));
}

function makeOptimizer(kind: string, params: Tensor[], options: Record<string, unknown>): Optimizer {
  switch (kind) {
    case 'SGD':
      return new SGD(params, options);
    case 'RMSProp':
      return new RMSProp(params, options);
    case 'Adam':
      return new Adam(params, options);
    case 'AdamW':
      return new AdamW(params, options);
    default:
      throw new Error(`unknown optimizer ${kind}`);
  }
}

/**
 * Sets each parameter's .grad to the fixture's gradient for this step, or none: backward of
 * sum(p * g) gives exactly g (float64), and a parameter left out has no gradient at all.
 */
function setGrads(params: Tensor[], step: number): void {
  tidy(() => {
    for (const p of params) p.clearGrad();
    const terms: Tensor[] = [];
    NAMES.forEach((n, i) => {
      const g = FX.grads[step]![n];
      if (g) terms.push(params[i]!.mul(tensor(Float64Array.from(g), FX.params[n]!.shape)).sum());
    });
    terms.reduce((a, b) => a.add(b)).backward();
  });
}

const RTOL = 1e-10;
const ATOL = 1e-12;

test(
  'the fixture has the expected shape',
  leakFree(() => {
    assert.deepEqual(NAMES, ['p0', 'p1', 'p2']);
    assert.equal(FX.grads.length, 5);
    // p2 gets no gradient in steps 1 and 3.
    assert.deepEqual(
      FX.grads.map((g) => g.p2 === null),
      [false, true, false, true, false],
    );
    assert.ok(FX.cases.length >= 13);
  }),
);

for (const c of FX.cases) {
  test(
    `${c.name} follows the reference for 5 steps (p2 skips steps 1 and 3)`,
    leakFree(() => {
      const params = makeParams();
      const opt = makeOptimizer(c.optimizer, params, c.options);
      for (let step = 0; step < FX.grads.length; step++) {
        setGrads(params, step);
        const before = params.map((p) => p.toArray());
        opt.step();
        NAMES.forEach((n, i) => {
          const got = params[i]!.toArray();
          assertAllClose(got, c.expected[step]![n]!, RTOL, ATOL, `${c.name} step ${step} ${n}`);
          // A parameter without a gradient is not touched (no weight decay, no momentum drift).
          if (FX.grads[step]![n] === null)
            assert.deepEqual(got, before[i], `${c.name} step ${step}: ${n} has no gradient`);
        });
      }
      assert.equal(opt.stepCount, 5);
      // Each parameter counts its own updates (Adam's bias correction uses them).
      assert.deepEqual(opt.stateDict().meta.paramSteps, [[5, 5, 3]]);
      opt.dispose();
      for (const p of params) p.dispose();
    }),
  );
}

test(
  'optimizer defaults follow PyTorch (and AdamW decays by 0.01)',
  leakFree(() => {
    const p = [keep(tensor(Float64Array.from([1, 2])))];
    const sgd = new SGD(p);
    assert.deepEqual(
      [sgd.groups[0]!.momentum, sgd.groups[0]!.dampening, sgd.groups[0]!.nesterov, sgd.groups[0]!.weightDecay],
      [0, 0, false, 0],
    );
    const rms = new RMSProp(p);
    assert.deepEqual(
      [rms.groups[0]!.lr, rms.groups[0]!.alpha, rms.groups[0]!.eps, rms.groups[0]!.tfStyle],
      [0.01, 0.99, 1e-8, false],
    );
    const adam = new Adam(p);
    assert.deepEqual(
      [
        adam.groups[0]!.lr,
        adam.groups[0]!.beta1,
        adam.groups[0]!.beta2,
        adam.groups[0]!.eps,
        adam.groups[0]!.weightDecay,
      ],
      [1e-3, 0.9, 0.999, 1e-8, 0],
    );
    assert.equal(new AdamW(p).groups[0]!.weightDecay, 0.01);
    assert.equal(new AdamW(p).groups[0]!.decoupled, true);
    assert.throws(() => new SGD(p, { nesterov: true }), /Nesterov momentum needs momentum > 0 and dampening 0/);
    assert.throws(() => new SGD(p, { nesterov: true, momentum: 0.9, dampening: 0.1 }), /Nesterov/);
    p[0]!.dispose();
  }),
);

test(
  'parameter groups keep their own hyper-parameters',
  leakFree(() => {
    const sgdCase = FX.cases.find((c) => c.name === 'sgd_plain')!;
    const params = makeParams();
    // Group 0 (p0, p1) at the fixture's lr; group 1 (p2) frozen with lr 0.
    const opt = new SGD([{ params: params.slice(0, 2) }, { params: [params[2]!], lr: 0 }], sgdCase.options);
    assert.equal(opt.groups[1]!.lr, 0);
    for (let step = 0; step < FX.grads.length; step++) {
      setGrads(params, step);
      opt.step();
    }
    assertAllClose(params[0]!.toArray(), sgdCase.expected[4]!.p0!, RTOL, ATOL, 'p0');
    assertAllClose(params[1]!.toArray(), sgdCase.expected[4]!.p1!, RTOL, ATOL, 'p1');
    assert.deepEqual(params[2]!.toArray(), FX.params.p2!.init, 'lr 0 leaves p2 at its initial value');
    opt.setLearningRate(0.5);
    assert.deepEqual(
      opt.groups.map((g) => g.lr),
      [0.5, 0.5],
    );
    opt.dispose();
    for (const p of params) p.dispose();
  }),
);

// Resuming: optimizer A runs 5 steps; optimizer B is built over copies of A's parameters after
// step `cut`, loads A's state dict (through safetensors bytes and JSON, as a checkpoint would),
// and runs the remaining steps. Both must end bit-identical.
const RESUME_CASES = [
  'sgd_nesterov_wd',
  'sgd_momentum_dampening',
  'rmsprop_centered',
  'rmsprop_tf_centered_momentum_wd',
  'adam_wd',
  'adamw',
];
for (const name of RESUME_CASES) {
  test(
    `${name}: an optimizer resumed from a state dict mid-run ends identical`,
    leakFree(() => {
      const c = FX.cases.find((k) => k.name === name)!;
      const cut = 3; // p2 has had 2 updates then, and gets no gradient in step 3
      const pa = makeParams();
      const a = makeOptimizer(c.optimizer, pa, c.options);
      for (let step = 0; step < cut; step++) {
        setGrads(pa, step);
        a.step();
      }
      const sd = a.stateDict();
      assert.deepEqual(sd.meta.paramSteps, [[3, 3, 2]]);
      assert.equal(sd.meta.stepCount, 3);
      const bytes = encodeSafetensors(sd.tensors);
      const meta = JSON.parse(JSON.stringify(sd.meta)) as OptimizerMeta;

      const pb = NAMES.map((_, i) => keep(pa[i]!.detach().clone()).requiresGrad_(true));
      // B starts with different hyper-parameters: the state dict must restore them.
      const b = makeOptimizer(c.optimizer, pb, { ...c.options, lr: 123 });
      const restored = decodeSafetensors(bytes, 'optimizer state');
      b.loadStateDict({ tensors: restored.tensors, meta });
      for (const t of restored.tensors.values()) t.dispose(); // B holds its own copies
      assert.equal(b.groups[0]!.lr, c.options.lr);
      assert.equal(b.stepCount, 3);
      assert.deepEqual(b.stateDict().meta.paramSteps, [[3, 3, 2]]);

      for (let step = cut; step < FX.grads.length; step++) {
        setGrads(pa, step);
        setGrads(pb, step);
        a.step();
        b.step();
      }
      NAMES.forEach((n, i) => {
        assert.deepEqual(pb[i]!.toArray(), pa[i]!.toArray(), `${name}: ${n} after resuming`);
        assertAllClose(pa[i]!.toArray(), c.expected[4]![n]!, RTOL, ATOL, `${name}: ${n} vs reference`);
      });
      const sa = a.stateDict();
      const sb = b.stateDict();
      assert.deepEqual([...sb.tensors.keys()].sort(), [...sa.tensors.keys()].sort());
      for (const [k, t] of sa.tensors) assert.deepEqual(sb.tensors.get(k)!.toArray(), t.toArray(), `state ${k}`);
      assert.deepEqual(sb.meta, sa.meta);

      // Without the state dict (a fresh optimizer at the cut) the run diverges: the test has teeth.
      const pc = NAMES.map((_, i) =>
        keep(tensor(Float64Array.from(c.expected[cut - 1]![NAMES[i]!]!), FX.params[NAMES[i]!]!.shape)).requiresGrad_(
          true,
        ),
      );
      const fresh = makeOptimizer(c.optimizer, pc, c.options);
      for (let step = cut; step < FX.grads.length; step++) {
        setGrads(pc, step);
        fresh.step();
      }
      assert.notDeepEqual(pc[0]!.toArray(), pa[0]!.toArray());

      for (const o of [a, b, fresh]) o.dispose();
      for (const p of [...pa, ...pb, ...pc]) p.dispose();
    }),
  );
}

test(
  'loadStateDict rejects state from a different optimizer layout',
  leakFree(() => {
    const params = makeParams();
    const a = new SGD(params, { lr: 0.1, momentum: 0.9 });
    setGrads(params, 0);
    a.step();
    const sd = a.stateDict();
    const b = new SGD([{ params: [params[0]!] }, { params: [params[1]!] }], { lr: 0.1, momentum: 0.9 });
    assert.throws(() => b.loadStateDict(sd), /1 parameter groups, this optimizer 2/);
    const c = new SGD([params[0]!], { lr: 0.1, momentum: 0.9 });
    assert.throws(
      () => c.loadStateDict(sd),
      /optimizer state names '0\.1\.momentum_buffer', which matches no parameter/,
    );
    for (const o of [a, b, c]) o.dispose();
    for (const p of params) p.dispose();
  }),
);

test(
  'a rejected state dict leaves the optimizer as it was; dispose forgets step counts',
  noLeaks(() => {
    const p = keep(tensor([1, 2, 3], [3], { dtype: 'float64' }).requiresGrad_(true));
    const opt = new Adam([p], { lr: 0.1 });
    try {
      tidy(() => p.mul(p).sum().backward());
      opt.step();
      const before = opt.stateDict();
      const snapshot = JSON.stringify(before.meta);
      const avg = before.tensors.get('0.0.exp_avg')!.toArray();
      const wrong = tidy(() => keep(tensor([1, 2], [2], { dtype: 'float64' })));
      try {
        const bad = { tensors: new Map([['0.0.exp_avg', wrong]]), meta: { ...before.meta, stepCount: 99 } };
        assert.throws(() => opt.loadStateDict(bad), /'0\.0\.exp_avg' has shape \[2\] but its parameter has \[3\]/);
        const orphan = { tensors: new Map([['0.7.exp_avg', wrong]]), meta: before.meta };
        assert.throws(() => opt.loadStateDict(orphan), /matches no parameter/);
      } finally {
        wrong.dispose();
      }
      const after = opt.stateDict();
      assert.equal(JSON.stringify(after.meta), snapshot, 'hyper-parameters and step counts unchanged');
      assert.deepEqual(after.tensors.get('0.0.exp_avg')!.toArray(), avg, 'state tensors unchanged');
      opt.dispose();
      assert.deepEqual(opt.stateDict().meta.paramSteps, [[0]], 'dispose forgets per-parameter steps');
    } finally {
      opt.dispose();
      p.dispose();
    }
  }),
);
