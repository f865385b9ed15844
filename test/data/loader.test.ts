// The batch loader: batch counts, normalisation, seeded reproducibility, and each augmentation
// checked against what it should do to known images (crop, flip, mixup, resize), plus layout and
// leak-freedom.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory } from '../../src/engine/memory';
import {
  BatchLoader,
  disposeBatch,
  loadDataSource,
  type Batch,
  type ImageSet,
  type LoaderOptions,
} from '../../src/data';
import { allIndices } from '../../src/data/split';
import { loadSynthetic } from '../../src/data/synthetic';
import { noLeaks, throwsWith } from './fixtures';

interface HostBatch {
  x: Float32Array;
  shape: number[];
  y: number[];
  target: Float32Array | null;
  size: number;
}

function host(b: Batch): HostBatch {
  return {
    x: b.x.dataSync() as Float32Array,
    shape: b.x.shape,
    y: b.y.toArray(),
    target: b.target ? (b.target.dataSync() as Float32Array) : null,
    size: b.size,
  };
}

/** Every batch of one epoch, copied to the host; the tensors and the loader are freed. */
function collect(set: ImageSet, indices: Int32Array, o: LoaderOptions, epoch = 0): HostBatch[] {
  const loader = new BatchLoader(set, indices, o);
  try {
    const out: HostBatch[] = [];
    for (const b of loader.epoch(epoch)) {
      try {
        out.push(host(b));
      } finally {
        disposeBatch(b);
      }
    }
    return out;
  } finally {
    loader.dispose();
  }
}

/** n copies of one image (c x h x w) with the given pixel function, labels i mod classes. */
function copies(
  n: number,
  c: number,
  h: number,
  w: number,
  pixel: (c: number, y: number, x: number) => number,
  classes = 10,
): ImageSet {
  const per = c * h * w;
  const images = new Uint8Array(n * per);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) images[i * per + (ch * h + y) * w + x] = pixel(ch, y, x);
  return {
    name: 'copies',
    images,
    labels: Uint8Array.from({ length: n }, (_, i) => i % classes),
    count: n,
    channels: c,
    height: h,
    width: w,
    classes,
  };
}

const synth = loadSynthetic({ seed: 2, train: 400, test: 40 });
const base = { mean: synth.mean, std: synth.std, seed: 1 };

test(
  'batches per epoch with and without dropLast; every index appears once per epoch',
  noLeaks(() => {
    const idx = Int32Array.from({ length: 10 }, (_, i) => i * 3);
    const keepLast = collect(synth.train, idx, { ...base, batchSize: 3, shuffle: true });
    assert.deepEqual(
      keepLast.map((b) => b.size),
      [3, 3, 3, 1],
    );
    assert.deepEqual(
      keepLast.map((b) => b.shape[0]),
      [3, 3, 3, 1],
    );
    const drop = collect(synth.train, idx, { ...base, batchSize: 3, shuffle: true, dropLast: true });
    assert.deepEqual(
      drop.map((b) => b.size),
      [3, 3, 3],
    );
    const exact = collect(synth.train, idx, { ...base, batchSize: 5, shuffle: false, dropLast: true });
    assert.deepEqual(
      exact.map((b) => b.size),
      [5, 5],
    );
    for (const [dropLast, count] of [
      [false, 3],
      [true, 2],
    ] as const) {
      const four = new BatchLoader(synth.train, idx, { ...base, batchSize: 4, shuffle: false, dropLast });
      assert.equal(four.batchesPerEpoch, count, `batchesPerEpoch, dropLast ${dropLast}`);
      four.dispose();
    }
    // Without shuffling the labels come in index order; with it, all of them in some order.
    assert.deepEqual(
      exact.flatMap((b) => b.y),
      Array.from(idx, (i) => synth.train.labels[i]!),
    );
    assert.deepEqual(keepLast.flatMap((b) => b.y).sort(), Array.from(idx, (i) => synth.train.labels[i]!).sort());
  }),
);

test('the loader rejects a bad batch size and a mean/std of the wrong length', () => {
  throwsWith(
    () => new BatchLoader(synth.train, allIndices(synth.train), { ...base, batchSize: 0, shuffle: false }),
    ['batch size', '0'],
  );
  throwsWith(
    () =>
      new BatchLoader(synth.train, allIndices(synth.train), {
        ...base,
        mean: [0.5, 0.5, 0.5],
        std: [1, 1, 1],
        batchSize: 4,
        shuffle: false,
      }),
    ['synthetic/train', '3 channels', 'the images 1'],
  );
});

