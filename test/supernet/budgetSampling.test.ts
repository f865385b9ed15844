// Honouring a cost budget with the learned distributions: the most probable architecture within
// the budget (dynamic programming, checked against brute force on random small instances) and
// samples conditioned on the budget (rejection sampling). No engine here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/random/rng';
import { architectureCost, flopsCandidateCosts, type CandidateCosts } from '../../src/supernet/candidateCosts';
import { argmaxArchitecture, uniformDistributions } from '../../src/supernet/pathSampling';
import { supernetLayout } from '../../src/supernet/layout';
import {
  conditionedDrawer,
  budgetArgmaxArchitecture,
  budgetArgmaxIndices,
  cheapestCost,
  sampleWithinBudget,
} from '../../src/supernet/budgetSampling';
import { loadSpace } from '../../src/space/registry';
import { tinySpace } from '../helpers/tinySpace';

/** Every index vector of the given layer sizes, in lexicographic order (layer 0 slowest). */
function* allIndices(sizes: readonly number[]): Generator<number[]> {
  const idx = sizes.map(() => 0);
  for (;;) {
    yield [...idx];
    let l = sizes.length - 1;
    while (l >= 0 && ++idx[l]! === sizes[l]) idx[l--] = 0;
    if (l < 0) return;
  }
}

const logProb = (dists: number[][], idx: number[]) => idx.reduce((s, i, l) => s + Math.log(dists[l]![i]!), 0);

/**
 * The most probable architecture with floor <= cost <= budget by enumeration (the first in
 * lexicographic order on ties), or null.
 */
function bruteForce(
  dists: number[][],
  costs: CandidateCosts,
  budget: number,
  floor = -Infinity,
): { indices: number[]; logProb: number } | null {
  let best: { indices: number[]; logProb: number } | null = null;
  for (const idx of allIndices(dists.map((p) => p.length))) {
    const c = architectureCost(costs, idx);
    if (idx.some((i, l) => dists[l]![i] === 0) || c > budget || c < floor) continue;
    const lp = logProb(dists, idx);
    if (!best || lp > best.logProb) best = { indices: idx, logProb: lp };
  }
  return best;
}

