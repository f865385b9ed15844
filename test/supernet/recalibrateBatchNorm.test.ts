// BatchNorm recalibration: after N batches the running statistics are the plain mean over the
// batches of each batch's statistics (computed here independently, in doubles), whatever the
// statistics were before; dropout stays off meanwhile; weights, modes and momenta are left as
// they were; the cumulative momentum (null) matches that mean batch by batch while the default
// momentum is unchanged; and a network whose statistics were reset recovers from chance. No
// tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randint, randn, tensor } from '../../src/engine/creation';
import { noGrad } from '../../src/engine/autograd';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import { BatchNorm2d, Conv2d, Dropout, GlobalAvgPool, Linear, ReLU, Sequential } from '../../src/nn';
import { crossEntropy } from '../../src/nn/functional';
import { SGD } from '../../src/optim/sgd';
import { recalibrateBatchNorm } from '../../src/supernet/recalibrateBatchNorm';
import { noLeaks } from '../helpers/leakCheck';

/** Per-channel mean and unbiased variance of [N, C, H, W] values, in doubles. */
function channelStats(x: Tensor): { mean: number[]; variance: number[] } {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const v = x.contiguous().toArray();
  const mean: number[] = [];
  const variance: number[] = [];
  const count = n * h * w;
  for (let ch = 0; ch < c; ch++) {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) xs.push(v[(i * c + ch) * h * w + p]!);
    const m = xs.reduce((a, b) => a + b, 0) / count;
    mean.push(m);
    variance.push(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (count - 1));
  }
  return { mean, variance };
}

// float32 statistics and N float32 running-average updates against doubles: each value is off
// by a few float32 roundings (relative 6e-8 each) of numbers of order 1-10, so 1e-5 relative
// (plus 1e-6 absolute for means near 0) is loose enough and far tighter than any wrong weighting
// (an exponential average with momentum 0.1 over 5 batches misses by more than 10%).
function assertClose(got: number[], want: number[], what: string): void {
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - want[i]!) <= 1e-6 + 1e-5 * Math.abs(want[i]!), `${what}[${i}]: ${g} vs ${want[i]}`),
  );
}

test(
  'after N batches the running statistics are the mean over batches of the batch statistics',
  noLeaks(() => {
    manualSeed(1);
    const conv = new Conv2d(2, 3, 3, { padding: 1 });
    const bn = new BatchNorm2d(3);
    // Dropout ahead of the BatchNorm: recalibration must keep it off, or the statistics would not be those evaluation sees.
    const net = new Sequential(new Dropout(0.5), conv, bn, ReLU(), new GlobalAvgPool(), new Linear(3, 2));
    try {
      tidy(() => {
        const batches = [0, 1, 2, 3, 4].map((k) =>
          randn([4 + k, 2, 5, 5])
            .mul(1 + k)
            .add(k - 2),
        );
        // Statistics that are not the reset ones, and a mixed mode, to check both are dealt with.
        net.train();
        noGrad(() => net.forward(batches[0]!.mul(3)));
        net.eval();
        net.children()[1]![1].train();
        const weights = net.parameters().map((p) => p.toArray());
        const r = recalibrateBatchNorm(net, batches);
        assert.deepEqual(r, { batches: 5, layers: 1 });

        const stats = batches.map((x) => channelStats(noGrad(() => conv.forward(x))));
        const mean = [0, 1, 2].map((c) => stats.reduce((s, b) => s + b.mean[c]!, 0) / stats.length);
        const variance = [0, 1, 2].map((c) => stats.reduce((s, b) => s + b.variance[c]!, 0) / stats.length);
        assertClose(bn.runningMean.toArray(), mean, 'running_mean');
        assertClose(bn.runningVar.toArray(), variance, 'running_var');
        assert.equal(bn.numBatchesTracked.item(), 5);

        assert.deepEqual(
          net.parameters().map((p) => p.toArray()),
          weights,
          'weights untouched',
        );
        assert.ok(
          net.parameters().every((p) => p.grad === null),
          'no gradients',
        );
        assert.deepEqual(
          net.namedModules().map(([n, m]) => [n, m.training]),
          [
            ['', false],
            ['0', false],
            ['1', true],
            ['2', false],
            ['3', false],
            ['4', false],
            ['5', false],
          ],
          'modes restored',
        );
        assert.equal(bn.momentum, 0.1, 'momentum restored');
      });
      assert.throws(
        () => recalibrateBatchNorm(net, []),
        /no batches, so 1 BatchNorm layer\(s\) were left at their reset statistics/,
      );
    } finally {
      net.dispose();
    }
  }),
);

