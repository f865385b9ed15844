// Fashion-MNIST as image files against the IDX loader (issue 24, evidence): writes the IDX files
// out as a PNG folder (train/ and test/, a subfolder per class named by the class's name, files
// named by their IDX index) and a manifest in IDX order with numeric labels, checks that each
// decodes to the IDX pixels, then trains the same architecture with the same seed and recipe on
// the IDX files, the folder and the manifest (each a process of its own, so they can run side by
// side) and prints the test accuracy.
//
//   node dist/bench/fashionPngFolder.js write --out DIR          # the folder, the manifest, the pixel check
//   node dist/bench/fashionPngFolder.js train --out DIR --data idx|folder|manifest
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
import { imageBytes } from '../src/data/imageSet';
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
    console.log(`wrote ${lines.length - 1} PNGs and idx-order.csv in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
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
  const spec = which === 'idx' ? 'fashion-mnist' : which === 'folder' ? folderSpec() : manifestSpec();
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

const command = process.argv[2];
if (command === 'write') void writeFiles();
else if (command === 'train') trainOne();
else {
  console.error('usage: fashionPngFolder.js write|train --out DIR [--data idx|folder|manifest] ...');
  process.exit(2);
}
