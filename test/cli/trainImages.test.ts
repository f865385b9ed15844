// tsnas train and eval on a tiny image folder, end to end: the folder decoded to the space's input
// (fbnet-s: 3x32x32) once, a short training run, the run's record, the checkpoint evaluated on the
// folder's test split again from the cache; with skipBadImages a broken file is left out and listed
// in result.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../data/fixtures';
import { BLUE, GREEN, RED, truncate, writeClassFolders } from '../data/imageFixtures';
import { imagesDecoded } from '../../src/data/imageDataSet';
import { noLeaks } from '../helpers/leakCheck';
import { tsnasInProcess } from '../helpers/tsnasCli';

const SMALL_ARCH = 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip';

test(
  'tsnas train and eval on an image folder',
  noLeaks(async () => {
    const root = tempDir('train-images');
    process.env.TSNAS_CACHE_DIR = path.join(root, 'cache');
    const photos = path.join(root, 'photos');
    await writeClassFolders(photos, { green: GREEN, red: RED, blue: BLUE }, 8, ['jpg', 'png', 'webp']);
    const run = path.join(root, 'run');
    const before = imagesDecoded();
    const common = ['--epochs', '1', '--batch-size', '8', '--threads', '1'];
    const r = await tsnasInProcess([
      'train',
      'fbnet-s',
      SMALL_ARCH,
      '--data',
      `images:${photos}`,
      ...common,
      '-o',
      run,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /test split held out of .*photos: 0\.2 of each class/);
    assert.match(r.stderr, /test accuracy \d+\.\d+%/);
    assert.equal(imagesDecoded() - before, 24, 'every image decoded once');
    const result = JSON.parse(fs.readFileSync(path.join(run, 'result.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(result.status, 'complete');
    assert.deepEqual(result.input, [3, 32, 32]);
    assert.ok(!('skippedImages' in result));
    // The run describes its model: the folder's class names, the input, the resize mode (issue 24, item 4).
    const model = result.model as { classNames: string[]; input: unknown; resize: string; mean: number[] };
    assert.deepEqual(model.classNames, ['blue', 'green', 'red']);
    assert.deepEqual(model.input, { layout: 'NCHW', channels: 3, height: 32, width: 32 });
    assert.equal(model.resize, 'crop');
    assert.equal(model.mean.length, 3);
    const p = await tsnasInProcess(['predict', run, path.join(photos, 'red', '0.jpg'), '--top', '3', '--json']);
    assert.equal(p.code, 0, p.stderr);
    const predicted = JSON.parse(/\{"model":.*\}(?=\n)/.exec(p.stdout)![0]) as {
      predictions: { top: { className: string }[] }[];
    };
    assert.deepEqual(predicted.predictions[0]!.top.map((t) => t.className).sort(), ['blue', 'green', 'red']);

    const e = await tsnasInProcess(['eval', run, '--data', `images:${photos}`, '--json']);
    assert.equal(e.code, 0, e.stderr);
    const ev = JSON.parse(e.stdout.trim().split('\n').at(-1)!) as { count: number; accuracy: number };
    assert.equal(ev.count, 6, 'the held-out test split: 2 of each class');
    assert.equal(imagesDecoded() - before, 24, 'eval decodes nothing: the same data set in this process');

    // A truncated file: named, and with skipBadImages left out and in the run's record.
    const broken = path.join(photos, 'red', '3.jpg');
    truncate(broken);
    const bad = await tsnasInProcess([
      'train',
      'fbnet-s',
      SMALL_ARCH,
      '--data',
      `images:${photos}?splitSeed=1`,
      ...common,
      '-o',
      path.join(root, 'bad'),
    ]);
    assert.equal(bad.code, 1);
    assert.ok(bad.stderr.includes(broken) && bad.stderr.includes('skipBadImages'), bad.stderr);
    const run2 = path.join(root, 'skip');
    const skip = await tsnasInProcess([
      'train',
      'fbnet-s',
      SMALL_ARCH,
      '--data',
      `images:${photos}?skipBadImages`,
      ...common,
      '-o',
      run2,
    ]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.ok(skip.stderr.includes('1 image left out (skipBadImages)'), skip.stderr);
    const rec = JSON.parse(fs.readFileSync(path.join(run2, 'result.json'), 'utf8')) as {
      skippedImages: Array<{ file: string; reason: string }>;
    };
    assert.deepEqual(
      rec.skippedImages.map((s) => s.file),
      [broken],
    );
  }),
);
