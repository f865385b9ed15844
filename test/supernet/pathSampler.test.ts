// A tight FLOPs budget on the whole nse-s pool (a SPOS run held to a small network's MACs): uniform
// draws rarely meet it, so rejection alone gives up; the sampler's exact draws within the budget
// (the uniform distribution restricted to it) return feasible paths every time, with a fixed layer
// too, spread over many ops; a budget below the cheapest path gives none. No engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConstraint } from '../../src/cost/constraints';
import { makeCostModel } from '../../src/cost/costModel';
import { Rng } from '../../src/random/rng';
import { loadSpace } from '../../src/space';
import { architectureCost, flopsCandidateCosts, macsInUnit } from '../../src/supernet/candidateCosts';
import { supernetLayout } from '../../src/supernet/layout';
import { constraintFilter, PathSampler } from '../../src/supernet/pathSampler';

const input = [1, 28, 28] as const;
const space = loadSpace('nse-s');
const layout = supernetLayout(space, input, 10);
const costs = flopsCandidateCosts(space, input, 10);
const model = makeCostModel(space, { decode: { input: [...input] } });

function sampler(budgetMacs: number, within: boolean) {
  const feasible = constraintFilter(layout, model, [parseConstraint(`flops<=${budgetMacs}`)])!;
  const s = new PathSampler({
    layout,
    feasible,
    ...(within ? { within: { costs, max: macsInUnit(budgetMacs, 'MMAC') } } : {}),
  });
  return { s, feasible };
}

test('a tight FLOPs budget: rejection alone gives up, exact draws within the budget do not', () => {
  const budget = 1.6e6; // about a fifth of the pool's mean path
  const rejection = sampler(budget, false).s;
  const rng = new Rng(3);
  let misses = 0;
  for (let k = 0; k < 20; k++) if (rejection.draw(rng) === null) misses++;
  assert.ok(misses > 0, 'uniform rejection sampling meets this budget too rarely for 200 tries');

  const { s, feasible } = sampler(budget, true);
  const ops = new Set<string>();
  for (let k = 0; k < 200; k++) {
    const p = s.draw(rng);
    assert.ok(p && feasible(p), `draw ${k}`);
    assert.ok(architectureCost(costs, p) <= macsInUnit(budget, 'MMAC') + 1e-9);
    p.forEach((i, l) => ops.add(`${l}:${i}`));
  }
  assert.ok(s.stats.exactDraws > 0);
  assert.ok(ops.size > 30, `the draws spread over the pool's ops: ${ops.size} (layer, op) pairs`);
  const fixed = { layer: 5, op: 0 };
  const withFixed = s.draw(rng, fixed);
  assert.ok(withFixed && withFixed[5] === 0 && feasible(withFixed));
});

test('a budget below the cheapest path: no path, exact or not', () => {
  const cheapest = architectureCost(
    costs,
    costs.perLayer.map((row) => row.indexOf(Math.min(...row))),
  );
  const { s } = sampler(Math.floor(cheapest * 1e6 * 0.9), true);
  assert.equal(s.draw(new Rng(1)), null);
});
