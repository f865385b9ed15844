// Per-candidate costs and the supernet layout: FLOPs per candidate add up to the analytic cost
// of every architecture, layer shapes, held dimensions, and the structural check with its
// messages (FBNet's LAT > 1 requirement is tested in test/fbnet/lossCosts.test.ts). No engine here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archCost } from '../../src/cost/netCost';
import { loadSpace } from '../../src/space/registry';
import { Rng } from '../../src/random/rng';
import {
  architectureCost,
  checkCostsMatchLayout,
  costRange,
  flopsCandidateCosts,
  type CandidateCosts,
  type CandidateCostsSource,
} from '../../src/supernet/candidateCosts';
import { archOfIndices, indicesOfArch, supernetLayout } from '../../src/supernet/layout';
import { tinySpace } from '../helpers/tinySpace';

const fbnetS = loadSpace('fbnet-s');

test('FLOPs costs: fixed + the chosen candidates equals archCost for random architectures (tiny, fbnet-s 1x28x28, fbnet)', () => {
  const cases = [
    { space: tinySpace(), input: undefined, classes: undefined },
    { space: fbnetS, input: [1, 28, 28] as const, classes: 10 },
    { space: loadSpace('fbnet'), input: undefined, classes: undefined },
  ];
  const rng = new Rng(1);
  for (const { space, input, classes } of cases) {
    for (const unit of ['MMAC', 'kMAC'] as const) {
      const costs = flopsCandidateCosts(space, input, classes, { unit });
      const scale = unit === 'MMAC' ? 1e6 : 1e3;
      const layout = supernetLayout(space, input, classes);
      assert.equal(costs.unit, unit);
      assert.deepEqual(
        costs.perLayer.map((r) => r.length),
        layout.layers.map((l) => l.candidates.length),
      );
      for (let k = 0; k < 30; k++) {
        const idx = layout.layers.map((l) => rng.int(l.candidates.length));
        const arch = archOfIndices(layout, idx);
        assert.deepEqual(indicesOfArch(layout, arch), idx);
        const want = archCost(space, arch, { input, classes }).flops;
        const got = architectureCost(costs, idx) * scale;
        assert.ok(Math.abs(got - want) <= 1e-9 * want, `${space.name} ${unit}: ${got} vs ${want}`);
      }
    }
  }
});

test('layout of fbnet-s at 1x28x28: shapes per layer, identity skips cost nothing, fixed parts', () => {
  const layout = supernetLayout(fbnetS, [1, 28, 28], 10);
  assert.deepEqual(
    layout.layers.map((l) => l.key),
    ['layer1', 'layer2', 'layer3', 'layer4', 'layer5', 'layer6', 'layer7', 'layer8', 'layer9'],
  );
  assert.deepEqual(
    layout.layers.map((l) => l.input),
    [
      [16, 28, 28],
      [16, 28, 28],
      [24, 14, 14],
      [24, 14, 14],
      [32, 7, 7],
      [32, 7, 7],
      [32, 7, 7],
      [64, 4, 4],
      [64, 4, 4],
    ],
  );
  assert.deepEqual(
    layout.layers.map((l) => l.stride),
    [1, 2, 1, 2, 1, 1, 2, 1, 1],
  );
  assert.ok(layout.layers.every((l) => l.searchable && l.candidates.length === 9));
  assert.deepEqual(
    layout.fixed.map((f) => [f.name, f.input]),
    [
      ['stem', [1, 28, 28]],
      ['head', [64, 4, 4]],
      ['pool', [256, 4, 4]],
      ['classifier', [256, 1, 1]],
    ],
  );
  assert.deepEqual(layout.heldFixed, []);
  const costs = flopsCandidateCosts(fbnetS, [1, 28, 28], 10, { unit: 'kMAC' });
  const skip = layout.layers[0]!.candidates.findIndex((c) => c.op === 'skip');
  assert.equal(costs.perLayer[0]![skip], 0, 'identity skip');
  assert.ok(costs.perLayer[1]![skip]! > 0, 'stride-2 skip is a 1x1 conv');
  assert.equal(costs.fixed, (28 * 28 * 16 * 9 + 4 * 4 * 256 * 64 + 256 * 10) / 1e3);
  const { min, max } = costRange(costs);
  assert.ok(min > 500 && min < 530 && max > 14000 && max < 14100, `${min} .. ${max} kMAC`);
  checkCostsMatchLayout(costs, layout);
});

test('fbnet holds its head width at the first value; stage-wise spaces are refused', () => {
  const layout = supernetLayout(loadSpace('fbnet'));
  assert.equal(layout.layers.length, 22);
  assert.deepEqual(layout.heldFixed, ['head.channels=1984']);
  assert.equal(layout.desc.head.cout, 1984);
  assert.throws(
    () => supernetLayout(loadSpace('fbnetv3')),
    /space 'fbnetv3' is stagewise; a supernet needs a layer-wise space/,
  );
});

test('checkCostsMatchLayout names the wrong entry', () => {
  const layout = supernetLayout(tinySpace());
  const good = flopsCandidateCosts(tinySpace(), undefined, undefined, { unit: 'kMAC' });
  const bad = (c: Partial<CandidateCosts>) => () => checkCostsMatchLayout({ ...good, ...c }, layout);
  assert.throws(
    bad({ perLayer: [[1, 2], ...good.perLayer.slice(1)] }),
    /layer1 has 2 costs but 3 candidates \(ir_k3_e1, ir_k3_e3, skip\)/,
  );
  assert.throws(bad({ perLayer: [[1, NaN, 2], ...good.perLayer.slice(1)] }), /layer1 candidate 'ir_k3_e3' costs NaN/);
  assert.throws(bad({ fixed: Infinity }), /fixed cost is Infinity/);
  assert.throws(bad({ unit: 'ms' as never }), /unknown unit 'ms'/);
});

test('a latency adapter has the CandidateCostsSource signature (us)', () => {
  // The shape a lookup-table adapter returns: the same layout, microseconds.
  const fake: CandidateCostsSource = (space, input) => {
    const layout = supernetLayout(space, input);
    return {
      unit: 'us',
      perLayer: layout.layers.map((l) => l.candidates.map((_, i) => 100 + 10 * i)),
      fixed: 250,
      source: 'fake table',
    };
  };
  const c = fake(fbnetS, [1, 28, 28]);
  checkCostsMatchLayout(c, supernetLayout(fbnetS, [1, 28, 28]));
  assert.equal(architectureCost(c, Array(9).fill(1)), 250 + 9 * 110);
});
