// Fashion-MNIST as image files against the IDX loader (issue 24, evidence): writes the IDX files
// out as a PNG folder (train/ and test/, a subfolder per class named by the class's name, files
// named by their IDX index) and a manifest in IDX order with numeric labels, checks that each
// decodes to the IDX pixels, then trains the same architecture with the same seed and recipe on
// the IDX files, the folder and the manifest (each a process of its own, so they can run side by
// side) and prints the test accuracy.
//
//   node dist/bench/fashionPngFolder.js write --out DIR          # the folder, the manifest, the pixel check
//   node dist/bench/fashionPngFolder.js colour --out DIR [--per-class 40] [--test-per-class 10]
//        # a small colour folder: the first images of each class as tinted 44x36 JPEGs
//   node dist/bench/fashionPngFolder.js order --out DIR [--idx-order-folder DIR2] [--limit-train 12000]
//        # which training images a run draws from each, against the IDX run's
//   node dist/bench/fashionPngFolder.js train --out DIR --data idx|folder|manifest|DIR (another folder)
//        [--arch fbnet-s-baseline] [--epochs 3] [--limit-train 12000] [--threads 1] [--crop pad] [--seed 0]
//        [--run DIR (keep the checkpoint)]
//
// Why a manifest too: an image folder's classes are its folder names in sorted order ('Ankle boot'
// is class 0, where the IDX labels put it at 9) and its images are listed class by class, so the
// seeded split and shuffle draw other images into each batch than they do from the IDX files: the
// folder's run is the same recipe on a differently ordered copy of the data. The manifest keeps the
// IDX order and labels, so its run must match the IDX run exactly when the pixels are the same.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { arg, num } from './args';
import { loadDataSource } from '../src/data/dataSource';
import type { DataSource, ImageSet } from '../src/data/imageSet';
import { BatchLoader } from '../src/data/loader';
import { stratifiedSplit } from '../src/data/split';
import { imageBytes } from '../src/data/imageSet';
import { Rng } from '../src/random/rng';
import { resolveArchitecture } from '../src/space/registry';
import { loadRecipe } from '../src/train/recipe';
import { trainArchitecture } from '../src/train/trainArchitecture';

const out = path.resolve(arg('out', '/tmp/tsnas-fashion-png'));
const INPUT = [1, 28, 28] as const;

