// End to end against PyTorch: ref-mbconv's forward (train and eval), loss, gradients, BatchNorm
// running statistics and three Nesterov SGD steps, from test/fixtures/ref_mbconv.safetensors
// (written by test/fixtures/make_nn_fixtures.py with the network of bench/ref_mbconv_torch.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadSafetensors, noGrad, tidy, type Tensor } from '../../src/engine';
import { F } from '../../src/nn';
import { SGD } from '../../src/optim';
import { refMbconv } from '../../src/models/refMbconv';
import { noLeaks } from '../helpers/leakCheck';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/ref_mbconv.safetensors');

/** Runs body in a tidy scope; test/helpers/leakCheck's noLeaks asserts the live tensor count is unchanged. */
const leakFree = (body: () => void) => noLeaks(() => tidy(body));

/** |a - e| <= atol + rtol * |e| elementwise, with atol scaled to the tensor's magnitude. */
function assertClose(actual: Tensor, expected: Tensor, what: string, rtol = 1e-4, atolFrac = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.toArray();
  const e = expected.toArray();
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  const atol = atolFrac * Math.max(scale, 1e-3);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i]! - e[i]!) - (atol + rtol * Math.abs(e[i]!));
    if (!(err <= 0) && (worst < 0 || !(err <= worstErr))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) assert.fail(`${what}[${worst}]: tsnas ${a[worst]} vs PyTorch ${e[worst]} (scale ${scale})`);
}

/**
 * tsnas's state-dict name for a PyTorch one. PyTorch's ref-mbconv ends in AdaptiveAvgPool2d (9),
 * Flatten (10), Linear (11); tsnas folds pooling and flattening into one GlobalAvgPool (9), so its
 * classifier is '10.*' where PyTorch's is '11.*'. Every other name matches exactly.
 */
function torchNameOf(tsName: string, torchNames: Set<string>): string {
  if (torchNames.has(tsName)) return tsName;
  const m = /^10\.(weight|bias)$/.exec(tsName);
  if (m && torchNames.has(`11.${m[1]}`)) return `11.${m[1]}`;
  throw new Error(`tsnas state-dict name '${tsName}' has no PyTorch counterpart`);
}

test('ref-mbconv matches PyTorch: forward, loss, gradients, BN statistics and 3 SGD steps', leakFree(() => {
  const { tensors: fx, metadata } = loadSafetensors(FIXTURE);
  const get = (name: string): Tensor => {
    const t = fx.get(name);
    assert.ok(t, `fixture lacks '${name}'`);
    return t;
  };
  const torchState: string[] = JSON.parse(metadata.state_names!);
  const torchParams: string[] = JSON.parse(metadata.param_names!);
  const sgd = JSON.parse(metadata.sgd!) as { lr: number; momentum: number; weight_decay: number; nesterov: boolean };
  const steps = Number(metadata.steps);
  const torchNames = new Set(torchState);

  const model = refMbconv(10);
  const own = model.stateDict();
  // Names: a bijection onto PyTorch's state dict, parameters onto parameters.
  const toTorch = new Map<string, string>();
  for (const n of own.keys()) toTorch.set(n, torchNameOf(n, torchNames));
  assert.deepEqual([...toTorch.values()].sort(), [...torchState].sort(), 'state-dict names (after the classifier mapping)');
  assert.deepEqual(model.namedParameters().map(([n]) => toTorch.get(n)!).sort(), [...torchParams].sort());
  assert.equal(model.parameterCount(), torchParams.reduce((s, n) => s + get(`init.${n}`).size, 0));
  const fromTorch = new Map([...toTorch].map(([a, b]) => [b, a]));

  // Initial state from PyTorch (including non-trivial BN affine parameters and running statistics).
  model.loadStateDict(new Map([...toTorch].map(([ts, pt]) => [ts, get(`init.${pt}`)])));
  const x = get('input.x');
  const y = get('input.y');
  assert.equal(y.dtype, 'int64');

  model.eval();
  tidy(() => assertClose(noGrad(() => model.forward(x)), get('expected.logits_eval'), 'eval logits'));

  model.train();
  const opt = new SGD(model.parameters(), { lr: sgd.lr, momentum: sgd.momentum, weightDecay: sgd.weight_decay, nesterov: sgd.nesterov });
  const losses = get('expected.losses').toArray();
  assert.equal(losses.length, steps);
  for (let step = 0; step < steps; step++) {
    tidy(() => {
      opt.zeroGrad();
      const logits = model.forward(x);
      const loss = F.crossEntropy(logits, y);
      loss.backward();
      if (step === 0) {
        assertClose(logits, get('expected.logits_train'), 'train logits');
        assertClose(loss, get('expected.loss'), 'loss');
        const params = new Map(model.namedParameters());
        for (const pt of JSON.parse(metadata.grad_names!) as string[]) {
          const g = params.get(fromTorch.get(pt)!)!.grad;
          assert.ok(g, `${pt} has a gradient`);
          assertClose(g, get(`grad.${pt}`), `grad ${pt}`, 1e-4, 1e-4);
        }
        // BN running statistics after one train-mode forward.
        for (const [ts, t] of own) {
          const pt = toTorch.get(ts)!;
          if (fx.has(`after1.${pt}`)) assertClose(t, get(`after1.${pt}`), `after one forward: ${pt}`);
        }
        assert.ok(torchState.filter((n) => n.includes('running')).every((n) => fx.has(`after1.${n}`)));
      } else {
        assertClose(loss.reshape(1), get('expected.losses').slice(0, step, step + 1), `loss at step ${step}`);
      }
      opt.step();
    });
  }

  // Every parameter and buffer after the SGD steps, num_batches_tracked included.
  for (const [ts, t] of own) {
    const pt = toTorch.get(ts)!;
    const expected = get(`final.${pt}`);
    assert.equal(t.dtype, expected.dtype, `${pt} dtype`);
    if (pt.endsWith('num_batches_tracked')) assert.deepEqual(t.toArray(), expected.toArray(), pt);
    else assertClose(t, expected, `after ${steps} steps: ${pt}`, 1e-4, 1e-4);
  }
  model.eval();
  tidy(() => assertClose(noGrad(() => model.forward(x)), get('expected.logits_eval_final'), 'eval logits after training', 1e-4, 1e-4));

  opt.dispose();
  model.dispose();
}));