/** A random distribution over n candidates, some of them (not all) with probability 0. */
function randomDistribution(rng: Rng, n: number, zeros: boolean): number[] {
  const w: number[] = Array.from({ length: n }, () => (zeros && rng.next() < 0.2 ? 0 : rng.next() + 1e-3));
  if (!w.some((v) => v > 0)) w[rng.int(n)] = 1;
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** A random instance: 4 layers x 4 candidates (some of probability 0), integer costs, and its cheapest cost. */
function randomInstance(rng: Rng): { dists: number[][]; costs: CandidateCosts; lo: number } {
  const dists = Array.from({ length: 4 }, () => randomDistribution(rng, 4, true));
  const costs: CandidateCosts = {
    unit: 'us',
    fixed: 50 + rng.int(50),
    perLayer: dists.map((p) => p.map(() => 1 + rng.int(100))),
  };
  return { dists, costs, lo: cheapestCost(costs, dists) };
}

test('budget argmax = brute force on 300 random instances (4 layers x 4 candidates, integer costs, zero-probability candidates)', () => {
  const rng = new Rng(2024);
  let nulls = 0;
  let constrained = 0;
  for (let t = 0; t < 300; t++) {
    const { dists, costs, lo } = randomInstance(rng);
    const budget = lo - 20 + rng.int(250); // sometimes below the cheapest architecture
    const r = budgetArgmaxIndices(dists, costs, budget, { step: 1 });
    const b = bruteForce(dists, costs, budget);
    assert.equal(r.cheapest, lo);
    if (!b) {
      assert.equal(r.indices, null, `instance ${t}: nothing fits the budget ${budget} (cheapest ${lo})`);
      assert.equal(r.cost, null);
      assert.ok(lo > budget);
      nulls++;
      continue;
    }
    assert.deepEqual(r.indices, b.indices, `instance ${t}: budget ${budget}`);
    assert.equal(r.cost, architectureCost(costs, b.indices));
    assert.ok(r.cost! <= budget);
    if (b.indices.join() !== dists.map((p) => p.indexOf(Math.max(...p))).join()) constrained++;
  }
  assert.ok(
    nulls > 10 && constrained > 50,
    `the instances cover both cases (${nulls} with nothing within the budget, ${constrained} where the budget binds)`,
  );
});

test('budget argmax with costs off the grid: never over the budget, at least as probable as anything (layers x step) under it', () => {
  const rng = new Rng(7);
  for (let t = 0; t < 200; t++) {
    const dists = Array.from({ length: 4 }, () => randomDistribution(rng, 4, false));
    const costs: CandidateCosts = {
      unit: 'us',
      fixed: 100 * rng.next(),
      perLayer: dists.map((p) => p.map(() => 100 * rng.next())),
    };
    const budget = cheapestCost(costs, dists) + 5 + 200 * rng.next();
    const step = 0.5 + 3 * rng.next();
    const r = budgetArgmaxIndices(dists, costs, budget, { step });
    assert.equal(r.step, step);
    assert.ok(r.indices && r.cost! <= budget, `instance ${t}: cost ${r.cost} within ${budget}`);
    const lp = logProb(dists, r.indices);
    const exact = bruteForce(dists, costs, budget)!;
    const tighter = bruteForce(dists, costs, budget - 4 * step);
    assert.ok(lp <= exact.logProb + 1e-12, `instance ${t}: not more probable than the exact optimum`);
    if (tighter)
      assert.ok(
        lp >= tighter.logProb - 1e-12,
        `instance ${t}: at least as probable as the optimum under budget - 4 steps`,
      );
  }
});

test('budget argmax: ties go to the first feasible candidates in order; a loose budget gives the per-layer argmax', () => {
  const space = tinySpace();
  const costs: CandidateCosts = { unit: 'us', fixed: 10, perLayer: [[30, 20, 10], [30, 20, 10], [30, 20, 10], [0]] };
  const uniform = [[1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1]];
  // Every architecture is equally probable: the answer is the first within 75 µs in lexicographic order.
  const first = [...allIndices([3, 3, 3, 1])].find((idx) => architectureCost(costs, idx) <= 75)!;
  assert.deepEqual(first, [0, 1, 2, 0]);
  for (let k = 0; k < 3; k++)
    assert.deepEqual(budgetArgmaxIndices(uniform, costs, 75, { step: 1 }).indices, first, 'the same answer every time');
  const loose = budgetArgmaxArchitecture(space, uniform, costs, 1e6);
  assert.deepEqual(
    loose.arch!.indices,
    argmaxArchitecture(space, uniform).indices,
    'a loose budget: the argmax (first on ties)',
  );
  const dists = [[0.9, 0.1, 0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3], [1]];
  const r = budgetArgmaxArchitecture(space, dists, costs, 65);
  assert.deepEqual(r.arch!.indices, [0, 2, 2, 0], 'layer 1 keeps its 0.9 candidate; the rest take the cheapest');
  assert.equal(r.arch!.cost, 60);
  assert.equal(r.arch!.text, 'ir_k3_e1/skip-skip');
  assert.ok(Math.abs(r.arch!.logProb - Math.log((0.9 * 0.5) / 3)) < 1e-12);
  const none = budgetArgmaxArchitecture(space, dists, costs, 49);
  assert.equal(none.arch, null);
  assert.equal(
    none.cheapest,
    50,
    'the cheapest with positive probability: layer 1 cannot take its (zero-probability) skip',
  );
});

test('budget argmax on fbnet (22 layers x 9 candidates) and fbnet-s: within the budget, more probable than any sample within it', () => {
  for (const name of ['fbnet', 'fbnet-s']) {
    const space = loadSpace(name);
    const costs = flopsCandidateCosts(space, undefined, undefined, { unit: 'MMAC' });
    const rng = new Rng(3);
    const dists = costs.perLayer.map((row) => randomDistribution(rng, row.length, false));
    const lo = cheapestCost(costs, dists);
    const hi = costs.perLayer.reduce((s, row) => s + Math.max(...row), costs.fixed);
    const budget = lo + 0.3 * (hi - lo);
    const r = budgetArgmaxArchitecture(space, dists, costs, budget);
    assert.ok(r.arch && r.arch.cost <= budget, `${name}: ${r.arch?.cost} within ${budget}`);
    assert.ok(r.step >= budget / 4000 - 1e-12);
    const s = sampleWithinBudget(space, dists, costs, budget, 50, 1);
    assert.equal(s.samples.length, 50);
    const sure = budget - costs.perLayer.length * r.step; // within the rounded budget too
    for (const a of s.samples.filter((x) => x.cost <= sure))
      assert.ok(
        a.logProb <= r.arch.logProb + 1e-9,
        `${name}: a sample within the budget is no more probable than the constrained argmax`,
      );
  }
});

test('samples conditioned on the budget: all within it, seeded, the acceptance rate is the probability of the budget', () => {
  const space = tinySpace();
  const dists = [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [1]];
  const costs: CandidateCosts = { unit: 'us', fixed: 10, perLayer: [[30, 20, 10], [35, 15, 5], [30, 20, 10], [0]] };
  const budget = 70;
  let pWithin = 0;
  let nWithin = 0;
  for (const idx of allIndices([3, 3, 3, 1])) {
    if (architectureCost(costs, idx) <= budget) {
      pWithin += Math.exp(logProb(dists, idx));
      nWithin++;
    }
  }
  const a = sampleWithinBudget(space, dists, costs, budget, 5, 11);
  assert.equal(a.samples.length, 5);
  assert.equal(new Set(a.samples.map((s) => s.text)).size, 5, 'distinct');
  for (const s of a.samples) {
    assert.ok(s.cost <= budget);
    assert.equal(s.cost, architectureCost(costs, s.indices));
  }
  assert.deepEqual(sampleWithinBudget(space, dists, costs, budget, 5, 11), a, 'the same seed, the same samples');
  assert.notDeepEqual(
    sampleWithinBudget(space, dists, costs, budget, 5, 12).samples.map((s) => s.text),
    a.samples.map((s) => s.text),
  );
  assert.ok(a.draws >= 5 && a.accepted >= 5 && a.acceptanceRate === a.accepted / a.draws);
  assert.match(a.summary, /^5 distinct samples within the budget of 70 µs in \d+ draws, acceptance rate [0-9.]+%$/);

  // Asking for more than fit: every draw allowed is made, and the rate estimates P(cost <= budget).
  const many = sampleWithinBudget(space, dists, costs, budget, nWithin + 1, 5, { maxDraws: 20_000 });
  assert.equal(many.draws, 20_000);
  assert.equal(many.samples.length, nWithin, 'every architecture within the budget is found');
  const se = Math.sqrt((pWithin * (1 - pWithin)) / many.draws);
  assert.ok(
    Math.abs(many.acceptanceRate - pWithin) < 4 * se,
    `acceptance rate ${many.acceptanceRate} vs P(within) ${pWithin}`,
  );
  assert.match(
    many.summary,
    new RegExp(
      `^only ${nWithin} of ${nWithin + 1} distinct samples within the budget of 70 µs after 20000 draws \\(the most allowed\\), acceptance rate`,
    ),
  );

  // An excluded architecture (one already proposed) is never returned.
  const excluded = a.samples[0]!.indices;
  const b = sampleWithinBudget(space, dists, costs, budget, 5, 11, { exclude: [excluded] });
  assert.ok(b.samples.every((s) => s.indices.join() !== excluded.join()));

  // Nothing fits: no draws, no samples, and the cheapest cost in the message.
  const none = sampleWithinBudget(space, dists, costs, 34, 5, 11);
  assert.deepEqual(
    [none.samples.length, none.draws, none.accepted, none.acceptanceRate, none.cheapest],
    [0, 0, 0, 0, 35],
  );
  assert.equal(none.summary, 'no architecture is within the budget of 34 µs: the cheapest costs 35 µs; no samples');
});

test('the exact conditional sampler draws from the distribution restricted to the budget, and fills in where rejection falls short', () => {
  const space = tinySpace();
  const dists = [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [1]];
  const costs: CandidateCosts = { unit: 'us', fixed: 10, perLayer: [[30, 20, 10], [35, 15, 5], [30, 20, 10], [0]] };
  const budget = 55;
  const within = [...allIndices([3, 3, 3, 1])].filter((idx) => architectureCost(costs, idx) <= budget);
  const pWithin = within.reduce((s, idx) => s + Math.exp(logProb(dists, idx)), 0);
  const drawer = conditionedDrawer(dists, costs, budget)!;
  assert.ok(Math.abs(drawer.probability - pWithin) < 1e-12, `P(within) ${drawer.probability} vs ${pWithin}`);
  // Frequencies match p(arch) / P(within) for every architecture within the budget.
  const rng = new Rng(3);
  const n = 40_000;
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const idx = drawer.draw(rng);
    assert.ok(architectureCost(costs, idx) <= budget, `drew ${idx} over the budget`);
    counts.set(idx.join(), (counts.get(idx.join()) ?? 0) + 1);
  }
  for (const idx of within) {
    const p = Math.exp(logProb(dists, idx)) / pWithin;
    const se = Math.sqrt((p * (1 - p)) / n);
    assert.ok(
      Math.abs((counts.get(idx.join()) ?? 0) / n - p) < 5 * se,
      `${idx}: ${(counts.get(idx.join()) ?? 0) / n} vs ${p}`,
    );
  }
  assert.equal(conditionedDrawer(dists, costs, 34), null, 'nothing fits');

  // Rejection with too few draws allowed falls short; the exact sampler fills in, all within the budget.
  const s = sampleWithinBudget(space, dists, costs, budget, within.length, 1, { maxDraws: 3 });
  assert.equal(s.samples.length, within.length);
  assert.ok(s.exactDraws > 0);
  assert.ok(s.samples.every((x) => x.cost <= budget));
  assert.match(
    s.summary,
    /more drawn exactly from the distribution restricted to the budget \(its probability 0\.\d+\)/,
  );
  assert.deepEqual(sampleWithinBudget(space, dists, costs, budget, within.length, 1, { maxDraws: 3 }), s, 'seeded');
});

