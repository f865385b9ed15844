// The image loader's speed: images/s of the batch loader over decoded uint8 images (as an image
// folder's cache holds them) at 32x32 and 96x96 colour, with no crop, the padded crop and the
// random-resized crop (each with flips and normalisation, to float32 channels_last batches), and
// the decoding of an image folder (first load: sharp in the decoding process; second: the cache).
//
//   node dist/bench/imageLoader.js [--batch 128] [--images 4096] [--files 400] [--threads 1] [--json]
//   node dist/bench/imageLoader.js --against-trainer [--arch fbnet-s-baseline] [--rounds 5] [--batches 4] [--sizes 32,96]
//
// Wall and CPU time (process.cpuUsage, this process only: the decoding process is not counted in
// CPU) per configuration, the median of 3 epochs.
//
// --against-trainer: the loader against the trainer in the same process, alternating: each round
// makes `batches` batches of 3xSxS images (random-resized crop, flip, normalisation: an image
// folder's defaults), then runs the trainer's step (classificationStep + SGD, the recipe of
// recipes/fashion-mnist.yaml) of the architecture on them; images/s of each, medians over rounds.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { arg, num } from './args';
import { BatchLoader, disposeBatch, type LoaderOptions } from '../src/data/loader';
import { allIndices } from '../src/data/split';
import type { ImageSet } from '../src/data/imageSet';
import { imagesDecoded, loadImageDataSet } from '../src/data/imageDataSet';
import { setNumThreads } from '../src/engine/runtime';
import { Rng } from '../src/random/rng';
import { upperMedian } from '../src/stats';
import { buildNetwork } from '../src/builder/buildNetwork';
import { tidy } from '../src/engine/memory';
import { resolveArchitecture } from '../src/space/registry';
import { classificationStep } from '../src/train/classificationStep';
import { makeOptimizer } from '../src/train/makeOptimizer';
import { loadRecipe } from '../src/train/recipe';

const batch = num('batch', 128);
const count = num('images', 4096);
const files = num('files', 400);
setNumThreads(num('threads', 1));
const json = process.argv.includes('--json');

function randomSet(size: number, n: number): ImageSet {
  const rng = new Rng(size);
  const per = 3 * size * size;
  const images = new Uint8Array(n * per);
  for (let i = 0; i < images.length; i++) images[i] = rng.uint32() & 0xff;
  return {
    name: `random ${size}`,
    images,
    labels: new Uint8Array(n),
    count: n,
    channels: 3,
    height: size,
    width: size,
    classes: 10,
  };
}

function timeEpochs(set: ImageSet, o: Partial<LoaderOptions>): { imgPerSec: number; cpuImgPerSec: number } {
  const loader = new BatchLoader(set, allIndices(set), {
    batchSize: batch,
    shuffle: true,
    seed: 0,
    dropLast: true,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
    flip: true,
    memoryFormat: 'channels_last',
    ...o,
  });
  const wall: number[] = [];
  const cpu: number[] = [];
  try {
    for (let e = 0; e < 4; e++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let n = 0;
      for (const b of loader.epoch(e)) {
        n += b.size;
        disposeBatch(b);
      }
      const c = process.cpuUsage(c0);
      if (e === 0) continue; // warm-up
      wall.push(n / ((performance.now() - t0) / 1000));
      cpu.push(n / ((c.user + c.system) / 1e6));
    }
  } finally {
    loader.dispose();
  }
  return { imgPerSec: upperMedian(wall), cpuImgPerSec: upperMedian(cpu) };
}

