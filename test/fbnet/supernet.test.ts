// The FBNet supernet: Gumbel-softmax masks, the soft mixture, the straight-through hard variant,
// the expected cost and its gradient, the latency-aware loss, latency pressure on theta, a path's
// standalone network without the logits, and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gumbel, manualSeed, randn, randint, scalar, tensor } from '../../src/engine/creation';
import { noGrad } from '../../src/engine/autograd';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import { crossEntropy } from '../../src/nn/functional';
import { Adam } from '../../src/optim/adam';
import { Supernet } from '../../src/search/fbnet/supernet';
import { flopsCandidateCosts, type CandidateCosts } from '../../src/supernet/candidateCosts';
import { childStateDict, extractChildNetwork } from '../../src/supernet/childNetwork';
import { dnasLoss, dnasLossValue } from '../../src/search/fbnet/loss';
import { noLeaks } from '../helpers/leakCheck';
import { tinySpace } from '../helpers/tinySpace';

const space = tinySpace();
const costs = flopsCandidateCosts(space, undefined, undefined, { unit: 'kMAC' });
const THETA = [
  [0.5, -1, 2],
  [1, 0, -0.5],
  [-2, 1.5, 0.3],
];

function makeSupernet(o: { hard?: boolean; tau?: number; costs?: CandidateCosts; seed?: number } = {}): Supernet {
  manualSeed(o.seed ?? 0);
  return new Supernet(space, { costs: o.costs ?? costs, hard: o.hard, tau: o.tau });
}

function setTheta(sn: Supernet, values: number[][]): void {
  noGrad(() => sn.architectureParameters().forEach((t, l) => tidy(() => t.copy_(tensor(values[l]!)))));
}

const softmax = (xs: number[]): number[] => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function assertClose(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)), `${what}[${i}]: ${v} vs ${b[i]}`),
  );
}

/** The Gumbel noise forwardWithCost draws after manualSeed(seed): one [K] draw per searchable layer, in order. */
function noiseAfterSeed(sn: Supernet, seed: number): number[][] {
  manualSeed(seed);
  return tidy(() => sn.mixedOps.filter((op) => op.theta).map((op) => gumbel([op.size]).toArray()));
}

test(
  'layout: theta per searchable layer (zeros, uniform softmax), separate from the weights',
  noLeaks(() => {
    const sn = makeSupernet();
    try {
      assert.deepEqual(
        sn.mixedOps.map((m) => m.size),
        [3, 3, 3, 1],
      );
      const named = sn.namedArchitectureParameters().map(([n]) => n);
      assert.deepEqual(named, ['stages.0.0.theta', 'stages.1.0.theta', 'stages.1.1.theta']);
      for (const t of sn.architectureParameters()) assert.deepEqual(t.toArray(), [0, 0, 0]);
      for (const d of sn.distributions().slice(0, 3)) assertClose(d, [1 / 3, 1 / 3, 1 / 3], 1e-6, 'uniform');
      assert.deepEqual(sn.distributions()[3], [1]);
      const w = new Set(sn.weightParameters());
      assert.equal(sn.weightParameters().length + 3, sn.parameters().length);
      for (const t of sn.architectureParameters()) assert.ok(!w.has(t));
    } finally {
      sn.dispose();
    }
  }),
);