function moments(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  let q = 0;
  for (const a of v) {
    s += a;
    q += a * a;
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(q / v.length - mean * mean) };
}

test(
  'normalisation: over the whole set the batch has mean 0 and std 1',
  noLeaks(() => {
    const [b] = collect(synth.train, allIndices(synth.train), { ...base, batchSize: synth.train.count, shuffle: true });
    const m = moments(b!.x);
    assert.ok(Math.abs(m.mean) < 1e-4, `mean ${m.mean}`);
    assert.ok(Math.abs(m.std - 1) < 1e-4, `std ${m.std}`);
    assert.equal(b!.target, null, 'no soft targets without mixup');
  }),
);

test(
  'normalisation on Fashion-MNIST: 4000 images have mean about 0 and std about 1',
  noLeaks(() => {
    let ds;
    try {
      ds = loadDataSource('fashion-mnist');
    } catch {
      return; // the data set is not installed; the IDX tests report that
    }
    const idx = Int32Array.from({ length: 4000 }, (_, i) => i * 15);
    const [b] = collect(ds.train, idx, { mean: ds.mean, std: ds.std, seed: 0, batchSize: 4000, shuffle: false });
    const m = moments(b!.x);
    assert.ok(Math.abs(m.mean) < 0.03, `mean ${m.mean}`);
    assert.ok(Math.abs(m.std - 1) < 0.03, `std ${m.std}`);
  }),
);

const augmented: LoaderOptions = { ...base, batchSize: 64, shuffle: true, cropPadding: 2, flip: true, mixup: 0.3 };

test(
  'same seed and epoch: identical batches; another epoch or seed: another order',
  noLeaks(() => {
    const idx = allIndices(synth.train).subarray(0, 256);
    const a = collect(synth.train, idx, augmented, 3);
    const b = collect(synth.train, idx, augmented, 3);
    assert.equal(a.length, 4);
    for (let k = 0; k < a.length; k++) {
      assert.deepEqual(a[k]!.y, b[k]!.y, `batch ${k} labels`);
      assert.ok(Buffer.from(a[k]!.x.buffer).equals(Buffer.from(b[k]!.x.buffer)), `batch ${k} pixels identical`);
      assert.ok(
        Buffer.from(a[k]!.target!.buffer).equals(Buffer.from(b[k]!.target!.buffer)),
        `batch ${k} targets identical`,
      );
    }
    const c = collect(synth.train, idx, augmented, 4);
    assert.notDeepEqual(
      c.map((q) => q.y),
      a.map((q) => q.y),
      'epoch 4 has another order than epoch 3',
    );
    const d = collect(synth.train, idx, { ...augmented, seed: 2 }, 3);
    assert.notDeepEqual(
      d.map((q) => q.y),
      a.map((q) => q.y),
      'seed 2 has another order than seed 1',
    );
  }),
);

// A position-coded image: pixel (y, x) = 10 + 8 y + x, all distinct and none 0.
const H = 8;
const W = 8;
const code = (_c: number, y: number, x: number) => 10 + 8 * y + x;
const MEAN = 0.5;
const STD = 0.25;
const norm = (v: number) => (v / 255 - MEAN) / STD;

test(
  'random crop: every output is the input shifted by an offset within the padding, zero-filled outside',
  noLeaks(() => {
    const n = 64;
    const pad = 2;
    const set = copies(n, 1, H, W, code);
    const [b] = collect(set, allIndices(set), {
      mean: [MEAN],
      std: [STD],
      seed: 9,
      batchSize: n,
      shuffle: false,
      cropPadding: pad,
    });
    assert.deepEqual(b!.shape, [n, 1, H, W]);
    const offsets = new Set<string>();
    const fills = new Set<number>();
    for (let i = 0; i < n; i++) {
      const img = b!.x.subarray(i * H * W, (i + 1) * H * W);
      // The top-left output pixel tells the offset if it is inside the original; search all offsets.
      let found: [number, number] | null = null;
      for (let dy = -pad; dy <= pad && !found; dy++) {
        for (let dx = -pad; dx <= pad && !found; dx++) {
          let ok = true;
          for (let y = 0; y < H && ok; y++) {
            for (let x = 0; x < W && ok; x++) {
              const sy = y + dy;
              const sx = x + dx;
              const v = img[y * W + x]!;
              if (sy >= 0 && sy < H && sx >= 0 && sx < W) ok = Math.abs(v - norm(code(0, sy, sx))) < 1e-5;
            }
          }
          if (ok) found = [dy, dx];
        }
      }
      assert.ok(found, `image ${i} is not a shifted window of the input`);
      offsets.add(found.join(','));
      // Outside the original: one constant fill value.
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const sy = y + found[0];
          const sx = x + found[1];
          if (sy < 0 || sy >= H || sx < 0 || sx >= W) fills.add(Math.round(img[y * W + x]! * 1e5) / 1e5);
        }
    }
    assert.ok(offsets.size >= 12, `only ${offsets.size} distinct offsets of 25 in 64 images`);
    assert.ok(offsets.has('0,0') || offsets.size > 20, 'the unshifted crop is possible');
    assert.equal(fills.size, 1, `padding is one constant value, got ${[...fills]}`);
    // Padding is black: a zero pixel, normalised (torchvision's RandomCrop(padding) before Normalize).
    assert.deepEqual([...fills], [Math.round(norm(0) * 1e5) / 1e5]);
  }),
);