test(
  'momentum null is the cumulative average batch by batch; the default momentum still weighs 0.1',
  noLeaks(() => {
    manualSeed(2);
    const cumulative = new BatchNorm2d(2, { momentum: null });
    const fixed = new BatchNorm2d(2);
    try {
      tidy(() => {
        assert.equal(fixed.momentum, 0.1);
        const seen: { mean: number[]; variance: number[] }[] = [];
        let expMean = [0, 0];
        for (let k = 0; k < 4; k++) {
          const x = randn([3, 2, 4, 4])
            .mul(k + 1)
            .add(k);
          cumulative.forward(x);
          fixed.forward(x);
          const s = channelStats(x);
          seen.push(s);
          expMean = expMean.map((m, c) => 0.9 * m + 0.1 * s.mean[c]!);
          assertClose(
            cumulative.runningMean.toArray(),
            [0, 1].map((c) => seen.reduce((a, b) => a + b.mean[c]!, 0) / seen.length),
            `mean after ${k + 1}`,
          );
          assertClose(
            cumulative.runningVar.toArray(),
            [0, 1].map((c) => seen.reduce((a, b) => a + b.variance[c]!, 0) / seen.length),
            `var after ${k + 1}`,
          );
          assertClose(fixed.runningMean.toArray(), expMean, `default momentum after ${k + 1}`);
        }
        cumulative.resetRunningStats();
        assert.deepEqual(
          [cumulative.runningMean.toArray(), cumulative.runningVar.toArray(), cumulative.numBatchesTracked.item()],
          [[0, 0], [1, 1], 0],
        );
      });
    } finally {
      cumulative.dispose();
      fixed.dispose();
    }
  }),
);

test(
  'a network whose BatchNorm statistics were reset falls to chance and recalibration brings it back',
  noLeaks(() => {
    // Two classes told apart by the mean brightness (+-0.5) on a large offset (10): the BatchNorm
    // statistics carry the offset and scale, so without them the evaluated network sees features
    // far off the ones it was trained on.
    manualSeed(3);
    const net = new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), ReLU(), new GlobalAvgPool(), new Linear(4, 2));
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    const data = (n: number) =>
      tidy(() => {
        const y = randint(0, 2, [n]);
        const shift = tensor(
          y.toArray().map((c) => (c ? 0.5 : -0.5)),
          [n, 1, 1, 1],
        );
        return { x: randn([n, 1, 8, 8]).mul(0.5).add(shift).add(10), y };
      });
    const batches = [0, 1, 2, 3, 4, 5, 6, 7].map(() => data(32));
    const held = data(256);
    const accuracy = () => tidy(() => noGrad(() => net.forward(held.x).argmax(1).eq(held.y).sum().item() / 256));
    try {
      net.train();
      for (let epoch = 0; epoch < 8; epoch++) {
        for (const b of batches)
          tidy(() => {
            opt.zeroGrad();
            crossEntropy(net.forward(b.x), b.y).backward();
            opt.step();
          });
      }
      net.eval();
      const trained = accuracy();
      assert.ok(trained > 0.9, `trained accuracy ${trained}`);
      (net.children()[1]![1] as BatchNorm2d).resetRunningStats();
      const reset = accuracy();
      assert.ok(reset < 0.7, `with reset statistics ${reset}: about chance`);
      recalibrateBatchNorm(
        net,
        batches.map((b) => b.x),
      );
      const recovered = accuracy();
      assert.ok(
        recovered > 0.9 && Math.abs(recovered - trained) < 0.05,
        `recalibrated ${recovered} vs trained ${trained}`,
      );
    } finally {
      for (const b of [...batches, held]) {
        b.x.dispose();
        b.y.dispose();
      }
      opt.dispose();
      net.dispose();
    }
  }),
);
