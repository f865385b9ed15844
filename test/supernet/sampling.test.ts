// Sampling paths: uniform ones, and architectures from per-layer distributions (frequencies,
// determinism, deduplication, the argmax), and the hard budget filter. No engine here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  argmaxArchitecture,
  sampleArchitectures,
  uniformDistributions,
  uniformIndices,
} from '../../src/supernet/pathSampling';
import { filterByBudget } from '../../src/supernet/budgetSampling';
import { architectureCost, flopsCandidateCosts } from '../../src/supernet/candidateCosts';
import { supernetLayout } from '../../src/supernet/layout';
import { Rng } from '../../src/random/rng';
import { tinySpace } from '../helpers/tinySpace';

const space = tinySpace();
const DISTS = [[0.9, 0.1, 0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3], [1]];

test('draws follow the per-layer distributions (2000 draws, within 4 standard errors)', () => {
  const n = 2000;
  const s = sampleArchitectures(space, DISTS, n, 42, { unique: false });
  assert.equal(s.length, n);
  DISTS.forEach((p, l) => {
    const counts = p.map((_, i) => s.filter((a) => a.indices[l] === i).length);
    p.forEach((pi, i) => {
      const se = Math.sqrt((pi * (1 - pi)) / n);
      assert.ok(
        Math.abs(counts[i]! / n - pi) <= 4 * se + 1e-12,
        `layer ${l} candidate ${i}: ${counts[i]! / n} vs ${pi}`,
      );
    });
  });
  assert.ok(
    s.every((a) => a.indices[0] !== 2),
    'a zero-probability candidate is never drawn',
  );
  // Layers are independent: P(layer1 = 0 and layer2 = 2) = 0.9 * 0.5.
  const joint = s.filter((a) => a.indices[0] === 0 && a.indices[1] === 2).length / n;
  assert.ok(Math.abs(joint - 0.45) < 4 * Math.sqrt((0.45 * 0.55) / n), `joint ${joint}`);
  const a = s[0]!;
  assert.equal(a.arch.layer1, ['ir_k3_e1', 'ir_k3_e3', 'skip'][a.indices[0]!]);
  assert.equal(a.arch.layer4, 'ir_k3_e1');
  assert.ok(Math.abs(a.logProb - a.indices.reduce((t, i, l) => t + Math.log(DISTS[l]![i]!), 0)) < 1e-12);
});

test('seeded and deduplicated: k distinct architectures, fewer when the distribution is peaked', () => {
  const a = sampleArchitectures(space, DISTS, 6, 7);
  assert.deepEqual(sampleArchitectures(space, DISTS, 6, 7), a);
  assert.notDeepEqual(
    sampleArchitectures(space, DISTS, 6, 8).map((x) => x.text),
    a.map((x) => x.text),
  );
  assert.equal(a.length, 6);
  assert.equal(new Set(a.map((x) => x.text)).size, 6);
  const peaked = [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0], [1]];
  const p = sampleArchitectures(space, peaked, 6, 1);
  assert.equal(p.length, 2, 'only two architectures have positive probability');
});

test('argmax per layer, first on ties', () => {
  const a = argmaxArchitecture(space, DISTS);
  assert.deepEqual(a.indices, [0, 2, 0, 0]);
  assert.equal(a.text, 'ir_k3_e1/skip-ir_k3_e1');
});

test('distributions that do not fit the space are refused', () => {
  assert.throws(() => sampleArchitectures(space, DISTS.slice(1), 1, 0), /has 4 layers, the distributions 3/);
  assert.throws(
    () => sampleArchitectures(space, [[0.5, 0.5], ...DISTS.slice(1)], 1, 0),
    /layer1: distribution has 2 probabilities for 3 candidates/,
  );
  assert.throws(
    () => argmaxArchitecture(space, [[0.5, 0.6, 0], ...DISTS.slice(1)]),
    /layer1: \[0\.5, 0\.6, 0\] is not a probability distribution/,
  );
});

test('filterByBudget drops the architectures over a hard budget and says which', () => {
  const costs = flopsCandidateCosts(space, undefined, undefined, { unit: 'kMAC' });
  const archs = sampleArchitectures(space, DISTS, 8, 3);
  const cost = (a: (typeof archs)[number]) => architectureCost(costs, a.indices);
  const sorted = archs.map(cost).sort((x, y) => x - y);
  const budget = sorted[4]!;
  const f = filterByBudget(archs, cost, budget, 'kMAC');
  assert.equal(f.kept.length, 5);
  assert.equal(f.dropped.length, 3);
  assert.ok(f.kept.every((k) => k.cost <= budget) && f.dropped.every((d) => d.cost > budget));
  assert.match(f.summary, /^dropped 3 of 8 architecture\(s\) over the budget of [0-9.]+ kMAC \(costs .*\); 5 kept$/);
  assert.equal(filterByBudget(archs, cost, 1e9).summary, 'all 8 architecture(s) within the budget of 1000000000');
});

test('uniform paths: one seeded draw per layer, every candidate equally likely; the uniform distributions', () => {
  const layout = supernetLayout(space);
  const dists = uniformDistributions(layout);
  assert.deepEqual(dists, [[1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1]]);
  const rng = new Rng(5);
  const twin = new Rng(5);
  const n = 3000;
  const counts = layout.layers.map((l) => l.candidates.map(() => 0));
  for (let k = 0; k < n; k++) {
    const idx = uniformIndices(layout, rng);
    assert.deepEqual(
      idx,
      layout.layers.map((l) => Math.floor(twin.next() * l.candidates.length)),
      'rng.int per layer, fixed layers included',
    );
    idx.forEach((i, l) => counts[l]![i]!++);
  }
  assert.deepEqual(counts[3], [n]);
  const se = Math.sqrt(((1 / 3) * (2 / 3)) / n);
  counts
    .slice(0, 3)
    .forEach((row, l) =>
      row.forEach((c, i) => assert.ok(Math.abs(c / n - 1 / 3) <= 4 * se, `layer ${l} candidate ${i}: ${c / n}`)),
    );
  // The same distributions through sampleArchitectures: 27 distinct paths exist, all reachable.
  assert.equal(sampleArchitectures(space, dists, 27, 1, { maxDraws: 100_000 }).length, 27);
});