test(
  'random crop on a constant image: only the image value and the fill value appear, and the fill does',
  noLeaks(() => {
    const n = 32;
    const set = copies(n, 3, 6, 6, () => 200);
    const [b] = collect(set, allIndices(set), {
      mean: [0.2, 0.4, 0.6],
      std: [0.3, 0.3, 0.3],
      seed: 4,
      batchSize: n,
      shuffle: false,
      cropPadding: 3,
    });
    const inside = [0, 1, 2].map((c) => (200 / 255 - [0.2, 0.4, 0.6][c]!) / 0.3);
    let padded = 0;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++)
        for (let k = 0; k < 36; k++) {
          const v = b!.x[(i * 3 + c) * 36 + k]!;
          if (Math.abs(v - inside[c]!) < 1e-5) continue;
          const fill = (0 - [0.2, 0.4, 0.6][c]!) / 0.3;
          assert.ok(
            Math.abs(v - fill) < 1e-5,
            `image ${i}, channel ${c}: ${v} is neither the image value nor the black fill ${fill}`,
          );
          padded++;
        }
    assert.ok(padded > 0, 'some crops reach into the padding');
  }),
);

test(
  'flip: every output is the input or its mirror, and both occur; off means never mirrored',
  noLeaks(() => {
    const n = 48;
    const set = copies(n, 2, H, W, (c, y, x) => code(0, y, x) + 70 * c);
    const opts = { mean: [MEAN, MEAN], std: [STD, STD], seed: 5, batchSize: n, shuffle: false };
    const expect = (mirror: boolean) =>
      Float32Array.from({ length: 2 * H * W }, (_, k) => {
        const c = Math.floor(k / (H * W));
        const y = Math.floor((k % (H * W)) / W);
        const x = k % W;
        return norm(code(0, y, mirror ? W - 1 - x : x) + 70 * c);
      });
    const plain = expect(false);
    const mirror = expect(true);
    const close = (a: Float32Array, e: Float32Array) => a.every((v, k) => Math.abs(v - e[k]!) < 1e-5);
    const [on] = collect(set, allIndices(set), { ...opts, flip: true });
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      const img = on!.x.subarray(i * 2 * H * W, (i + 1) * 2 * H * W);
      const isPlain = close(img, plain);
      const isMirror = close(img, mirror);
      assert.ok(isPlain || isMirror, `image ${i} is neither the input nor its mirror`);
      if (isMirror) flipped++;
    }
    assert.ok(flipped > 5 && flipped < n - 5, `${flipped} of ${n} flipped`);
    const [off] = collect(set, allIndices(set), { ...opts, flip: false });
    for (let i = 0; i < n; i++)
      assert.ok(close(off!.x.subarray(i * 2 * H * W, (i + 1) * 2 * H * W), plain), `image ${i} without flip`);
  }),
);

