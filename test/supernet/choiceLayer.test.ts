// The choice layer: its candidates and their names, one candidate, summed branches (gated or
// not, and gradients reaching only the branches that ran), the weighted mix (soft and
// straight-through hard), call counters, the errors, and no leaked tensors. Eval mode throughout
// where values are compared, so BatchNorm uses running statistics and every candidate is a fixed
// function of its input: outputs computed the same way are compared exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, tensor } from '../../src/engine/creation';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import { ChoiceLayer } from '../../src/supernet/choiceLayer';
import { supernetLayout } from '../../src/supernet/layout';
import { noLeaks } from '../helpers/leakCheck';
import { tinySpace } from '../helpers/tinySpace';

const layout = supernetLayout(tinySpace());
/** layer2 (stages.1.0): 8 -> 16 channels, stride 2, candidates ir_k3_e1, ir_k3_e3, skip (a 1x1 conv here). */
const LAYER = layout.layers[1]!;

function makeLayer(): ChoiceLayer {
  manualSeed(0);
  return new ChoiceLayer(LAYER, layout.desc.e1FirstConv).eval();
}

const input = () => randn([2, LAYER.cin, LAYER.input[1], LAYER.input[2]]);

/** Whether every parameter of candidate i has a gradient. */
const hasGrads = (layer: ChoiceLayer, i: number) =>
  tidy(() => layer.ops[i]!.parameters().every((p) => p.grad !== null));
const hasNoGrads = (layer: ChoiceLayer, i: number) =>
  tidy(() => layer.ops[i]!.parameters().every((p) => p.grad === null));

test(
  'candidates are children ops.<op>, in the layer order',
  noLeaks(() => {
    const layer = makeLayer();
    try {
      assert.equal(layer.size, 3);
      const names = layer.namedParameters().map(([n]) => n);
      assert.ok(names.includes('ops.ir_k3_e3.conv_dw.weight'), names.join(', '));
      assert.ok(names.every((n) => /^ops\.(ir_k3_e1|ir_k3_e3|skip)\./.test(n)));
      assert.deepEqual(
        layer.children().map(([n]) => n),
        ['ops'],
      );
    } finally {
      layer.dispose();
    }
  }),
);

test(
  'one candidate: its output exactly, counted, remembered as the last choice',
  noLeaks(() => {
    const layer = makeLayer();
    try {
      tidy(() => {
        const x = input();
        for (const i of [2, 0, 1]) {
          assert.deepEqual(layer.runCandidate(x, i).toArray(), layer.ops[i]!.forward(x).toArray(), `candidate ${i}`);
          assert.equal(layer.lastChoice, i);
          assert.deepEqual(layer.run(x, i).toArray(), layer.ops[i]!.forward(x).toArray(), `run(x, ${i})`);
        }
        assert.deepEqual(layer.calls, [2, 2, 2]);
        layer.resetCalls();
        assert.deepEqual(layer.calls, [0, 0, 0]);
      });
    } finally {
      layer.dispose();
    }
  }),
);

test(
  'summed branches: the sum of the outputs, and gradients reach only the branches that ran',
  noLeaks(() => {
    const layer = makeLayer();
    try {
      tidy(() => {
        const x = input();
        const y = layer.runBranches(x, [2, 0]);
        assert.deepEqual(
          y.toArray(),
          layer.ops[2]!.forward(x).add(layer.ops[0]!.forward(x)).toArray(),
          'b_2(x) + b_0(x)',
        );
        assert.equal(layer.lastChoice, null, 'two branches: no single choice');
        assert.deepEqual(
          layer.run(x, [1]).toArray(),
          layer.ops[1]!.forward(x).toArray(),
          'a set of one is that candidate',
        );
        assert.equal(layer.lastChoice, 1);

        layer.zeroGrad();
        layer.resetCalls();
        layer.run(x, [0, 2]).sum().backward();
        assert.deepEqual(layer.calls, [1, 0, 1]);
        assert.ok(hasGrads(layer, 0) && hasGrads(layer, 2), 'the branches used get gradients');
        assert.ok(hasNoGrads(layer, 1), 'the branch not used gets none');
      });
    } finally {
      layer.dispose();
    }
  }),
);