test(
  "a path of the FBNet supernet extracts as a standalone network: theta stays behind, the output is forwardPath's",
  noLeaks(() => {
    // The names and the extraction are the supernet's (test/supernet/childNetwork.test.ts); here the logits must not get in the way.
    const sn = makeSupernet();
    try {
      setTheta(sn, THETA);
      sn.eval();
      const idx = [1, 2, 0, 0];
      assert.ok(![...childStateDict(sn, idx).keys()].some((n) => n.includes('theta')));
      const net = extractChildNetwork(sn, idx);
      try {
        tidy(() => {
          const x = randn([2, 1, 16, 16]);
          assert.deepEqual(net.forward(x).toArray(), sn.forwardPath(x, idx).toArray());
        });
      } finally {
        net.dispose();
      }
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'soft forward: masks are softmax((theta + g) / tau) and the output is the mask-weighted sum of the candidates',
  noLeaks(() => {
    const tau = 1.7;
    const sn = makeSupernet({ tau });
    try {
      setTheta(sn, THETA);
      sn.eval(); // BatchNorm on running statistics: every candidate's output is a fixed function of its input
      tidy(() => {
        manualSeed(11);
        const x = randn([3, 1, 16, 16]);
        const g = noiseAfterSeed(sn, 5);
        manualSeed(5);
        const out = sn.forwardWithCost(x);
        const masks = out.masks.map((m) => m.toArray());
        THETA.forEach((th, l) =>
          assertClose(masks[l]!, softmax(th.map((t, i) => (t + g[l]![i]!) / tau)), 1e-5, `mask ${l}`),
        );
        assert.deepEqual(masks[3], [1]);
        // The same network computed by hand from the masks.
        let h = sn.stem.forward(x);
        sn.mixedOps.forEach((op, l) => {
          const outs = op.ops.map((b) => b.forward(h));
          h = outs.reduce(
            (acc: Tensor | null, y, i) => (acc ? acc.add(y.mul(masks[l]![i]!)) : y.mul(masks[l]![i]!)),
            null,
          )!;
        });
        const ref = sn.classifier.forward(sn.pool.forward(sn.head.forward(h)));
        assertClose(out.logits.toArray(), ref.toArray(), 1e-4, 'logits');
      });
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'hard forward: one candidate per layer runs, the output is that network, theta gets a gradient',
  noLeaks(() => {
    const sn = makeSupernet({ hard: true, tau: 2 });
    try {
      setTheta(sn, THETA);
      tidy(() => {
        const x = randn([4, 1, 16, 16]);
        const y = randint(0, 10, [4]);
        sn.eval();
        sn.resetCalls();
        manualSeed(3);
        const out = sn.forwardWithCost(x);
        const masks = out.masks.map((m) => m.toArray());
        for (const [l, op] of sn.mixedOps.entries()) {
          assert.equal(
            op.calls.reduce((a, b) => a + b, 0),
            1,
            `${op.layer.key}: exactly one candidate ran`,
          );
          if (op.theta) {
            const best = masks[l]!.indexOf(Math.max(...masks[l]!));
            assert.equal(op.lastChoice, best, 'the sampled candidate is the argmax of the mask');
            assert.equal(op.calls[best], 1);
          }
        }
        const chosen = sn.mixedOps.map((op) => op.lastChoice ?? 0);
        let h = sn.stem.forward(x);
        sn.mixedOps.forEach((op, l) => {
          h = op.ops[chosen[l]!]!.forward(h);
        });
        const ref = sn.classifier.forward(sn.pool.forward(sn.head.forward(h)));
        assertClose(
          out.logits.toArray(),
          ref.toArray(),
          1e-6,
          'hard logits equal the sampled network (gate value exactly 1)',
        );

        sn.train();
        sn.zeroGrad();
        manualSeed(4);
        crossEntropy(sn.forwardWithCost(x).logits, y).backward();
        // Through the gate, CE reaches theta_l where layer l's output also flows on unnormalised
        // (a residual add or an identity skip in the next layer): stages.1.0 and stages.1.1 here.
        // stages.0.0 feeds a stride-2 layer that starts with conv + BatchNorm, which in training
        // mode is invariant to the gate's scale, so its CE gradient vanishes (docs/fbnet.md).
        const grads = sn.architectureParameters().map((t) => t.grad!.toArray());
        for (const l of [1, 2])
          assert.ok(
            grads[l]!.some((v) => Math.abs(v) > 1e-5),
            `theta ${l} gradient through the straight-through gate: [${grads[l]}]`,
          );
        assert.ok(
          grads[0]!.every((v) => Math.abs(v) < 1e-6),
          `theta 0: BatchNorm makes the gate's scale invisible: [${grads[0]}]`,
        );
        // In eval mode (running statistics) every layer's gate matters.
        sn.eval();
        sn.zeroGrad();
        manualSeed(4);
        crossEntropy(sn.forwardWithCost(x).logits, y).backward();
        for (const t of sn.architectureParameters())
          assert.ok(
            t.grad!.toArray().some((v) => Math.abs(v) > 1e-5),
            'eval-mode gradient',
          );
      });
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'hard sampling is Gumbel-max: the chosen candidate follows softmax(theta)',
  noLeaks(() => {
    const sn = makeSupernet({ hard: true, tau: 3 });
    try {
      setTheta(sn, THETA);
      const op = sn.mixedOps[0]!;
      const counts = [0, 0, 0];
      manualSeed(9);
      const n = 3000;
      for (let k = 0; k < n; k++)
        tidy(() => {
          counts[op.sampleMask(3).argmax(0).item()]!++;
        });
      const p = softmax(THETA[0]!);
      counts.forEach((c, i) =>
        assert.ok(
          Math.abs(c / n - p[i]!) < 4 * Math.sqrt((p[i]! * (1 - p[i]!)) / n),
          `candidate ${i}: ${c / n} vs ${p[i]}`,
        ),
      );
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'expected cost = sum of masks * costs + fixed, and its gradient in theta is (1/tau) m_j (c_j - LAT_layer)',
  noLeaks(() => {
    const tau = 2.5;
    for (const hard of [false, true]) {
      const sn = makeSupernet({ tau, hard });
      try {
        setTheta(sn, THETA);
        tidy(() => {
          manualSeed(21);
          const out = sn.forwardWithCost(randn([2, 1, 16, 16]));
          const masks = out.masks.map((m) => m.toArray());
          const js = masks.reduce(
            (s, m, l) => s + m.reduce((a, mi, i) => a + mi * costs.perLayer[l]![i]!, 0),
            costs.fixed,
          );
          assert.ok(Math.abs(out.cost.item() - js) < 1e-4 * js, `cost ${out.cost.item()} vs ${js}`);
          sn.zeroGrad();
          out.cost.backward();
          sn.architectureParameters().forEach((t, l) => {
            const m = masks[l]!;
            const c = costs.perLayer[l]!;
            const lat = m.reduce((a, mi, i) => a + mi * c[i]!, 0);
            const want = m.map((mj, j) => (mj * (c[j]! - lat)) / tau);
            const got = t.grad!.toArray();
            assert.ok(
              got.some((v) => Math.abs(v) > 1e-6),
              `nonzero gradient (hard=${hard})`,
            );
            assertClose(got, want, 1e-3, `dLAT/dtheta layer ${l} (hard=${hard})`);
          });
        });
      } finally {
        sn.dispose();
      }
    }
  }),
);

test(
  'loss is CE * alpha * (log LAT)^beta exactly (not alpha * CE * log(LAT^beta)), with its gradients',
  noLeaks(() => {
    for (const [ce, lat, alpha, beta] of [
      [2.3, 1234.5, 0.2, 0.6],
      [0.7, 3.2, 1.5, 2],
      [1.1, 250, 0.2, 0.6],
    ] as const) {
      tidy(() => {
        const ceT = scalar(ce).requiresGrad_();
        const latT = scalar(lat).requiresGrad_();
        const loss = dnasLoss(ceT, latT, alpha, beta);
        const want = ce * alpha * Math.log(lat) ** beta;
        assert.ok(Math.abs(loss.item() - want) < 1e-5 * want, `${loss.item()} vs ${want}`);
        assert.ok(Math.abs(dnasLossValue(ce, lat, alpha, beta) - want) < 1e-12);
        const buggy = alpha * ce * Math.log(lat ** beta);
        assert.ok(Math.abs(want - buggy) > 1e-3, 'differs from the known reimplementation bug');
        loss.backward();
        const dLat = (ce * alpha * beta * Math.log(lat) ** (beta - 1)) / lat;
        assert.ok(
          Math.abs(latT.grad!.item() - dLat) < 1e-4 * Math.abs(dLat),
          `dL/dLAT ${latT.grad!.item()} vs ${dLat}`,
        );
        assert.ok(Math.abs(ceT.grad!.item() - alpha * Math.log(lat) ** beta) < 1e-5);
      });
    }
  }),
);

test(
  'latency pressure: theta-only training on fixed weights lowers the expected cost',
  noLeaks(() => {
    // Costs with a wide spread (skip cheapest), a strong exponent; weights frozen.
    const steep: CandidateCosts = {
      unit: 'us',
      perLayer: [[300, 3000, 30], [300, 3000, 30], [300, 3000, 30], [100]],
      fixed: 50,
      source: 'test',
    };
    const sn = makeSupernet({ costs: steep, tau: 1 });
    try {
      sn.setTrainable(false, true);
      const opt = new Adam(sn.architectureParameters(), { lr: 0.05, weightDecay: 5e-4 });
      try {
        const start = sn.expectedCost();
        const seen: number[] = [start];
        manualSeed(1);
        const x = randn([16, 1, 16, 16]);
        const y = randint(0, 10, [16]);
        for (let step = 0; step < 40; step++) {
          tidy(() => {
            opt.zeroGrad();
            const out = sn.forwardWithCost(x);
            dnasLoss(crossEntropy(out.logits, y), out.cost, 0.2, 3).backward();
            opt.step();
          });
          seen.push(sn.expectedCost());
        }
        x.dispose();
        y.dispose();
        const end = seen.at(-1)!;
        assert.ok(end < 0.6 * start, `expected cost ${start.toFixed(1)} -> ${end.toFixed(1)} us`);
        assert.ok(
          seen.slice(-10).every((v) => v < seen[10]!),
          'keeps falling',
        );
        assert.deepEqual(sn.argmaxIndices().slice(0, 3), [2, 2, 2], 'the cheapest candidate (skip) wins');
      } finally {
        opt.dispose();
      }
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'costs that allow LAT <= 1 are refused with the unit advice',
  noLeaks(() => {
    const cheap = flopsCandidateCosts(space); // MMAC: the tiny space costs well under 1 MMAC
    assert.equal(cheap.unit, 'MMAC');
    assert.throws(() => new Supernet(space, { costs: cheap }), /LAT > 1.*kMAC/s);
    assert.throws(
      () => new Supernet(space, { costs: { ...costs, perLayer: costs.perLayer.slice(1) } }),
      /3 layers of costs, but the space has 4 layers/,
    );
  }),
);
