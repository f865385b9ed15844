import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_SPACES, loadSpace, resolveArchitecture } from '../../src/space';
import {
  Rng,
  Sobol,
  SobolSampler,
  crossover,
  featureLength,
  featureNames,
  features,
  mutate,
  sampleSobol,
  sampleUniform,
  sampleUniformN,
} from '../../src/arch';
import {
  archFromJSON,
  archIndices,
  archToJSON,
  formatArch,
  formatIndices,
  parseArch,
} from '../../src/space/archFormat';

test('compact strings round-trip exactly in every built-in space', () => {
  for (const name of BUILTIN_SPACES) {
    const s = loadSpace(name);
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const a = sampleUniform(s, rng);
      const text = formatArch(s, a);
      assert.deepEqual(parseArch(s, text), a);
      assert.equal(formatArch(s, parseArch(s, text)), text);
      assert.deepEqual(archFromJSON(s, JSON.parse(JSON.stringify(archToJSON(s, a)))), a);
    }
  }
});

test('choice indices are accepted where every searched dimension is a list', () => {
  const s = loadSpace('fbnet');
  const a = resolveArchitecture('fbnet-a').arch;
  const idx = formatIndices(s, a);
  // FBNet-A layer 1 is skip (index 8), layer 2 k3_e3 (index 2), ...; head 1504 is index 1.
  assert.match(idx, /^8-2-0-8-8-/);
  assert.match(idx, /-1$/);
  assert.deepEqual(parseArch(s, idx), a);
  assert.throws(() => parseArch(s, '0-1-2'), /23 searched choices.*has 3/);
  assert.throws(() => parseArch(loadSpace('fbnetv3'), '0-1-2'), /searches ranges/);
  assert.throws(
    () => parseArch(s, formatArch(s, a).replace('ir_k3_e3', 'ir_k7_e3')),
    /token 2 'ir_k7_e3' is not a value of 'layer2'/,
  );
  assert.throws(() => parseArch(s, 'skip/skip'), /expected 8 '\/'-separated groups of 1, 4, 4, 4, 4, 4, 1, 1/);
  assert.throws(
    () => archFromJSON(s, { space: 'fbnet', values: { ...a, layer1: 'ir_k9_e1' } }),
    /'layer1' = "ir_k9_e1" is not allowed/,
  );
});

test('uniform sampling is seeded and covers every value', () => {
  const s = loadSpace('fbnet-s');
  assert.deepEqual(sampleUniformN(s, 20, 3), sampleUniformN(s, 20, 3));
  assert.notDeepEqual(sampleUniformN(s, 20, 3), sampleUniformN(s, 20, 4));
  const counts = new Array(9).fill(0);
  for (const a of sampleUniformN(s, 900, 1)) counts[s.searchDims[0]!.values.indexOf(a['layer1']!)]++;
  for (const c of counts) assert.ok(c > 60 && c < 140, `counts ${counts}`);
});

test('unscrambled Sobol points equal the Joe-Kuo sequence (reference: SciPy qmc.Sobol, scramble=False)', () => {
  // SciPy 1.17 qmc.Sobol(d=6, scramble=False).random(16) * 2^32.
  const ref = [
    [0, 0, 0, 0, 0, 0],
    [2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648],
    [3221225472, 1073741824, 1073741824, 1073741824, 3221225472, 3221225472],
    [1073741824, 3221225472, 3221225472, 3221225472, 1073741824, 1073741824],
    [1610612736, 1610612736, 2684354560, 3758096384, 1610612736, 536870912],
    [3758096384, 3758096384, 536870912, 1610612736, 3758096384, 2684354560],
    [2684354560, 536870912, 3758096384, 2684354560, 2684354560, 3758096384],
    [536870912, 2684354560, 1610612736, 536870912, 536870912, 1610612736],
    [805306368, 1342177280, 4026531840, 1879048192, 2415919104, 1342177280],
    [2952790016, 3489660928, 1879048192, 4026531840, 268435456, 3489660928],
    [4026531840, 268435456, 2952790016, 805306368, 1342177280, 2415919104],
    [1879048192, 2415919104, 805306368, 2952790016, 3489660928, 268435456],
    [1342177280, 805306368, 1342177280, 2415919104, 4026531840, 1879048192],
    [3489660928, 2952790016, 3489660928, 268435456, 1879048192, 4026531840],
    [2415919104, 1879048192, 268435456, 3489660928, 805306368, 2952790016],
    [268435456, 4026531840, 2415919104, 1342177280, 2952790016, 805306368],
  ];
  const got = new Sobol(6, { scramble: false }).take(16).map((p) => p.map((u) => u * 2 ** 32));
  assert.deepEqual(got, ref);
  // Dimensions 31..40 of qmc.Sobol(d=40, scramble=False), points 0..7.
  const ref40 = [
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [
      2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648,
      2147483648,
    ],
    [
      1073741824, 1073741824, 1073741824, 3221225472, 3221225472, 3221225472, 1073741824, 1073741824, 1073741824,
      1073741824,
    ],
    [
      3221225472, 3221225472, 3221225472, 1073741824, 1073741824, 1073741824, 3221225472, 3221225472, 3221225472,
      3221225472,
    ],
    [
      1610612736, 536870912, 3758096384, 3758096384, 2684354560, 2684354560, 2684354560, 3758096384, 1610612736,
      3758096384,
    ],
    [
      3758096384, 2684354560, 1610612736, 1610612736, 536870912, 536870912, 536870912, 1610612736, 3758096384,
      1610612736,
    ],
    [
      536870912, 1610612736, 2684354560, 536870912, 1610612736, 1610612736, 3758096384, 2684354560, 536870912,
      2684354560,
    ],
    [
      2684354560, 3758096384, 536870912, 2684354560, 3758096384, 3758096384, 1610612736, 536870912, 2684354560,
      536870912,
    ],
  ];
  assert.deepEqual(
    new Sobol(40, { scramble: false }).take(8).map((p) => p.slice(30).map((u) => u * 2 ** 32)),
    ref40,
  );
});

