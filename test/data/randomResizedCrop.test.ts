// The loader's random-resized crop (timm's RandomResizedCrop with torchvision's parameters): boxes
// within the image, of the scale and ratio asked for, the fallback centre crop; the resampled
// batch (identity for a whole-image box, constants stay constant, seeded); the recipe's crop field
// against the data set's default; no tensor left alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchLoader, disposeBatch, randomResizedBox, type LoaderOptions } from '../../src/data/loader';
import type { ImageSet } from '../../src/data/imageSet';
import { allIndices } from '../../src/data/split';
import { loadSynthetic } from '../../src/data/synthetic';
import { Rng } from '../../src/random/rng';
import { loadRecipe } from '../../src/train/recipe';
import { cropOptions } from '../../src/train/trainer';
import { noLeaks } from '../helpers/leakCheck';

const TIMM = { scale: [0.08, 1] as const, ratio: [3 / 4, 4 / 3] as const };

function gradient(n: number, c: number, h: number, w: number): ImageSet {
  const per = c * h * w;
  const images = new Uint8Array(n * per);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) images[i * per + (ch * h + y) * w + x] = (7 * x + 3 * y + 40 * ch + i) % 256;
  return {
    name: 'gradient',
    images,
    labels: new Uint8Array(n),
    count: n,
    channels: c,
    height: h,
    width: w,
    classes: 2,
  };
}

/** The batches' x as plain numbers, unnormalised (mean 0, std 1 in [0, 1] units: x = pixel / 255). */
function pixelsOf(set: ImageSet, o: Partial<LoaderOptions>, epoch = 0): number[] {
  const loader = new BatchLoader(set, allIndices(set), {
    batchSize: set.count,
    shuffle: false,
    seed: 5,
    mean: new Array<number>(set.channels).fill(0),
    std: new Array<number>(set.channels).fill(1),
    ...o,
  });
  try {
    const out: number[] = [];
    for (const b of loader.epoch(epoch)) {
      try {
        out.push(...Array.from(b.x.dataSync() as Float32Array, (v) => Math.round(v * 255)));
      } finally {
        disposeBatch(b);
      }
    }
    return out;
  } finally {
    loader.dispose();
  }
}

test('random-resized boxes lie inside the image, with the scale and aspect ratio asked for', () => {
  const rng = new Rng(1);
  for (const [h, w] of [
    [32, 32],
    [96, 96],
    [20, 40],
  ] as const) {
    let small = 0;
    for (let k = 0; k < 2000; k++) {
      const [top, left, bh, bw] = randomResizedBox(rng, h, w, TIMM);
      assert.ok(
        top >= 0 && left >= 0 && bh >= 1 && bw >= 1 && top + bh <= h && left + bw <= w,
        `box ${[top, left, bh, bw]}`,
      );
      const area = (bh * bw) / (h * w);
      // Rounding to whole pixels moves the area and ratio a little at small sizes.
      assert.ok(area <= 1 && area >= 0.08 * 0.6, `area fraction ${area}`);
      if (area < 0.3) small++;
    }
    assert.ok(small > 200, `few small crops (${small} of 2000) at ${h}x${w}`);
  }
  // Nothing fits a ratio of 4..5 at 90% of a square's area: the centre crop of ratio 4 instead.
  assert.deepEqual(randomResizedBox(new Rng(0), 40, 40, { scale: [0.9, 1], ratio: [4, 5] }), [15, 0, 10, 40]);
});

test(
  'the loader resamples the box: a whole-image box is the image, a constant stays constant, seeded',
  noLeaks(() => {
    const set = gradient(6, 3, 12, 12);
    const plain = pixelsOf(set, {});
    assert.deepEqual(pixelsOf(set, { randomResizedCrop: { scale: [1, 1], ratio: [1, 1] } }), plain);
    const flat: ImageSet = { ...set, images: new Uint8Array(set.images.length).fill(77) };
    assert.ok(pixelsOf(flat, { randomResizedCrop: TIMM }).every((v) => v === 77));
    const a = pixelsOf(set, { randomResizedCrop: TIMM });
    assert.deepEqual(pixelsOf(set, { randomResizedCrop: TIMM }), a, 'the same seed and epoch, the same crops');
    assert.notDeepEqual(pixelsOf(set, { randomResizedCrop: TIMM }, 1), a, 'another epoch, other crops');
    assert.notDeepEqual(a, plain);
    // Bilinear: every output lies within the source's range.
    const lo = Math.min(...set.images);
    const hi = Math.max(...set.images);
    assert.ok(a.every((v) => v >= lo && v <= hi));
    // The padded crop is unchanged when no random-resized crop is asked for (padding ignored with one).
    assert.deepEqual(pixelsOf(set, { cropPadding: 2, randomResizedCrop: { scale: [1, 1], ratio: [1, 1] } }), plain);
  }),
);

test('the recipe crop field picks the augmentation; absent, the data set decides', () => {
  const synthetic = loadSynthetic({ seed: 0, train: 10, test: 10 });
  const images = { ...synthetic, defaultCrop: 'random-resized' as const };
  assert.deepEqual(cropOptions(loadRecipe(undefined, {}), synthetic), { cropPadding: 2, randomResizedCrop: null });
  assert.deepEqual(cropOptions(loadRecipe(undefined, {}), images), {
    cropPadding: 0,
    randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
  });
  assert.deepEqual(cropOptions(loadRecipe(undefined, { crop: 'pad', cropPadding: 4 }), images), {
    cropPadding: 4,
    randomResizedCrop: null,
  });
  assert.deepEqual(cropOptions(loadRecipe(undefined, { crop: 'none' }), synthetic).cropPadding, 0);
  assert.deepEqual(
    cropOptions(loadRecipe(undefined, { crop: 'random-resized', cropScale: [0.5, 1], cropRatio: [1, 1] }), synthetic)
      .randomResizedCrop,
    { scale: [0.5, 1], ratio: [1, 1] },
  );
  assert.throws(() => loadRecipe(undefined, { cropScale: [0.9, 0.2] }), /cropScale/);
  // Recipes that do not name the new fields keep their identity (no key added).
  assert.ok(!('crop' in loadRecipe(undefined, {})));
});
