// Finite-difference gradient checks of composite networks: autograd's gradient of a scalar
// function against central differences (float64, eps 1e-6) for every element of every input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/engine/autograd';
import { manualSeed, randn, tensor } from '../../src/engine/creation';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import * as F from '../../src/nn/functional';
import { assertClose } from '../helpers/compare';
import { noLeaks } from '../helpers/leakCheck';

interface HostTensor {
  values: number[];
  shape: number[];
  /** Inputs that are data, not variables (e.g. class labels): passed through, not checked. */
  constant?: boolean;
  dtype?: 'float64' | 'int64';
}

interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
}

/**
 * Checks autograd against central differences: for every element j of every non-constant
 * input, (f(x + eps e_j) - f(x - eps e_j)) / 2 eps must match d f / d x_j. fn maps the inputs
 * (float64, in order) to a scalar. Returns the number of elements checked.
 */
function gradcheck(fn: (xs: Tensor[]) => Tensor, inputs: HostTensor[], o: GradcheckOptions = {}): number {
  const eps = o.eps ?? 1e-6;
  const rtol = o.rtol ?? 1e-5;
  const atol = o.atol ?? 1e-7;
  const make = (h: HostTensor, values = h.values) =>
    tensor(h.dtype === 'int64' ? values : new Float64Array(values), h.shape, { dtype: h.dtype ?? 'float64' });

  // Analytic gradients.
  const analytic = tidy(() => {
    const xs = inputs.map((h) => {
      const t = make(h);
      return h.constant ? t : t.requiresGrad_(true);
    });
    const y = fn(xs);
    assert.equal(y.size, 1, `gradcheck: fn must return a scalar, got shape [${y.shape}]`);
    assert.equal(y.dtype, 'float64');
    y.backward();
    return xs.map((x, i) => {
      if (inputs[i]!.constant) return null;
      const g = x.grad;
      return g ? g.toArray() : new Array<number>(inputs[i]!.values.length).fill(0);
    });
  });

  // Numeric gradients.
  const evalAt = (which: number, values: number[]): number =>
    tidy(() => noGrad(() => fn(inputs.map((h, i) => make(h, i === which ? values : h.values))).item()));
  let checked = 0;
  inputs.forEach((h, i) => {
    if (h.constant) return;
    const numeric = h.values.map((v, j) => {
      const plus = h.values.slice();
      const minus = h.values.slice();
      plus[j] = v + eps;
      minus[j] = v - eps;
      return (evalAt(i, plus) - evalAt(i, minus)) / (2 * eps);
    });
    assert.ok(
      analytic[i]!.some((g) => g !== 0),
      `gradcheck: input ${i} has an all-zero gradient`,
    );
    assertClose(analytic[i]!, numeric, rtol, atol, `gradcheck input ${i} (analytic vs numeric)`);
    checked += numeric.length;
  });
  return checked;
}

/** Seeded float64 normal values (scaled), as host data. */
function normal(seed: number, shape: number[], scale = 1, shift = 0): HostTensor {
  return tidy(() => {
    manualSeed(seed);
    const v = randn(shape, { dtype: 'float64' })
      .toArray()
      .map((x) => x * scale + shift);
    return { values: v, shape };
  });
}

function labels(values: number[]): HostTensor {
  return { values, shape: [values.length], constant: true, dtype: 'int64' };
}

test(
  'gradcheck catches a wrong gradient (x * x.detach())',
  noLeaks(() => {
    assert.throws(() => gradcheck(([x]) => x!.mul(x!.detach()).sum(), [normal(1, [4])]), /analytic vs numeric/);
  }),
);

test(
  'conv2d + batchNorm(train) + hardswish + mean',
  noLeaks(() => {
    const R = normal(10, [2, 4, 3, 3]);
    const n = gradcheck(
      ([x, w, gamma, beta, r]) => {
        const y = F.conv2d(x!, w!, null, { padding: 0 });
        const z = F.batchNorm(y, null, null, { weight: gamma!, bias: beta!, training: true, eps: 1e-5 });
        return F.hardswish(z).mul(r!).mean();
      },
      [
        normal(11, [2, 3, 5, 5]),
        normal(12, [4, 3, 3, 3], 0.4),
        normal(13, [4], 0.5, 1.5),
        normal(14, [4], 0.5),
        { ...R, constant: true },
      ],
    );
    assert.equal(n, 150 + 108 + 4 + 4);
  }),
);