test('scrambled Sobol: seeded, different per seed, and still a (0, m)-net in each coordinate', () => {
  const a = new Sobol(45, { seed: 1 }).take(64);
  assert.deepEqual(new Sobol(45, { seed: 1 }).take(64), a);
  assert.notDeepEqual(new Sobol(45, { seed: 2 }).take(64), a);
  for (let j = 0; j < 45; j++) {
    const cells = new Set(a.map((p) => Math.floor(p[j]! * 64)));
    assert.equal(cells.size, 64, `dimension ${j}: 64 points in 64 distinct cells`);
    for (const p of a) assert.ok(p[j]! >= 0 && p[j]! < 1);
  }
  // 2-D stratification of the first two dimensions: 64 points, one per 8x8 cell.
  assert.equal(new Set(a.map((p) => `${Math.floor(p[0]! * 8)},${Math.floor(p[1]! * 8)}`)).size, 64);
});

test('Sobol sampling of a space balances every value better than chance', () => {
  const s = loadSpace('fbnetv3');
  const archs = sampleSobol(s, 256, { seed: 5 });
  assert.deepEqual(new SobolSampler(s, { seed: 5 }).take(256), archs);
  // Kernel sets of 2 values: exactly half of 256 points each, in every stage.
  for (let st = 1; st <= 7; st++) assert.equal(archs.filter((a) => a[`stage${st}.kernel`] === 3).length, 128);
  // Resolution has 6 values: floor(u * 6) on a balanced net gives 42 or 43 each.
  for (const r of [224, 232, 240, 248, 256, 264]) {
    const n = archs.filter((a) => a.resolution === r).length;
    assert.ok(n >= 42 && n <= 43, `resolution ${r}: ${n}`);
  }
});

test('mutation changes some dimensions and keeps the rest; crossover inherits from the parents', () => {
  for (const name of ['fbnet', 'fbnetv3', 'fbnet-s']) {
    const s = loadSpace(name);
    const rng = new Rng(11);
    for (let i = 0; i < 50; i++) {
      const a = sampleUniform(s, rng);
      const m = mutate(s, a, rng);
      const ia = archIndices(s, a);
      const im = archIndices(s, m);
      const diff = ia.filter((v, j) => v !== im[j]).length;
      assert.ok(diff >= 1 && diff <= 6, `${diff} changes`);
      assert.equal(
        mutate(s, a, rng, { prob: 1 }) &&
          archIndices(s, mutate(s, a, new Rng(i), { prob: 1 })).filter((v, j) => v === ia[j]).length,
        0,
      );
      const b = sampleUniform(s, rng);
      const c = crossover(s, a, b, rng);
      for (const d of s.dims) assert.ok(c[d.key] === a[d.key] || c[d.key] === b[d.key]);
      const g = crossover(s, a, b, rng, { byGroup: true });
      for (const grp of new Set(s.searchDims.map((d) => d.group))) {
        const ds = s.searchDims.filter((d) => d.group === grp);
        assert.ok(ds.every((d) => g[d.key] === a[d.key]) || ds.every((d) => g[d.key] === b[d.key]));
      }
    }
  }
  const m0 = loadSpace('mobilenetv2');
  assert.deepEqual(mutate(m0, sampleUniform(m0)), sampleUniform(m0));
});

test('features: one-hot for lists, min-max for ranges, recipe separable', () => {
  const f = loadSpace('fbnet');
  const a = resolveArchitecture('fbnet-a').arch;
  const x = features(f, a);
  assert.equal(x.length, 22 * 9 + 2);
  assert.equal(featureNames(f).length, x.length);
  assert.equal(
    x.reduce((p, v) => p + v, 0),
    23,
  );
  assert.equal(x[8], 1); // layer1 = skip, the 9th candidate
  assert.equal(featureNames(f)[8], 'layer1=skip');
  const s = loadSpace('fbnetv3');
  const b = parseArch(
    s,
    'r264-stem16/k5-c18-n1/k3-f6-e2-c24-n4/k3-f4-e4-c40-n4/k5-f5-e3-c64-n6/k5-f6-e3-c112-n7/k3-f4-e2-c192-n6/k5-c200/' +
      'optimizer=sgd-lr=0.025-weightDecay=0.00001-ema=1-dropout=0.1-dropPath=0.2-mixup=0.3',
  );
  const names = featureNames(s);
  const v = features(s, b);
  assert.equal(v[names.indexOf('resolution')], 1);
  assert.equal(v[names.indexOf('stem.channels')], 0);
  assert.ok(Math.abs(v[names.indexOf('stage2.channels')]! - 0.5) < 1e-7); // 24 in 20..28
  assert.equal(v[names.indexOf('stage1.kernel=5')], 1);
  assert.equal(v[names.indexOf('stage1.kernel=3')], 0);
  assert.ok(Math.abs(v[names.indexOf('recipe.lr')]! - 5 / 9) < 1e-6);
  assert.equal(featureLength(s, 'arch') + featureLength(s, 'recipe'), v.length);
  assert.ok(featureNames(s, 'recipe').every((n) => n.startsWith('recipe.')));
  for (const a2 of sampleUniformN(s, 50, 2)) for (const u of features(s, a2)) assert.ok(u >= 0 && u <= 1);
});
