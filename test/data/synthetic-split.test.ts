// The synthetic data set (deterministic per seed, balanced) and the seeded, stratified
// train/validation split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataSource, stratifiedSplit, type ImageSet } from '../../src/data';
import { allIndices } from '../../src/data/split';
import { loadSynthetic } from '../../src/data/synthetic';
import { throwsWith } from './fixtures';

const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

test('synthetic: the same seed gives the same images and labels, another seed different images', () => {
  const a = loadSynthetic({ seed: 5, train: 300, test: 60 });
  const b = loadSynthetic({ seed: 5, train: 300, test: 60 });
  const c = loadSynthetic({ seed: 6, train: 300, test: 60 });
  assert.ok(same(a.train.images, b.train.images) && same(a.test.images, b.test.images), 'seed 5 twice: identical');
  assert.deepEqual(a.mean, b.mean);
  assert.ok(!same(a.train.images, c.train.images), 'seeds 5 and 6 differ');
  assert.ok(
    !same(a.train.images, a.test.images.subarray(0, a.train.images.length)),
    'train and test are different draws',
  );
  assert.deepEqual(
    [a.train.count, a.test.count, a.train.channels, a.train.height, a.train.width, a.train.classes],
    [300, 60, 1, 16, 16, 10],
  );
  assert.equal(a.flipByDefault, false);
  // Not degenerate: pixel values spread out.
  const distinct = new Set(a.train.images).size;
  assert.ok(distinct > 50, `${distinct} distinct pixel values`);
});

test('synthetic: labels are balanced; options for channels, size and classes', () => {
  const ds = loadSynthetic({ seed: 1, train: 250, test: 50, classes: 5, channels: 3, size: 12 });
  for (const s of [ds.train, ds.test]) {
    const counts = new Array(5).fill(0);
    for (const l of s.labels) counts[l]++;
    assert.deepEqual(counts, new Array(5).fill(s.count / 5), `${s.name} balanced`);
    assert.equal(s.images.length, s.count * 3 * 12 * 12);
  }
  assert.equal(ds.mean.length, 3);
  assert.equal(ds.std.length, 3);
});

test('synthetic via loadDataSource: synthetic and synthetic:SEED; a bad seed is an error', () => {
  const d0 = loadDataSource('synthetic');
  const d7 = loadDataSource('synthetic:7');
  assert.deepEqual([d0.train.count, d0.test.count], [2000, 500]);
  assert.ok(same(d0.train.images, loadSynthetic({ seed: 0 }).train.images), "'synthetic' is seed 0");
  assert.ok(!same(d0.train.images, d7.train.images));
  assert.equal(d7.spec, 'synthetic:7');
  throwsWith(() => loadDataSource('synthetic:abc'), ['synthetic', 'integer', 'abc']);
});

/** An unbalanced labelled set: class k has 5 + 7k examples, labels interleaved. */
function unbalanced(): ImageSet {
  const labels: number[] = [];
  for (let k = 0; k < 10; k++) for (let j = 0; j < 5 + 7 * k; j++) labels.push(k);
  // Interleave deterministically so classes are not contiguous.
  const order = labels.map((_, i) => i).sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101) || a - b);
  const lab = Uint8Array.from(order, (i) => labels[i]!);
  return {
    name: 'unbalanced',
    images: new Uint8Array(lab.length),
    labels: lab,
    count: lab.length,
    channels: 1,
    height: 1,
    width: 1,
    classes: 10,
  };
}

function perClass(set: ImageSet, idx: Int32Array): number[] {
  const c = new Array(set.classes).fill(0);
  for (const i of idx) c[set.labels[i]!]++;
  return c;
}

test('stratifiedSplit: disjoint, covers every index, per-class validation share within 1 of the target', () => {
  const set = unbalanced();
  const total = perClass(set, allIndices(set));
  for (const frac of [0, 0.1, 0.25, 0.5]) {
    const s = stratifiedSplit(set, frac, 3);
    const all = [...s.train, ...s.val];
    assert.equal(all.length, set.count, `frac ${frac}: covers everything`);
    assert.equal(new Set(all).size, set.count, `frac ${frac}: disjoint, no duplicates`);
    assert.ok(all.every((i) => i >= 0 && i < set.count));
    const val = perClass(set, s.val);
    for (let k = 0; k < 10; k++) {
      assert.ok(
        Math.abs(val[k] - total[k] * frac) <= 1,
        `frac ${frac}, class ${k}: ${val[k]} of ${total[k]} in validation`,
      );
    }
  }
});

test('stratifiedSplit: seeded (same seed same split, other seed other split), shuffled order', () => {
  const set = unbalanced();
  const a = stratifiedSplit(set, 0.2, 11);
  const b = stratifiedSplit(set, 0.2, 11);
  const c = stratifiedSplit(set, 0.2, 12);
  assert.deepEqual(Array.from(a.train), Array.from(b.train));
  assert.deepEqual(Array.from(a.val), Array.from(b.val));
  assert.notDeepEqual(Array.from(a.val), Array.from(c.val));
  // The training indices are not grouped by class.
  const firstLabels = Array.from(a.train.subarray(0, 30), (i) => set.labels[i]);
  assert.ok(new Set(firstLabels).size > 3, 'train order is shuffled across classes');
});

test('stratifiedSplit: limit keeps about `limit` examples, stratified, and is reproducible', () => {
  const set = unbalanced();
  const total = perClass(set, allIndices(set));
  const limit = 120;
  const s = stratifiedSplit(set, 0.25, 4, limit);
  const n = s.train.length + s.val.length;
  assert.ok(Math.abs(n - limit) <= 10 / 2, `${n} kept for limit ${limit}`);
  assert.equal(new Set([...s.train, ...s.val]).size, n);
  const kept = perClass(set, Int32Array.from([...s.train, ...s.val]));
  for (let k = 0; k < 10; k++)
    assert.ok(Math.abs(kept[k] - (total[k] * limit) / set.count) <= 1, `class ${k}: kept ${kept[k]} of ${total[k]}`);
  const val = perClass(set, s.val);
  for (let k = 0; k < 10; k++)
    assert.ok(Math.abs(val[k] - kept[k] * 0.25) <= 1, `class ${k}: val ${val[k]} of ${kept[k]}`);
  assert.deepEqual(Array.from(stratifiedSplit(set, 0.25, 4, limit).train), Array.from(s.train));
  // A limit at or above the set size changes nothing.
  assert.deepEqual(
    Array.from(stratifiedSplit(set, 0.25, 4, set.count).train),
    Array.from(stratifiedSplit(set, 0.25, 4).train),
  );
});

test('stratifiedSplit: a validation fraction outside [0, 1) is an error', () => {
  const set = unbalanced();
  for (const f of [-0.1, 1, 1.5, NaN]) throwsWith(() => stratifiedSplit(set, f, 0), ['validation fraction', String(f)]);
});