test(
  'gated branches: g_i * b_i(x) summed; the gates get gradients where a branch ran, the rest zero',
  noLeaks(() => {
    const layer = makeLayer();
    try {
      tidy(() => {
        const x = input();
        const gates = tensor([0.5, 3, 2]).requiresGrad_();
        const y = layer.runBranches(x, [0, 2], gates);
        const want = layer.ops[0]!.forward(x).mul(0.5).add(layer.ops[2]!.forward(x).mul(2));
        assert.deepEqual(y.toArray(), want.toArray());
        layer.zeroGrad();
        y.sum().backward();
        const g = gates.grad!.toArray();
        // d sum(y) / d g_i = sum(b_i(x)) for a branch that ran, 0 for the one that did not.
        const s0 = layer.ops[0]!.forward(x).sum().item();
        const s2 = layer.ops[2]!.forward(x).sum().item();
        assert.ok(Math.abs(g[0]! - s0) <= 1e-4 * Math.max(1, Math.abs(s0)), `${g[0]} vs ${s0}`);
        assert.equal(g[1], 0);
        assert.ok(Math.abs(g[2]! - s2) <= 1e-4 * Math.max(1, Math.abs(s2)), `${g[2]} vs ${s2}`);
        assert.ok(hasNoGrads(layer, 1));
      });
    } finally {
      layer.dispose();
    }
  }),
);

test(
  'weighted mix: soft is sum_i w_i b_i(x); hard runs the argmax alone with a factor of exactly 1 and the weight gradient',
  noLeaks(() => {
    const layer = makeLayer();
    try {
      tidy(() => {
        const x = input();
        const w = tensor([0.2, 0.5, 0.3]).requiresGrad_();
        const soft = layer.runWeighted(x, w);
        let want: Tensor | null = null;
        layer.ops.forEach((op, i) => {
          const term = op.forward(x).mul(w.select(0, i));
          want = want ? want.add(term) : term;
        });
        assert.deepEqual(soft.toArray(), want!.toArray());
        assert.deepEqual(layer.forward(x, w).toArray(), soft.toArray(), 'forward(x, weights) is the soft mix');

        layer.resetCalls();
        const hard = layer.runWeighted(x, w, true);
        assert.deepEqual(layer.calls, [0, 1, 0]);
        assert.equal(layer.lastChoice, 1);
        assert.deepEqual(
          hard.toArray(),
          layer.ops[1]!.forward(x).toArray(),
          'value of the straight-through factor is exactly 1',
        );
        layer.zeroGrad();
        hard.sum().backward();
        const g = w.grad!.toArray();
        assert.ok(g[1] !== 0 && g[0] === 0 && g[2] === 0, `only the chosen weight: [${g}]`);
        assert.ok(hasGrads(layer, 1) && hasNoGrads(layer, 0) && hasNoGrads(layer, 2));
      });
    } finally {
      layer.dispose();
    }
  }),
);

test(
  'a one-candidate layer runs its op; wrong choices are refused with the layer named',
  noLeaks(() => {
    const fixed = new ChoiceLayer(layout.layers[3]!, layout.desc.e1FirstConv).eval();
    const layer = makeLayer();
    try {
      tidy(() => {
        const x = randn([1, 16, 4, 4]);
        assert.deepEqual(fixed.forward(x).toArray(), fixed.ops[0]!.forward(x).toArray());
        const h = input();
        assert.throws(() => layer.forward(h), /layer2 \(stages\.1\.0\) has 3 candidates: say which run/);
        assert.throws(
          () => layer.runCandidate(h, 3),
          /layer2 \(stages\.1\.0\): candidate index 3 is out of range 0\.\.2 \(ir_k3_e1, ir_k3_e3, skip\)/,
        );
        assert.throws(() => layer.runBranches(h, []), /the branch set is empty/);
        assert.throws(() => layer.runBranches(h, [1, 1]), /branch 1 appears twice in \[1, 1\]/);
        assert.throws(() => layer.runWeighted(h, tensor([0.5, 0.5])), /weights have shape \[2\], expected \[3\]/);
        assert.throws(() => layer.runBranches(h, [0], tensor([1])), /gates have shape \[1\], expected \[3\]/);
      });
    } finally {
      fixed.dispose();
      layer.dispose();
    }
  }),
);