test('uniform paths within a budget: every distinct path under it, each once, and none over it', () => {
  const space = tinySpace();
  const costs = flopsCandidateCosts(space, undefined, undefined, { unit: 'kMAC' });
  const uniform = uniformDistributions(supernetLayout(space));
  const all: number[][] = [];
  for (const idx of allIndices([3, 3, 3, 1])) all.push(idx);
  const sorted = all.map((idx) => architectureCost(costs, idx)).sort((a, b) => a - b);
  const budget = sorted[9]!; // at least 10 of the 27 paths fit
  const fit = all.filter((idx) => architectureCost(costs, idx) <= budget).length;
  const r = sampleWithinBudget(space, uniform, costs, budget, 27, 4);
  assert.equal(r.samples.length, fit, r.summary);
  assert.equal(new Set(r.samples.map((x) => x.text)).size, fit);
  assert.ok(r.samples.every((x) => x.cost <= budget && Math.abs(x.logProb - 3 * Math.log(1 / 3)) < 1e-12));
});

test('budget functions refuse costs that do not fit the space, and a non-finite budget', () => {
  const space = tinySpace();
  const dists = [[1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1]];
  const costs: CandidateCosts = {
    unit: 'us',
    fixed: 10,
    perLayer: [[3, 2, 1], [3, 2, 1], [3, 2, 1], [0]],
    source: 'test',
  };
  assert.throws(
    () => budgetArgmaxArchitecture(space, dists, { ...costs, perLayer: costs.perLayer.slice(1) }, 100),
    /3 layers of costs for 4 layers/,
  );
  assert.throws(
    () => sampleWithinBudget(space, dists, { ...costs, perLayer: [[1, 2], ...costs.perLayer.slice(1)] }, 100, 1, 0),
    /layer1 has 2 costs for 3 candidates/,
  );
  assert.throws(() => budgetArgmaxArchitecture(space, dists, costs, NaN), /the budget must be a finite number/);
});