async function decodeBench(): Promise<Record<string, number>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-image-bench-'));
  try {
    const rng = new Rng(1);
    for (let i = 0; i < files; i++) {
      const [w, h] = [160 + (i % 5) * 16, 120 + (i % 3) * 16];
      const data = Buffer.alloc(w * h * 3);
      for (let k = 0; k < data.length; k++) data[k] = (k % 251) ^ (rng.uint32() & 0x1f);
      const dir = path.join(root, 'photos', `class${i % 4}`);
      fs.mkdirSync(dir, { recursive: true });
      await sharp(data, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(path.join(dir, `${i}.jpg`));
    }
    const dir = path.join(root, 'photos');
    const cacheDir = path.join(root, 'cache');
    const load = () => {
      const t0 = performance.now();
      loadImageDataSet('images', dir, `images:${dir}`, { input: [3, 96, 96], cacheDir });
      return performance.now() - t0;
    };
    const d0 = imagesDecoded();
    const first = load();
    const decoded = imagesDecoded() - d0;
    const second = load();
    return {
      files,
      decoded,
      decodeImgPerSec: files / (first / 1000),
      cachedImgPerSec: files / (second / 1000),
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Loader and trainer images/s at SxS colour, alternating in this process (see the header). */
function againstTrainer(size: number): Record<string, number | string> {
  const archName = arg('arch', 'fbnet-s-baseline');
  const rounds = num('rounds', 5);
  const perRound = num('batches', 4);
  const { space, arch } = resolveArchitecture(archName, 'fbnet-s');
  const recipe = loadRecipe('recipes/fashion-mnist.yaml', {});
  const set = randomSet(size, batch * perRound);
  const network = buildNetwork(space, arch, { input: [3, size, size], classes: 10 });
  const model = network.to({ memoryFormat: 'channels_last' }).train();
  const optimizer = makeOptimizer(model, recipe);
  const step = classificationStep(model, recipe);
  const loader = new BatchLoader(set, allIndices(set), {
    batchSize: batch,
    shuffle: true,
    seed: 0,
    dropLast: true,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
    flip: true,
    memoryFormat: 'channels_last',
    randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
  });
  const loaderRate: number[] = [];
  const trainerRate: number[] = [];
  try {
    for (let r = 0; r <= rounds; r++) {
      const t0 = performance.now();
      const batches = [...loader.epoch(r)];
      const t1 = performance.now();
      for (const b of batches) {
        tidy(() => step(b));
        optimizer.step();
        disposeBatch(b);
      }
      const t2 = performance.now();
      if (r === 0) continue; // warm-up
      const n = batches.length * batch;
      loaderRate.push(n / ((t1 - t0) / 1000));
      trainerRate.push(n / ((t2 - t1) / 1000));
      if (!json)
        console.error(
          `  ${size}x${size} round ${r}: loader ${loaderRate.at(-1)!.toFixed(0)} img/s, trainer ${trainerRate.at(-1)!.toFixed(0)} img/s`,
        );
    }
  } finally {
    loader.dispose();
    network.dispose();
  }
  const ratios = loaderRate.map((l, i) => l / trainerRate[i]!);
  return {
    size,
    arch: archName,
    batch,
    rounds,
    loaderImgPerSec: upperMedian(loaderRate),
    trainerImgPerSec: upperMedian(trainerRate),
    ratio: upperMedian(ratios),
    ratios: ratios.map((x) => x.toFixed(1)).join(', '),
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--against-trainer')) {
    const rows = arg('sizes', '32,96').split(',').map(Number).map(againstTrainer);
    for (const r of rows)
      console.log(
        json
          ? JSON.stringify(r)
          : `${r.size}x${r.size} colour, ${r.arch}, batch ${r.batch}: loader ${Number(r.loaderImgPerSec).toFixed(0)} img/s, trainer ${Number(r.trainerImgPerSec).toFixed(0)} img/s, loader/trainer ${Number(r.ratio).toFixed(1)}x (median of ${r.rounds} rounds: ${r.ratios})`,
      );
    return;
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const size of [32, 96]) {
    const set = randomSet(size, size === 32 ? count : Math.max(batch * 2, Math.round(count / 4)));
    for (const [crop, o] of [
      ['none', {}],
      ['pad', { cropPadding: size / 8 }],
      ['random-resized', { randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] } }],
    ] as const) {
      const r = timeEpochs(set, o as Partial<LoaderOptions>);
      rows.push({ size, crop, images: set.count, batch, ...r });
      if (!json)
        console.log(
          `loader ${size}x${size} crop ${crop.padEnd(14)} ${r.imgPerSec.toFixed(0).padStart(7)} img/s wall, ${r.cpuImgPerSec.toFixed(0).padStart(7)} img/s of CPU (${set.count} images, batch ${batch})`,
        );
    }
  }
  const d = await decodeBench();
  if (!json)
    console.log(
      `decode ${d.files} JPEGs (160-224 x 120-152) to 3x96x96: ${d.decodeImgPerSec!.toFixed(0)} img/s first load (sharp, ${d.decoded} decoded), ${d.cachedImgPerSec!.toFixed(0)} img/s from the cache`,
    );
  else console.log(JSON.stringify({ loader: rows, decode: d, threads: arg('threads', '1') }));
}

void main();
