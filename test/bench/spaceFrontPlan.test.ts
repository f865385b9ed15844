// The space-front benchmark's pure parts (bench/spaceFrontPlan.ts): latency bins and the
// stratified plan over them, the front, and the answer at 0.5x / 0.6x / 0.7x the baseline's latency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerText,
  binOrder,
  budgetAnswers,
  frontOf,
  inBin,
  latencyBins,
  stratifiedPlan,
  type NetworkRuns,
} from '../../bench/spaceFrontPlan';
import { Rng } from '../../src/random/rng';
import { mean, welchTTest } from '../../src/stats/welch';

test('latency bins cover the range without gaps, then the bins above the baseline', () => {
  const bins = latencyBins(600, 4800, 12, 3, 6000);
  assert.equal(bins.length, 15);
  assert.equal(bins[0]!.lo, 600);
  assert.equal(bins[11]!.hi, 4800);
  for (let i = 1; i < bins.length; i++) assert.equal(bins[i]!.lo, bins[i - 1]!.hi);
  assert.deepEqual(
    bins.map((b) => b.kind),
    [...Array<string>(12).fill('range'), 'above', 'above', 'above'],
  );
  assert.equal(bins[14]!.hi, 6000);
  // The baseline itself falls in the range's last bin, not the first one above it.
  assert.ok(inBin(bins[11]!, 4800));
  assert.ok(!inBin(bins[12]!, 4800 - 1e-9));
  assert.throws(() => latencyBins(5, 5, 3), /hi > lo/);
});

test('bins are visited nearest the focus first, each once', () => {
  const bins = latencyBins(0, 1000, 10);
  const order = binOrder(bins, 600);
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok([5, 6].includes(order[0]!), `first ${order[0]}`);
  assert.ok(order.indexOf(0) > order.indexOf(9), 'the far low bin comes after the far high one');
});

// A toy additive latency: 9 choices of 9 values, value 8 (skip) costs nothing, value v costs 50 + 40 v.
const sizes = Array<number>(9).fill(9);
const cheapest = Array<number>(9).fill(8);
const toyLatency = (idx: readonly number[]) => 100 + idx.reduce((s, v) => s + (v === 8 ? 0 : 50 + 40 * v), 0);

test('the stratified plan puts distinct architectures in every bin, round by round, down to the all-skip end', () => {
  const lo = toyLatency(cheapest); // all skip
  const hi = toyLatency(Array<number>(9).fill(3)); // a "baseline"
  const bins = latencyBins(lo, hi, 8, 2, hi * 1.3);
  const order = binOrder(bins, 0.6 * hi);
  const plan = stratifiedPlan({ sizes, cheapest, latency: toyLatency, bins, perBin: 3, order, rng: new Rng(7) });
  assert.equal(plan.length, 3 * bins.length);
  // Round robin: the first round is one per bin in the given order.
  assert.deepEqual(
    plan.slice(0, bins.length).map((p) => p.bin),
    order,
  );
  for (const p of plan) {
    assert.ok(inBin(bins[p.bin]!, p.latencyUs), `${p.latencyUs} in bin ${p.bin}`);
    assert.equal(p.latencyUs, toyLatency(p.indices));
  }
  assert.equal(new Set(plan.map((p) => p.indices.join('-'))).size, plan.length);
  for (let b = 0; b < bins.length; b++) assert.equal(plan.filter((p) => p.bin === b).length, 3, `bin ${b}`);
  // Uniform draws alone almost never reach the lowest bin; the skip-biased draws do.
  const rng = new Rng(7);
  let uniformHits = 0;
  for (let i = 0; i < 2000; i++) if (inBin(bins[0]!, toyLatency(sizes.map((n) => rng.int(n))))) uniformHits++;
  assert.ok(uniformHits < 20, `uniform draws hit the lowest bin ${uniformHits} times of 2000`);
  // Same seed, same plan.
  const again = stratifiedPlan({ sizes, cheapest, latency: toyLatency, bins, perBin: 3, order, rng: new Rng(7) });
  assert.deepEqual(again, plan);
});