test(
  'conv2d(stride 2, bias) + batchNorm(train, running stats) + relu6 + sum',
  noLeaks(() => {
    gradcheck(
      ([x, w, b, r]) =>
        tidy(() => {
          // Fresh running statistics per evaluation; in training they do not affect the output.
          const rm = tensor(new Float64Array(3), [3]);
          const rv = tensor(new Float64Array([1, 1, 1]), [3]);
          const y = F.conv2d(x!, w!, b!, { stride: 2, padding: 1 });
          return F.relu6(F.batchNorm(y, rm, rv, { training: true, momentum: 0.1 }).mul(2).add(2))
            .mul(r!)
            .sum();
        }),
      [
        normal(21, [2, 2, 5, 5]),
        normal(22, [3, 2, 3, 3], 0.5),
        normal(23, [3]),
        { ...normal(24, [2, 3, 3, 3]), constant: true },
      ],
    );
  }),
);

test(
  'linear + logSoftmax + crossEntropy with label smoothing',
  noLeaks(() => {
    const n = gradcheck(
      ([x, w, b, target]) =>
        F.crossEntropy(F.logSoftmax(F.linear(x!, w!, b!), 1), target!, { labelSmoothing: 0.1, reduction: 'mean' }),
      [normal(31, [5, 6]), normal(32, [4, 6], 0.7), normal(33, [4]), labels([0, 3, 1, 3, 2])],
    );
    assert.equal(n, 30 + 24 + 4);
  }),
);

test(
  'linear + crossEntropy with probability targets, sum reduction',
  noLeaks(() => {
    const p = tidy(() => {
      const t = tensor(new Float64Array(normal(41, [3, 4]).values), [3, 4]).softmax(1);
      return t.toArray();
    });
    gradcheck(
      ([x, w, target]) => F.crossEntropy(F.linear(x!, w!), target!, { reduction: 'sum', labelSmoothing: 0.05 }),
      [normal(42, [3, 5]), normal(43, [4, 5]), { values: p, shape: [3, 4] }],
    );
  }),
);

test(
  'depthwise conv + channelShuffle',
  noLeaks(() => {
    gradcheck(
      ([x, w, b, r]) =>
        F.channelShuffle(F.conv2d(x!, w!, b!, { padding: 1, groups: 4 }), 2)
          .mul(r!)
          .sum(),
      [
        normal(51, [2, 4, 4, 4]),
        normal(52, [4, 1, 3, 3]),
        normal(53, [4]),
        { ...normal(54, [2, 4, 4, 4]), constant: true },
      ],
    );
  }),
);

test(
  'huberLoss (delta 0.7, mean) in both arguments',
  noLeaks(() => {
    gradcheck(([a, b]) => F.huberLoss(a!, b!, 0.7, 'mean'), [normal(61, [4, 5], 1.5), normal(62, [4, 5])]);
  }),
);

test(
  'huberLoss (delta 1.5, sum) after tanh',
  noLeaks(() => {
    gradcheck(
      ([a, b]) => F.huberLoss(a!.mul(3).tanh().mul(3), b!, 1.5, 'sum'),
      [normal(63, [3, 4]), normal(64, [3, 4], 2)],
    );
  }),
);

test(
  'SE-like gating x * hardsigmoid(conv(pool(x)))',
  noLeaks(() => {
    gradcheck(
      ([x, w, b, r]) => {
        const s = F.hardsigmoid(F.conv2d(F.adaptiveAvgPool2d(x!, 1), w!, b!));
        return x!.mul(s).mul(r!).sum();
      },
      [
        normal(71, [2, 4, 3, 3], 2),
        normal(72, [4, 4, 1, 1], 1.5),
        normal(73, [4]),
        { ...normal(74, [2, 4, 3, 3]), constant: true },
      ],
    );
  }),
);

test(
  'SE block with squeeze (relu) and excite (hardsigmoid) convs, silu body',
  noLeaks(() => {
    gradcheck(
      ([x, w1, b1, w2, b2]) => {
        const h = F.silu(x!);
        const s = F.relu(F.conv2d(F.adaptiveAvgPool2d(h, 1), w1!, b1!));
        const e = F.hardsigmoid(F.conv2d(s, w2!, b2!));
        return h.mul(e).pow(2).mean();
      },
      [
        normal(81, [2, 4, 3, 3], 1.5),
        normal(82, [2, 4, 1, 1]),
        normal(83, [2], 0.2, 0.5),
        normal(84, [4, 2, 1, 1], 2),
        normal(85, [4]),
      ],
    );
  }),
);

test(
  'maxPool + bilinear interpolate + softmax + klDiv(batchmean)',
  noLeaks(() => {
    gradcheck(
      ([x, t]) => {
        const y = F.interpolate(F.maxPool2d(x!, 2), [3, 3], 'bilinear', false).flatten(1);
        return F.klDiv(F.logSoftmax(y, 1), F.softmax(t!, 1), 'batchmean');
      },
      [normal(91, [2, 1, 4, 4]), normal(92, [2, 9])],
    );
  }),
);