/** A class name as a folder name ('T-shirt/top' holds a slash). */
const folderName = (c: string) => c.replace(/\//g, '-');

const folderSpec = () => `images:${out}`;
const manifestSpec = () => `manifest:${path.join(out, 'idx-order.csv')}`;

async function writeFiles(): Promise<void> {
  const idx = loadDataSource('fashion-mnist');
  if (fs.existsSync(path.join(out, '.complete'))) {
    console.log(`${out} already written`);
  } else {
    const t0 = performance.now();
    const lines = ['path,label,split'];
    for (const [split, set] of [
      ['train', idx.train],
      ['test', idx.test],
    ] as const) {
      for (const c of idx.classNames) fs.mkdirSync(path.join(out, split, folderName(c)), { recursive: true });
      const per = imageBytes(set);
      const jobs: Array<Promise<unknown>> = [];
      for (let i = 0; i < set.count; i++) {
        const label = set.labels[i]!;
        const rel = path.join(split, folderName(idx.classNames[label]!), `${String(i).padStart(5, '0')}.png`);
        lines.push(`${JSON.stringify(rel)},${label},${split}`);
        const pixels = Buffer.from(set.images.subarray(i * per, (i + 1) * per));
        jobs.push(
          sharp(pixels, { raw: { width: set.width, height: set.height, channels: 1 } })
            .toColourspace('b-w') // a grey PNG (sharp writes sRGB by default)
            .png()
            .toFile(path.join(out, rel)),
        );
        if (jobs.length === 64) await Promise.all(jobs.splice(0));
      }
      await Promise.all(jobs);
    }
    fs.writeFileSync(path.join(out, 'idx-order.csv'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(out, '.complete'), '');
    console.log(
      `wrote ${lines.length - 1} PNGs and idx-order.csv in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  for (const spec of [folderSpec(), manifestSpec()]) {
    const t0 = performance.now();
    const ds = loadDataSource(spec, { input: INPUT });
    console.log(
      `${spec}: loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s (${ds.imageFiles?.decoded ?? 0} decoded); ${ds.notes?.join('; ')}`,
    );
    compare(idx, ds);
  }
}

/** The same images with the same class names, as a multiset (order aside), and whether in the same order. */
function compare(idx: DataSource, ds: DataSource): void {
  for (const split of ['train', 'test'] as const) {
    const a = idx[split];
    const b = ds[split];
    const key = (s: ImageSet, names: string[], i: number) => {
      const per = imageBytes(s);
      return `${folderName(names[s.labels[i]!]!)}|${Buffer.from(s.images.subarray(i * per, (i + 1) * per)).toString('base64')}`;
    };
    const count = new Map<string, number>();
    for (let i = 0; i < a.count; i++) {
      const k = key(a, idx.classNames, i);
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    let matched = 0;
    for (let i = 0; i < b.count; i++) {
      const k = key(b, ds.classNames.map(folderNameOf(idx)), i);
      const n = count.get(k) ?? 0;
      if (n > 0) {
        matched++;
        count.set(k, n - 1);
      }
    }
    const sameOrder =
      a.count === b.count &&
      Buffer.compare(Buffer.from(a.images), Buffer.from(b.images)) === 0 &&
      Buffer.compare(Buffer.from(a.labels), Buffer.from(b.labels)) === 0;
    console.log(
      `  ${split}: ${matched} of ${a.count} IDX images found with their class in ${b.count} decoded (${sameOrder ? 'same order, same labels' : 'another order'})`,
    );
  }
  console.log(
    `  mean/std: IDX ${fmt(idx.mean)} / ${fmt(idx.std)}; files ${fmt(ds.mean)} / ${fmt(ds.std)}; classes ${ds.classNames.join(', ')}`,
  );
}

/** The manifest's numeric labels name the IDX classes by number. */
const folderNameOf = (idx: DataSource) => (c: string) => (/^\d+$/.test(c) ? idx.classNames[Number(c)]! : c);

const fmt = (v: number[]) => v.map((x) => x.toFixed(6)).join(',');

function trainOne(): void {
  const which = arg('data', 'idx');
  const spec =
    which === 'idx'
      ? 'fashion-mnist'
      : which === 'folder'
        ? folderSpec()
        : which === 'manifest'
          ? manifestSpec()
          : `images:${path.resolve(which)}`;
  const data = loadDataSource(spec, { input: INPUT });
  const { space, arch, name } = resolveArchitecture(arg('arch', 'fbnet-s-baseline'), 'fbnet-s');
  const crop = arg('crop', 'pad') as 'pad' | 'random-resized' | 'none';
  const recipe = loadRecipe('recipes/fashion-mnist.yaml', { epochs: num('epochs', 3), crop, seed: num('seed', 0) });
  const limitTrain = num('limit-train', 12000);
  const t0 = performance.now();
  const r = trainArchitecture({
    space,
    spaceRef: 'fbnet-s',
    arch,
    recipe,
    data,
    limitTrain: limitTrain > 0 ? limitTrain : undefined,
    test: true,
    checkpointDir: arg('run', '') || undefined,
    threads: num('threads', 1),
    onEpoch: (e) =>
      console.error(
        `${which} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, val ${(100 * e.valAcc).toFixed(2)}%, ${e.imgPerSec.toFixed(0)} img/s`,
      ),
  });
  if (r.status !== 'complete') throw new Error(`training on ${spec} failed: ${r.error}`);
  console.log(
    JSON.stringify({
      data: spec,
      arch: name ?? r.arch,
      input: r.input,
      epochs: recipe.epochs,
      crop,
      seed: recipe.seed,
      limitTrain,
      valAcc: r.valAcc,
      testAcc: r.testAcc,
      mean: data.mean,
      std: data.std,
      lastLoss: r.epochs.at(-1)?.loss,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
}

/** A small colour image folder (train/ and test/): each image tinted by a random colour and squashed to 44x36, as JPEG. */
async function writeColour(): Promise<void> {
  const idx = loadDataSource('fashion-mnist');
  const rng = new Rng(24);
  let n = 0;
  for (const [split, set, per] of [
    ['train', idx.train, num('per-class', 40)],
    ['test', idx.test, num('test-per-class', 10)],
  ] as const) {
    const taken = new Array<number>(idx.classNames.length).fill(0);
    const bytes = imageBytes(set);
    for (let i = 0; i < set.count && taken.some((t) => t < per); i++) {
      const label = set.labels[i]!;
      if (taken[label]! >= per) continue;
      taken[label]!++;
      const tint = [0, 1, 2].map(() => 0.4 + 0.6 * rng.next());
      const rgb = Buffer.alloc(bytes * 3);
      for (let k = 0; k < bytes; k++)
        for (let c = 0; c < 3; c++) rgb[3 * k + c] = Math.round(set.images[i * bytes + k]! * tint[c]!);
      const dir = path.join(out, split, folderName(idx.classNames[label]!));
      fs.mkdirSync(dir, { recursive: true });
      await sharp(rgb, { raw: { width: set.width, height: set.height, channels: 3 } })
        .resize({ width: 44, height: 36, fit: 'fill' })
        .jpeg({ quality: 90 })
        .toFile(path.join(dir, `${String(i).padStart(5, '0')}.jpg`));
      n++;
    }
  }
  console.log(`wrote ${n} colour JPEGs (44x36) under ${out}`);
}

/**
 * The training images a run of the recipe draws, compared: the seeded stratified split (with
 * --limit-train) of the IDX files and of each image data set named after them, as (class name,
 * pixels) in the order the first epoch's shuffle puts them; how many of the IDX run's training
 * images each draws, and whether in the same order. A folder named by --idx-order-folder gets
 * class folders that sort in the IDX label order ('0 T-shirt-top' ... '9 Ankle boot', links to
 * the folder's own), so its classes are numbered as the IDX labels.
 */
function compareOrder(): void {
  const idx = loadDataSource('fashion-mnist');
  const limit = num('limit-train', 12000);
  const recipe = loadRecipe('recipes/fashion-mnist.yaml', { seed: num('seed', 0) });
  const ordered = arg('idx-order-folder', '');
  if (ordered && !fs.existsSync(ordered)) {
    for (const split of ['train', 'test'])
      idx.classNames.forEach((c, k) => {
        fs.mkdirSync(path.join(ordered, split), { recursive: true });
        fs.symlinkSync(path.join(out, split, folderName(c)), path.join(ordered, split, `${k} ${folderName(c)}`));
      });
  }
  const keyOf = (ds: DataSource, i: number) => {
    const per = imageBytes(ds.train);
    const c = ds.classNames[ds.train.labels[i]!]!;
    const name = /^\d+$/.test(c) ? idx.classNames[Number(c)]! : c.replace(/^\d+ /, '');
    return `${folderName(name)}|${Buffer.from(ds.train.images.subarray(i * per, (i + 1) * per)).toString('base64')}`;
  };
  const drawn = (ds: DataSource) => {
    const split = stratifiedSplit(ds.train, recipe.valFraction, recipe.seed, limit);
    const loader = new BatchLoader(ds.train, split.train, {
      batchSize: recipe.batchSize,
      shuffle: true,
      seed: recipe.seed,
      mean: ds.mean,
      std: ds.std,
    });
    // The loader's first-epoch order, without making batches: the same generator as epoch(0).
    const rng = new Rng((recipe.seed * 0x9e3779b1) >>> 0);
    const order = rng.shuffle(Int32Array.from(loader.indices));
    loader.dispose();
    return Array.from(order, (i) => keyOf(ds, i));
  };
  const ref = drawn(idx);
  const refSet = new Set(ref);
  for (const spec of [folderSpec(), manifestSpec(), ...(ordered ? [`images:${path.resolve(ordered)}`] : [])]) {
    const keys = drawn(loadDataSource(spec, { input: INPUT }));
    const common = keys.filter((k) => refSet.has(k)).length;
    const same = keys.length === ref.length && keys.every((k, i) => k === ref[i]);
    console.log(
      `${spec}: ${keys.length} training images drawn, ${common} of them among the IDX run's ${ref.length}; first epoch in the same order: ${same}`,
    );
  }
}

const command = process.argv[2];
if (command === 'write') void writeFiles();
else if (command === 'order') compareOrder();
else if (command === 'colour') void writeColour();
else if (command === 'train') trainOne();
else {
  console.error('usage: fashionPngFolder.js write|colour|order|train --out DIR [--data idx|folder|manifest] ...');
  process.exit(2);
}