test('a bin no architecture can reach is skipped, not looped on', () => {
  const bins = latencyBins(0, 10, 1, 1, 1e9);
  const plan = stratifiedPlan({
    sizes: [2, 2],
    cheapest: [1, 1],
    latency: (idx) => idx[0]! + idx[1]!, // 0..2: only the first bin
    bins,
    perBin: 2,
    order: [0, 1],
    rng: new Rng(1),
    maxTries: 500,
  });
  assert.ok(plan.every((p) => p.bin === 0));
  assert.equal(plan.length, 2);
});

const net = (arch: string, latencyUs: number, accs: number[]): NetworkRuns => ({ arch, latencyUs, accs });

test('the front keeps the networks nothing beats in both latency and accuracy, on the first run or the mean', () => {
  const nets = [
    net('a', 1000, [0.85, 0.86, 0.87]),
    net('b', 1500, [0.84]), // slower and worse than a: dominated
    net('c', 2000, [0.88, 0.8, 0.8]), // best first run at its latency, poor mean
    net('d', 2500, [0.875, 0.875, 0.875]),
    net('e', 3000, []), // not trained yet
  ];
  assert.deepEqual(
    frontOf(nets).map((n) => n.arch),
    ['a', 'c'],
  );
  assert.deepEqual(
    frontOf(nets, 'mean').map((n) => n.arch),
    ['a', 'd'],
  );
});

test('the answer at 0.5x, 0.6x, 0.7x: the best mean within each budget against the baseline mean, with Welch', () => {
  const baseline = net('baseline', 5000, [0.9, 0.91, 0.89]);
  const nets = [
    net('fast', 2400, [0.885, 0.887, 0.883]), // 0.48x: misses by 1.5 points
    net('mid', 2900, [0.905, 0.906, 0.904]), // 0.58x: beats by 0.5 points
    net('once', 2950, [0.95]), // a single run: not an answer yet, but the best single run
    net('slow', 3600, [0.92, 0.921, 0.919]), // 0.72x: outside 0.7x
  ];
  const [a5, a6, a7] = budgetAnswers(nets, baseline);
  assert.equal(a5!.budgetUs, 2500);
  assert.equal(a5!.within, 1);
  assert.equal(a5!.best!.arch, 'fast');
  assert.ok(Math.abs(a5!.points! - (mean([0.885, 0.887, 0.883]) - 0.9) * 100) < 1e-9);
  assert.equal(a5!.beats, false);
  assert.equal(a5!.beyondNoise, false);
  assert.match(answerText(a5!), /misses the baseline's mean by 1\.50 points/);

  assert.equal(a6!.within, 3);
  assert.equal(a6!.best!.arch, 'mid');
  assert.ok(Math.abs(a6!.points! - 0.5) < 1e-9);
  assert.equal(a6!.beats, true);
  const t = welchTTest([0.905, 0.906, 0.904], baseline.accs)!;
  assert.equal(a6!.test!.p, t.p);
  assert.equal(a6!.beyondNoise, t.p < 0.05);
  assert.equal(a6!.bestFirstRun!.arch, 'once');
  assert.match(answerText(a6!), /beats the baseline's mean by 0\.50 points/);
  // Without the run that selected it: (0.906 + 0.904) / 2 - 0.9 = +0.50 points.
  assert.ok(Math.abs(a6!.heldOutPoints! - 0.5) < 1e-9);
  assert.match(answerText(a6!), /over the 2 seeds that did not select it, \+0\.50 points/);
  assert.ok(Math.abs(a5!.heldOutPoints! - (0.885 - 0.9) * 100) < 1e-9);

  assert.equal(a7!.best!.arch, 'mid', '"slow" is over 0.7x the baseline');

  // A partial bench (first runs only) says so, with the best single run.
  const [p5] = budgetAnswers(
    nets.map((n) => ({ ...n, accs: n.accs.slice(0, 1) })),
    baseline,
    [0.6],
  );
  assert.equal(p5!.best, null);
  assert.equal(p5!.heldOutPoints, null);
  assert.equal(p5!.bestFirstRun!.arch, 'once');
  assert.match(answerText(p5!), /none yet at every seed; the best single run is \+5\.00 points/);
});