test(
  'mixup: soft targets sum to 1 and x = lam x_i + (1 - lam) x_perm(i) for the lam the targets imply',
  noLeaks(() => {
    const idx = allIndices(synth.train).subarray(0, 96);
    const opts: LoaderOptions = { ...base, batchSize: 32, shuffle: true, seed: 21 };
    for (const epoch of [0, 1]) {
      const mixed = collect(synth.train, idx, { ...opts, mixup: 0.4 }, epoch);
      // Same seed without mixup: the same images in the same order (the order is drawn first).
      const plain = collect(synth.train, idx, opts, epoch);
      const C = 10;
      const per = 16 * 16;
      const lams: number[] = [];
      for (let k = 0; k < mixed.length; k++) {
        const m = mixed[k]!;
        const p = plain[k]!;
        assert.deepEqual(m.y, p.y, 'mixup keeps the hard labels');
        assert.ok(m.target, 'soft targets with mixup');
        assert.deepEqual(m.shape, p.shape);
        const n = m.size;
        for (let i = 0; i < n; i++) {
          const row = m.target!.subarray(i * C, (i + 1) * C);
          assert.ok(
            Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5,
            `row ${i} sums to ${row.reduce((a, b) => a + b, 0)}`,
          );
          assert.ok(
            row.every((v) => v >= -1e-7),
            'non-negative',
          );
        }
        // lam: the smallest weight on a row's own label (rows mixed with another class show lam).
        const lam = Math.min(...m.y.map((y, i) => m.target![i * C + y]!));
        assert.ok(lam > 0 && lam <= 1, `lam ${lam}`);
        lams.push(lam);
        const used = new Set<number>();
        for (let i = 0; i < n; i++) {
          // Find the partner j with x_mixed[i] = lam x[i] + (1 - lam) x[j].
          let partner = -1;
          for (let j = 0; j < n && partner < 0; j++) {
            let ok = true;
            for (let q = 0; q < per && ok; q++)
              ok = Math.abs(m.x[i * per + q]! - (lam * p.x[i * per + q]! + (1 - lam) * p.x[j * per + q]!)) < 1e-4;
            if (ok) partner = j;
          }
          assert.ok(partner >= 0, `batch ${k}, image ${i}: not lam x_i + (1 - lam) x_j for any j (lam ${lam})`);
          used.add(partner);
          for (let c = 0; c < C; c++) {
            const expected = lam * (p.y[i] === c ? 1 : 0) + (1 - lam) * (p.y[partner] === c ? 1 : 0);
            assert.ok(Math.abs(m.target![i * C + c]! - expected) < 1e-5, `batch ${k}, row ${i}, class ${c}`);
          }
        }
        // Partners form a permutation (unless lam is so close to 1 that partners are ambiguous).
        if (lam < 0.99) assert.equal(used.size, n, 'the partners are a permutation');
      }
      assert.ok(new Set(lams).size > 1, 'lam is drawn per batch');
    }
  }),
);

test(
  'resize changes H and W; channels_last output when asked',
  noLeaks(() => {
    const idx = allIndices(synth.train).subarray(0, 8);
    const [r] = collect(synth.train, idx, {
      ...base,
      batchSize: 8,
      shuffle: false,
      resize: 24,
      cropPadding: 2,
      flip: true,
    });
    assert.deepEqual(r!.shape, [8, 1, 24, 24]);
    const [s] = collect(synth.train, idx, { ...base, batchSize: 8, shuffle: false, resize: 10 });
    assert.deepEqual(s!.shape, [8, 1, 10, 10]);
    // Resizing to the images' own size is the identity.
    const [same] = collect(synth.train, idx, { ...base, batchSize: 8, shuffle: false, resize: 16 });
    const [none] = collect(synth.train, idx, { ...base, batchSize: 8, shuffle: false });
    assert.deepEqual(Array.from(same!.x), Array.from(none!.x));

    const rgb = loadSynthetic({ seed: 3, train: 20, test: 4, channels: 3, size: 12 });
    for (const fmt of ['channels_last', 'contiguous'] as const) {
      const loader = new BatchLoader(rgb.train, allIndices(rgb.train), {
        mean: rgb.mean,
        std: rgb.std,
        seed: 0,
        batchSize: 10,
        shuffle: true,
        cropPadding: 1,
        mixup: 0.2,
        memoryFormat: fmt,
      });
      try {
        for (const b of loader.epoch(0)) {
          try {
            assert.deepEqual(b.x.shape, [10, 3, 12, 12]);
            assert.equal(b.x.isMemoryFormat('channels_last'), fmt === 'channels_last', `${fmt}: channels_last`);
            assert.equal(b.x.isMemoryFormat('contiguous'), fmt === 'contiguous', `${fmt}: contiguous`);
            assert.equal(b.x.dtype, 'float32');
            assert.equal(b.y.dtype, 'int64');
          } finally {
            disposeBatch(b);
          }
        }
      } finally {
        loader.dispose();
      }
    }
  }),
);

test('no tensor leaks: after disposing every batch and the loader the live-tensor count is unchanged', () => {
  const before = memory().liveTensors;
  const loader = new BatchLoader(synth.train, allIndices(synth.train), { ...augmented, resize: 20 });
  for (let e = 0; e < 2; e++) for (const b of loader.epoch(e)) disposeBatch(b);
  // A partial epoch (the generator abandoned) leaves nothing either.
  for (const b of loader.epoch(5)) {
    disposeBatch(b);
    break;
  }
  loader.dispose();
  assert.equal(memory().liveTensors, before);
});