test('a floor: the band argmax = brute force on 300 random instances, null when nothing reaches the floor within the budget', () => {
  const rng = new Rng(77);
  let nulls = 0;
  let raised = 0;
  for (let t = 0; t < 300; t++) {
    const { dists, costs, lo } = randomInstance(rng);
    const budget = lo + rng.int(250);
    const floor = budget - 10 - rng.int(120);
    const r = budgetArgmaxIndices(dists, costs, budget, { step: 1, floor });
    const best = bruteForce(dists, costs, budget, floor);
    if (!best) {
      assert.equal(r.indices, null, `instance ${t}: nothing in [${floor}, ${budget}]`);
      nulls++;
      continue;
    }
    assert.deepEqual(r.indices, best.indices, `instance ${t}: band [${floor}, ${budget}]`);
    assert.ok(r.cost! >= floor && r.cost! <= budget);
    if (bruteForce(dists, costs, budget)!.indices.join() !== best.indices.join()) raised++;
  }
  assert.ok(nulls > 5 && raised > 50, `both cases covered (${nulls} empty bands, ${raised} where the floor binds)`);
  assert.throws(() => budgetArgmaxIndices([[1]], { unit: 'us', fixed: 0, perLayer: [[1]] }, 5, { floor: 6 }), /floor/);
});

