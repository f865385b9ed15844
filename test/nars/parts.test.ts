// NARS's pure parts (no engine): the window and budgets, how --trials divides into rounds, the
// searched space of each mode, stage 1's pool (Sobol inside a window, the whole window of a small
// space, a table's entries), round 1's diverse pick, and the early-stopping epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spaceSize } from '../../src/arch/size';
import { parseConstraint, violations } from '../../src/cost/constraints';
import { makeCostModel } from '../../src/cost/costModel';
import { formatArch, parseArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import { spaceFromText } from '../../src/space/loadSpace';
import { sampleUniformN } from '../../src/arch/sample';
import { chooseEarlyStopEpoch } from '../../src/search/nars/earlyStop';
import { roundSizes } from '../../src/search/nars/options';
import { buildPool, poolArch, poolEntry, poolProblem, qmcRound } from '../../src/search/nars/pool';
import { searchedSpace } from '../../src/search/nars/searchSpace';
import { outsideWindow, parseBudgets, parseWindow } from '../../src/search/nars/window';

test('window and budgets: lower and upper bounds with K/M/G, errors that name the flag and the forms', () => {
  const w = parseWindow('flops>=2M, flops<=8M params<=0.2M');
  assert.deepEqual(
    w.map((b) => [b.kind, b.side, b.value]),
    [
      ['flops', 'min', 2e6],
      ['flops', 'max', 8e6],
      ['params', 'max', 2e5],
    ],
  );
  assert.deepEqual(outsideWindow(w, { flops: 1e6, params: 1e5, latencyUs: null }), ['flops 1.00M < 2.00M']);
  assert.deepEqual(outsideWindow(w, { flops: 9e6, params: 3e5, latencyUs: null }), [
    'flops 9.00M > 8.00M',
    'params 300K > 200K',
  ]);
  assert.deepEqual(outsideWindow(w, { flops: 5e6, params: 1e5, latencyUs: null }), []);
  assert.throws(() => parseWindow('flops>=8M,flops<=2M'), /`options.window`: the flops window is empty/);
  assert.throws(
    () => parseWindow('memory>=3M'),
    /`options.window`: 'memory>=3M' is not a bound: write KIND>=X or KIND<=X/,
  );
  assert.throws(() => parseWindow(' , '), /`options.window` is empty/);
  assert.deepEqual(
    parseBudgets('flops<=3M,params<=50K').map((c) => c.text),
    ['flops<=3M', 'params<=50K'],
  );
  assert.throws(() => parseBudgets('flops<3M'), /`options.budgets`: invalid constraint 'flops<3M'/);
});

test('--trials divides into the rounds: sizes differ by at most one (larger first), or m per round with the remainder last', () => {
  assert.deepEqual(roundSizes(20, 5, null), [4, 4, 4, 4, 4]);
  assert.deepEqual(roundSizes(22, 5, null), [5, 5, 4, 4, 4]);
  assert.deepEqual(roundSizes(3, 5, null), [1, 1, 1]);
  assert.deepEqual(roundSizes(240, 5, 48), [48, 48, 48, 48, 48]);
  assert.deepEqual(roundSizes(100, 3, 48), [48, 48, 4]);
});

test('the searched space of each mode varies only what the mode searches; wrong combinations say what to change', () => {
  const v3 = loadSpace('fbnetv3-s');
  const recipeKeys = v3.searchDims.filter((d) => d.group === 'recipe').map((d) => d.key);
  const archKeys = v3.searchDims.filter((d) => d.group !== 'recipe').map((d) => d.key);
  assert.equal(recipeKeys.length, 7, "the paper's seven recipe dimensions");
  const joint = searchedSpace(v3, 'joint', null);
  assert.equal(joint.searched, v3);
  const fixedText = formatArch(v3, sampleUniformN(v3, 1, 9)[0]!);
  const fixed = parseArch(v3, fixedText);
  const rec = searchedSpace(v3, 'recipe', fixedText);
  assert.deepEqual(
    rec.searched.searchDims.map((d) => d.key),
    recipeKeys,
  );
  const arch = searchedSpace(v3, 'arch', fixedText);
  assert.deepEqual(
    arch.searched.searchDims.map((d) => d.key),
    archKeys,
  );
  for (const a of sampleUniformN(rec.searched, 50, 1)) {
    for (const k of archKeys) assert.equal(a[k], fixed[k], `recipe mode holds ${k}`);
    formatArch(v3, a); // a complete architecture of the study space
  }
  for (const a of sampleUniformN(arch.searched, 50, 2))
    for (const k of recipeKeys) assert.equal(a[k], fixed[k], `arch mode holds ${k}`);
  // Without `options.fixed`, arch mode holds each recipe field at its first value.
  const first = searchedSpace(v3, 'arch', null);
  assert.equal(first.fixed['recipe.optimizer'], 'rmsprop');
  assert.match(first.description, /the first values; `options.fixed` to choose/);

  const s = loadSpace('fbnet-s');
  assert.throws(
    () => searchedSpace(s, 'recipe', 'fbnet-s-baseline'),
    /space 'fbnet-s' has none: use a space with a `recipe:` section/,
  );
  assert.throws(
    () => searchedSpace(v3, 'recipe', null),
    /`options.mode` recipe searches the recipe of one architecture: give it with `options.fixed`/,
  );
  assert.throws(() => searchedSpace(v3, 'joint', fixedText), /a joint search searches everything/);
  assert.throws(
    () => searchedSpace(v3, 'recipe', 'nosuch'),
    /`options.fixed` 'nosuch' is not an architecture of space 'fbnetv3-s'/,
  );
  assert.match(searchedSpace(s, 'joint', null).description, /no recipe fields: an architecture-only search/);
});

test('stage 1 pool by Sobol: n distinct pairs inside the window and the constraints, in Sobol order; seeded', () => {
  const space = loadSpace('fbnet-s');
  const costs = makeCostModel(space);
  const window = parseWindow('flops>=4M,flops<=9M');
  const constraints = [parseConstraint('params<=150K')];
  const o = { space, searched: space, costs: costs.costs, constraints, window, size: 500, seed: 3 };
  const pool = buildPool(o);
  assert.equal(pool.how, 'sobol');
  assert.equal(pool.archs.length, 500);
  assert.ok(pool.looked > 500, 'some Sobol points fell outside the window and were skipped');
  assert.equal(new Set(pool.entries).size, 500, 'distinct pairs');
  for (const a of pool.archs) {
    const c = costs.costs(a);
    assert.deepEqual([...outsideWindow(window, c), ...violations(constraints, c)], []);
  }
  pool.archs.forEach((a, k) => assert.deepEqual(poolArch(space, pool.entries[k]!), a, 'entries decode to the pairs'));
  assert.deepEqual(buildPool(o).entries, pool.entries, 'same seed, same pool');
  assert.notDeepEqual(buildPool({ ...o, seed: 4 }).entries, pool.entries);
  assert.deepEqual(
    qmcRound(pool.archs, pool.how, space, 3, 7),
    [0, 1, 2, 3, 4, 5, 6],
    'round 1: the first m of the Sobol pool',
  );
  assert.equal(poolProblem(pool, 501, 'flops>=4M', 'fbnet-s')?.includes('larger than the pool (500 pairs'), true);
  assert.equal(poolProblem(pool, 500, 'flops>=4M', 'fbnet-s'), null);
});

test('a searched space smaller than n: the pool is its whole window, enumerated; round 1 takes distinct pairs spread over it', () => {
  const space = spaceFromText(`
style: layerwise
name: small
input: 1x16x16
classes: 10
e1FirstConv: keep
stem: { op: conv_k3, channels: 8, stride: 2 }
candidates: [ir_k3_e1, ir_k3_e3, ir_k5_e3, skip]
stages:
  - { channels: 8, repeats: 2, stride: 1 }
  - { channels: 16, repeats: 2, stride: 2 }
head: { op: conv_k1, channels: 32 }
`);
  const costs = makeCostModel(space);
  assert.equal(spaceSize(space).count, 256);
  const all = buildPool({
    space,
    searched: space,
    costs: costs.costs,
    constraints: [],
    window: [],
    size: 1000,
    seed: 0,
  });
  assert.equal(all.how, 'enumerated');
  assert.equal(all.archs.length, 256, 'every architecture');
  const max = parseConstraint('flops<=150K');
  const inside = buildPool({
    space,
    searched: space,
    costs: costs.costs,
    constraints: [max],
    window: [],
    size: 1000,
    seed: 0,
  });
  const expected = all.archs.filter((a) => violations([max], costs.costs(a)).length === 0).length;
  assert.ok(expected > 0 && expected < 256);
  assert.equal(inside.archs.length, expected, 'the whole window, nothing else');
  const r1 = qmcRound(inside.archs, inside.how, space, 5, 10);
  assert.equal(new Set(r1).size, 10);
  // Spread: the 10 picks use at least three values of every searched dimension (a run of neighbours would not).
  for (const d of space.searchDims)
    assert.ok(new Set(r1.map((k) => inside.archs[k]![d.key])).size >= 3, `${d.key} varies across round 1`);
  const none = buildPool({
    space,
    searched: space,
    costs: costs.costs,
    constraints: [],
    window: parseWindow('flops>=100M'),
    size: 1000,
    seed: 0,
  });
  assert.match(
    poolProblem(none, 4, 'flops>=100M', 'small')!,
    /no architecture of space 'small' meets flops>=100M .*the closest: flops .* < 100M/,
  );
});

test("with a table, the pool is the table's entries that fit the mode and the window (a seeded sample of n when there are more)", () => {
  const space = loadSpace('fbnet-s');
  const costs = makeCostModel(space);
  const table = sampleUniformN(space, 300, 8);
  const window = parseWindow('flops<=8M');
  const pool = buildPool({
    space,
    searched: space,
    costs: costs.costs,
    constraints: [],
    window,
    size: 20000,
    seed: 1,
    candidates: table,
  });
  assert.equal(pool.how, 'table');
  const keys = new Set(table.map((a) => poolEntry(space, a)));
  assert.ok(
    pool.entries.every((e) => keys.has(e)),
    'only table entries',
  );
  assert.equal(pool.archs.length, table.filter((a) => costs.costs(a).flops! <= 8e6).length);
  const some = buildPool({
    space,
    searched: space,
    costs: costs.costs,
    constraints: [],
    window: [],
    size: 50,
    seed: 1,
    candidates: table,
  });
  assert.equal(some.archs.length, 50);
  assert.ok(some.entries.every((e) => keys.has(e)));
  assert.notDeepEqual(
    some.entries,
    table.slice(0, 50).map((a) => poolEntry(space, a)),
    'a random sample, not the first 50',
  );
});

test('the early-stopping epoch: the first whose ranking of round 1 reaches the threshold against the final ranking', () => {
  // Five candidates, three epochs: epoch 1 ranks them badly, epoch 2 swaps one pair, epoch 3 is final.
  const series = [
    [0.5, 0.61, 0.7],
    [0.52, 0.6, 0.72],
    [0.55, 0.66, 0.74],
    [0.51, 0.69, 0.76],
    [0.49, 0.7, 0.78],
  ];
  const kendall = chooseEarlyStopEpoch({ series, threshold: 0.75, correlation: 'kendall', maximize: true });
  assert.equal(kendall.applies, true);
  assert.deepEqual(
    kendall.curve.map((c) => +c.value.toFixed(3)),
    [-0.2, 0.8, 1],
  );
  assert.equal(kendall.epoch, 2);
  assert.match(kendall.reason, /epoch 2 of 3 ranks round 1's 5 candidates with Kendall's tau 0.800 >= 0.75/);
  // A stricter threshold: no epoch before the last reaches it, so later candidates train every epoch.
  const strict = chooseEarlyStopEpoch({ series, threshold: 0.92, correlation: 'kendall', maximize: true });
  assert.equal(strict.epoch, null);
  assert.match(strict.reason, /later candidates train all 3 epochs/);
  // Spearman's rho of epoch 2 is 0.9.
  assert.equal(chooseEarlyStopEpoch({ series, threshold: 0.89, correlation: 'spearman', maximize: true }).epoch, 2);
  // A loss (lower is better) ranks the same way after the sign flip.
  const losses = series.map((s) => s.map((v) => 1 - v));
  assert.equal(
    chooseEarlyStopEpoch({ series: losses, threshold: 0.75, correlation: 'kendall', maximize: false }).epoch,
    2,
  );
  const none = chooseEarlyStopEpoch({ series: [], threshold: 0.92, correlation: 'kendall', maximize: true });
  assert.equal(none.applies, false);
  const few = chooseEarlyStopEpoch({
    series: series.slice(0, 2),
    threshold: 0.92,
    correlation: 'kendall',
    maximize: true,
  });
  assert.equal(few.applies, false);
  assert.match(few.reason, /too few to rank/);
});