test('a floor: the exact sampler draws from the distribution restricted to the band; samples lie in it; an empty band says so', () => {
  const space = tinySpace();
  const dists = [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [1]];
  const costs: CandidateCosts = { unit: 'us', fixed: 10, perLayer: [[30, 20, 10], [35, 15, 5], [30, 20, 10], [0]] };
  const [floor, budget] = [60, 75];
  const band = [...allIndices([3, 3, 3, 1])].filter((idx) => {
    const c = architectureCost(costs, idx);
    return c >= floor && c <= budget;
  });
  const pBand = band.reduce((s, idx) => s + Math.exp(logProb(dists, idx)), 0);
  const drawer = conditionedDrawer(dists, costs, budget, floor)!;
  assert.ok(Math.abs(drawer.probability - pBand) < 1e-12, `P(band) ${drawer.probability} vs ${pBand}`);
  const rng = new Rng(5);
  const n = 40_000;
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const idx = drawer.draw(rng);
    const c = architectureCost(costs, idx);
    assert.ok(c >= floor && c <= budget, `drew ${idx} (${c}) outside the band`);
    counts.set(idx.join(), (counts.get(idx.join()) ?? 0) + 1);
  }
  for (const idx of band) {
    const p = Math.exp(logProb(dists, idx)) / pBand;
    const se = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs((counts.get(idx.join()) ?? 0) / n - p) < 5 * se, `${idx}`);
  }
  // Samples: every distinct one of the band, by rejection and then exactly, all in it.
  const s = sampleWithinBudget(space, dists, costs, budget, band.length, 2, { floor, maxDraws: 5 });
  assert.equal(s.samples.length, band.length);
  assert.ok(s.samples.every((x) => x.cost >= floor && x.cost <= budget));
  assert.match(s.summary, /within the band of 60 µs to 75 µs/);
  // The most expensive architecture costs 10 + 30 + 35 + 30 = 105: a floor above it leaves nothing.
  assert.equal(conditionedDrawer(dists, costs, 120, 106), null);
  const none = sampleWithinBudget(space, dists, costs, 120, 2, 2, { floor: 106 });
  assert.equal(none.samples.length, 0);
  assert.match(none.summary, /no architecture the distribution allows is within the band of 106 µs to 120 µs/);
});
