// Image folders and manifests as data sets (images:DIR, manifest:FILE): each format decoded, grey
// and colour conversion, resizing (crop and squash), explicit and held-out splits, normalisation
// statistics, the decoded-image cache (a second load decodes nothing; a changed folder is decoded
// again) and every kind of bad data, on folders written at test time with sharp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imagesDecoded, loadImageDataSet } from '../../src/data/imageDataSet';
import { channelStats, type DataSource, type ImageSet } from '../../src/data/imageSet';
import { loadDataSource } from '../../src/data/dataSource';
import { tempDir, throwsWith } from './fixtures';
import { BLUE, GREEN, RED, truncate, writeBands, writeClassFolders, writeSolid } from './imageFixtures';

const cacheDir = tempDir('image-cache');

function load(
  dir: string,
  input: [number, number, number],
  o: { kind?: 'images' | 'manifest'; options?: string; cache?: string } = {},
): DataSource {
  const kind = o.kind ?? 'images';
  const arg = `${dir}${o.options ? `?${o.options}` : ''}`;
  return loadImageDataSet(kind, arg, `${kind}:${arg}`, { input, cacheDir: o.cache ?? cacheDir });
}

/** Pixel (c, y, x) of image i. */
const px = (s: ImageSet, i: number, c: number, y: number, x: number) =>
  s.images[i * s.channels * s.height * s.width + (c * s.height + y) * s.width + x]!;

/** Every pixel of every channel of image i lies within tol of the colour. */
function assertSolid(s: ImageSet, i: number, colour: readonly number[], tol: number, what: string): void {
  for (let c = 0; c < s.channels; c++)
    for (let y = 0; y < s.height; y++)
      for (let x = 0; x < s.width; x++) {
        const v = px(s, i, c, y, x);
        assert.ok(Math.abs(v - colour[c]!) <= tol, `${what}: channel ${c} (${y}, ${x}) is ${v}, expected ${colour[c]}`);
      }
}

test('each format decodes: JPEG, PNG, WebP, GIF, TIFF, to the input size', async () => {
  const dir = tempDir('img-formats');
  const formats = ['jpg', 'png', 'webp', 'gif', 'tiff'];
  await writeClassFolders(dir, { red: RED, blue: BLUE }, 5, formats);
  const ds = load(dir, [3, 12, 10], { options: 'testFraction=0.4' });
  assert.deepEqual(ds.classNames, ['blue', 'red']);
  assert.equal(ds.train.count + ds.test.count, 10);
  for (const s of [ds.train, ds.test]) {
    assert.deepEqual([s.channels, s.height, s.width, s.classes], [3, 12, 10, 2]);
    for (let i = 0; i < s.count; i++) {
      // JPEG is lossy and GIF's palette approximates: a few levels off at most.
      assertSolid(s, i, s.labels[i] === 0 ? BLUE : RED, 6, `${s.name} image ${i}`);
    }
  }
  assert.equal(ds.imageFiles?.decoded, 10);
  assert.deepEqual(ds.imageFiles?.skipped, []);
});

test('grey or colour follows the input channels; a conversion is said once', async () => {
  const dir = tempDir('img-grey');
  await writeClassFolders(dir, { dark: 40, light: 200 }, 3, ['png', 'jpg']);
  const colour = load(dir, [3, 8, 8], { options: 'testFraction=0.34' });
  for (let i = 0; i < colour.train.count; i++) {
    const g = colour.train.labels[i] === 0 ? 40 : 200;
    assertSolid(colour.train, i, [g, g, g], 3, 'grey made colour');
  }
  assert.equal(colour.notes!.filter((n) => n.includes('converted')).length, 1);
  assert.ok(
    colour.notes!.some((n) => n.includes("6 of 6 images converted to colour for the network's 3-channel input")),
  );

  const rgb = tempDir('img-colour');
  await writeClassFolders(rgb, { r: RED, g: GREEN }, 2);
  const grey = load(rgb, [1, 6, 6], { options: 'testFraction=0.5' });
  assert.equal(grey.train.channels, 1);
  // libvips' b-w is the luminance of sRGB (Rec. 709 weights on linear light, re-encoded): the green
  // image is the brighter one, both well inside (0, 255).
  const lum = (s: ImageSet, label: number) => px(s, Array.from(s.labels).indexOf(label), 0, 3, 3);
  assert.ok(lum(grey.train, 0) > lum(grey.train, 1), 'green is brighter than red in grey');
  assert.ok(grey.notes!.some((n) => n.includes("4 of 4 images converted to grey for the network's 1-channel input")));
  // Nothing converted: nothing said.
  const same = load(rgb, [3, 6, 6], { options: 'testFraction=0.5' });
  assert.ok(!same.notes!.some((n) => n.includes('converted')));
});

test('resize: crop takes the centre of the shorter-side resize, squash keeps the whole image', async () => {
  const dir = tempDir('img-resize');
  // A 100x20 image of red | green x 3 | blue bands, and a 60x20 one of red | green | blue, in both classes.
  const wide = tempDir('img-resize-wide');
  for (const c of ['a', 'b'])
    for (const i of [0, 1]) {
      await writeBands(path.join(wide, c, `${i}.png`), 20, 20, [RED, GREEN, GREEN, GREEN, BLUE]);
      await writeBands(path.join(dir, c, `${i}.png`), 20, 20, [RED, GREEN, BLUE]);
    }
  const crop = load(wide, [3, 10, 10], { options: 'testFraction=0.5' });
  assertSolid(crop.train, 0, GREEN, 0, 'the centre crop of the bands');
  const squash = load(dir, [3, 10, 12], { options: 'testFraction=0.5&resize=squash' });
  const s = squash.train;
  assert.deepEqual([s.height, s.width], [10, 12]);
  // Lanczos resampling rings a little next to a band's edge: within a few levels.
  const near = (x: number, colour: readonly number[]) =>
    [0, 1, 2].forEach((c) =>
      assert.ok(Math.abs(px(s, 0, c, 5, x) - colour[c]!) <= 6, `squash: column ${x}, channel ${c}`),
    );
  near(0, RED);
  near(6, GREEN);
  near(11, BLUE);
});

test('splits: train/ with test/ or val/ as given; else held out, stratified and seeded', async () => {
  const given = tempDir('img-split');
  await writeClassFolders(path.join(given, 'train'), { cat: RED, dog: BLUE }, 4);
  await writeClassFolders(path.join(given, 'val'), { cat: RED, dog: BLUE }, 2);
  const fromVal = load(given, [3, 4, 4]);
  assert.deepEqual([fromVal.train.count, fromVal.test.count], [8, 4]);
  assert.ok(fromVal.notes!.some((n) => n.includes(`test split from ${path.join(given, 'val')}`)));
  await writeClassFolders(path.join(given, 'test'), { cat: RED, dog: BLUE }, 3);
  const fromTest = load(given, [3, 4, 4]);
  assert.deepEqual([fromTest.train.count, fromTest.test.count], [8, 6]);
  assert.ok(fromTest.notes!.some((n) => n.includes('the val images are not used')));
  assert.deepEqual(Array.from(fromTest.test.labels).sort(), [0, 0, 0, 1, 1, 1]);

  const flat = tempDir('img-heldout');
  await writeClassFolders(flat, { a: RED, b: GREEN, c: BLUE }, 10);
  const counts = (s: ImageSet) => [0, 1, 2].map((k) => Array.from(s.labels).filter((y) => y === k).length);
  const one = load(flat, [3, 4, 4], { options: 'testFraction=0.3&splitSeed=1' });
  assert.deepEqual(counts(one.test), [3, 3, 3], 'every class keeps its share');
  assert.deepEqual(counts(one.train), [7, 7, 7]);
  assert.ok(one.notes!.some((n) => n.includes('0.3 of each class (testFraction), seed 1 (splitSeed)')));
});

test('the held-out split is seeded: which files go to test depends on splitSeed only', async () => {
  const flat = tempDir('img-seeded');
  // Each image a different grey level, so the test images identify the files.
  for (const [c, base] of [
    ['a', 10],
    ['b', 130],
  ] as const)
    for (let i = 0; i < 8; i++) await writeSolid(path.join(flat, c, `${i}.png`), 8, 8, base + 10 * i);
  const levels = (seed: number) => {
    const ds = load(flat, [1, 2, 2], { options: `testFraction=0.25&splitSeed=${seed}` });
    return Array.from({ length: ds.test.count }, (_, i) => px(ds.test, i, 0, 0, 0));
  };
  assert.deepEqual(levels(3), levels(3));
  const seeds = [0, 1, 2, 3, 4].map((s) => levels(s).join());
  assert.ok(new Set(seeds).size > 1, `five seeds gave one split: ${seeds[0]}`);
});

test('normalisation: per-channel mean and std measured on the training split', async () => {
  const dir = tempDir('img-stats');
  await writeClassFolders(path.join(dir, 'train'), { r: RED, b: BLUE }, 2);
  // Test images of other colours must not move the statistics.
  await writeClassFolders(path.join(dir, 'test'), { r: [255, 255, 255], b: [0, 0, 0] }, 1);
  const ds = load(dir, [3, 4, 4]);
  const expect = (c: number) => (RED[c]! + BLUE[c]!) / 2 / 255;
  ds.mean.forEach((m, c) => assert.ok(Math.abs(m - expect(c)) < 1e-6, `mean[${c}] ${m}, expected ${expect(c)}`));
  const sd = (c: number) => Math.abs(RED[c]! - BLUE[c]!) / 2 / 255;
  ds.std.forEach((s, c) =>
    assert.ok(Math.abs(s - sd(c)) < 1e-3 || (sd(c) === 0 && s < 1e-3), `std[${c}] ${s}, expected ${sd(c)}`),
  );
  assert.deepEqual(channelStats(ds.train), { mean: ds.mean, std: ds.std });
});

test('the cache: a second load decodes nothing; a file added, removed or modified is decoded again', async () => {
  const dir = tempDir('img-cache-src');
  const cache = tempDir('img-cache-own');
  await writeClassFolders(dir, { a: RED, b: BLUE }, 3);
  const before = imagesDecoded();
  const first = load(dir, [3, 5, 5], { cache });
  assert.equal(first.imageFiles!.decoded, 6);
  assert.equal(imagesDecoded() - before, 6);
  const second = load(dir, [3, 5, 5], { cache });
  assert.equal(second.imageFiles!.decoded, 0, 'the second load decodes nothing');
  assert.equal(imagesDecoded() - before, 6);
  assert.deepEqual(second.train.images, first.train.images);
  assert.equal(second.imageFiles!.cacheFile, first.imageFiles!.cacheFile);
  // Another input size is another cache.
  assert.equal(load(dir, [3, 4, 4], { cache }).imageFiles!.decoded, 6);

  const cacheFiles = () => fs.readdirSync(path.join(cache, 'images')).sort();
  assert.equal(cacheFiles().length, 2);
  // Modified: same name, another colour (and size).
  await writeSolid(path.join(dir, 'a', '0.png'), 30, 30, GREEN);
  const modified = load(dir, [3, 5, 5], { cache });
  assert.equal(modified.imageFiles!.decoded, 6);
  assert.ok(
    modified.notes!.some((n) => n.includes('changed since they were decoded (1 modified')),
    modified.notes!.join('\n'),
  );
  const all = [
    ...Array.from({ length: modified.train.count }, (_, i) => px(modified.train, i, 1, 2, 2)),
    ...Array.from({ length: modified.test.count }, (_, i) => px(modified.test, i, 1, 2, 2)),
  ];
  assert.ok(all.includes(GREEN[1]), 'the modified image is the new one');
  assert.equal(cacheFiles().length, 2, 'the stale cache is removed');
  // Added and removed.
  await writeSolid(path.join(dir, 'b', '9.png'), 10, 10, BLUE);
  const added = load(dir, [3, 5, 5], { cache });
  assert.equal(added.train.count + added.test.count, 7);
  assert.ok(added.notes!.some((n) => n.includes('1 file added')));
  fs.rmSync(path.join(dir, 'a', '1.png'));
  const removed = load(dir, [3, 5, 5], { cache });
  assert.equal(removed.train.count + removed.test.count, 6);
  assert.ok(removed.notes!.some((n) => n.includes('1 removed')));
  assert.equal(load(dir, [3, 5, 5], { cache }).imageFiles!.decoded, 0);
});

test('loadDataSource: images:DIR decodes to the given input; without one it says so', async () => {
  const dir = tempDir('img-spec');
  await writeClassFolders(dir, { a: RED, b: BLUE }, 2);
  throwsWith(() => loadDataSource(`images:${dir}`), ["image files are decoded to the network's input", 'input: CxHxW']);
  process.env.TSNAS_CACHE_DIR = cacheDir;
  const ds = loadDataSource(`images:${dir}?testFraction=0.5`, { input: [3, 6, 6] });
  assert.equal(ds.kind, 'images');
  assert.equal(ds.defaultCrop, 'random-resized');
  // The same spec again without an input: the one it was decoded to.
  assert.equal(loadDataSource(`images:${dir}?testFraction=0.5`), ds);
  throwsWith(
    () => loadDataSource(`images:${dir}?size=3`, { input: [3, 6, 6] }),
    ["unknown option 'size'", 'resize', 'skipBadImages'],
  );
  throwsWith(
    () => loadDataSource(`images:${dir}?resize=fit`, { input: [3, 6, 6] }),
    ['option resize must be crop or squash'],
  );
  throwsWith(() => loadDataSource(`images:${dir}`, { input: [4, 6, 6] }), ['4 channels', '1 (grey) or 3 (colour)']);
});

test('manifests: CSV (header or none, quoted paths, a split column) and JSON Lines, paths relative to the manifest', async () => {
  const dir = tempDir('img-manifest');
  await writeSolid(path.join(dir, 'pics', 'r1.png'), 9, 9, RED);
  await writeSolid(path.join(dir, 'pics', 'r,2.png'), 9, 9, RED);
  await writeSolid(path.join(dir, 'pics', 'b1.png'), 9, 9, BLUE);
  await writeSolid(path.join(dir, 'pics', 'b2.png'), 9, 9, BLUE);
  fs.writeFileSync(
    path.join(dir, 'list.csv'),
    'label,path,split\nred,pics/r1.png,train\nred,"pics/r,2.png",test\n\nblue,pics/b1.png,train\r\nblue,pics/b2.png,test\n',
  );
  const csv = load(path.join(dir, 'list.csv'), [3, 4, 4], { kind: 'manifest' });
  assert.deepEqual(csv.classNames, ['blue', 'red']);
  assert.deepEqual([csv.train.count, csv.test.count], [2, 2]);
  assertSolid(csv.test, Array.from(csv.test.labels).indexOf(1), RED, 1, 'the quoted path');

  const lines = [0, 1, 2, 3].map((i) =>
    JSON.stringify({
      path: path.join('pics', i < 2 ? (i ? 'r1.png' : 'r,2.png') : `b${i - 1}.png`),
      label: i < 2 ? 1 : 0,
    }),
  );
  fs.writeFileSync(path.join(dir, 'list.jsonl'), `${lines.join('\n')}\n`);
  const jsonl = load(path.join(dir, 'list.jsonl'), [3, 4, 4], { kind: 'manifest', options: 'testFraction=0.5' });
  assert.deepEqual(jsonl.classNames, ['0', '1'], 'numeric labels in numeric order');
  assert.deepEqual([jsonl.train.count, jsonl.test.count], [2, 2]);
  fs.writeFileSync(
    path.join(dir, 'plain.csv'),
    'pics/r1.png,red\npics/b1.png,blue\npics/b2.png,blue,test\npics/r,2.png,red,test\n',
  );
  throwsWith(
    () => load(path.join(dir, 'plain.csv'), [3, 4, 4], { kind: 'manifest' }),
    ['plain.csv line 4', 'got 4 fields', 'double quotes'],
  );
});

test('bad data: each case named (the file, the folder, the class, the manifest line)', async () => {
  const root = tempDir('img-bad');
  // A truncated JPEG names its file; with skipBadImages it is left out and listed.
  const trunc = path.join(root, 'trunc');
  await writeClassFolders(trunc, { a: RED, b: BLUE }, 3, ['jpg']);
  truncate(path.join(trunc, 'b', '1.jpg'));
  const broken = path.join(trunc, 'b', '1.jpg');
  throwsWith(() => load(trunc, [3, 4, 4]), [broken, 'cannot decode the image', 'skipBadImages']);
  const skipped = load(trunc, [3, 4, 4], { options: 'skipBadImages' });
  assert.equal(skipped.train.count + skipped.test.count, 5);
  assert.deepEqual(
    skipped.imageFiles!.skipped.map((s) => s.file),
    [broken],
  );
  assert.ok(skipped.notes!.some((n) => n.includes('1 image left out (skipBadImages)') && n.includes(broken)));
  // The cache written with skipBadImages does not hide the bad file from a load without it.
  throwsWith(() => load(trunc, [3, 4, 4]), [broken, 'cannot decode the image']);
  // Not an image at all, under an image's name.
  const fake = path.join(root, 'fake');
  await writeClassFolders(fake, { a: RED, b: BLUE }, 2);
  fs.writeFileSync(path.join(fake, 'a', '1.png'), 'not a picture');
  throwsWith(() => load(fake, [3, 4, 4]), [path.join(fake, 'a', '1.png'), 'cannot decode the image']);

  // An empty class folder.
  const empty = path.join(root, 'empty');
  await writeClassFolders(empty, { a: RED, b: BLUE }, 2);
  fs.mkdirSync(path.join(empty, 'c'));
  fs.writeFileSync(path.join(empty, 'c', 'notes.txt'), 'x');
  throwsWith(
    () => load(empty, [3, 4, 4]),
    [`the class folder ${path.join(empty, 'c')} holds no`, 'notes.txt', 'add images or remove the folder'],
  );
  // A class missing from the test split, and a test class that train lacks.
  const missing = path.join(root, 'missing');
  await writeClassFolders(path.join(missing, 'train'), { cat: RED, dog: BLUE, owl: GREEN }, 2);
  await writeClassFolders(path.join(missing, 'test'), { cat: RED, owl: GREEN }, 1);
  throwsWith(() => load(missing, [3, 4, 4]), ["class 'dog'", `no images in ${path.join(missing, 'test')}`]);
  await writeClassFolders(path.join(missing, 'test'), { dog: BLUE, yak: RED }, 1);
  throwsWith(
    () => load(missing, [3, 4, 4]),
    [path.join(missing, 'test', 'yak'), 'a class that the training split lacks'],
  );
  // Too few images to hold a test split out of.
  const few = path.join(root, 'few');
  await writeClassFolders(few, { a: RED, b: BLUE }, 1);
  throwsWith(() => load(few, [3, 4, 4]), ["class 'a' has 1 image", 'at least 2 per class']);
  // Not a folder of class folders.
  throwsWith(() => load(path.join(root, 'nowhere'), [3, 4, 4]), ['cannot read the folder', 'ENOENT']);
  const loose = path.join(root, 'loose');
  await writeSolid(path.join(loose, 'x.png'), 4, 4, RED);
  throwsWith(() => load(loose, [3, 4, 4]), ['holds images but no class folders', path.join(loose, 'CLASS', 'x.png')]);

  // Manifest lines that do not parse, by line number.
  const m = path.join(root, 'm');
  await writeSolid(path.join(m, 'r.png'), 4, 4, RED);
  await writeSolid(path.join(m, 'b.png'), 4, 4, BLUE);
  const manifest = (name: string, text: string) => {
    fs.writeFileSync(path.join(m, name), text);
    return path.join(m, name);
  };
  throwsWith(
    () => load(manifest('a.csv', 'r.png,red\nb.png\n'), [3, 4, 4], { kind: 'manifest' }),
    [`${path.join(m, 'a.csv')} line 2`, 'path,label'],
  );
  throwsWith(
    () => load(manifest('q.csv', 'r.png,red\n"b.png,blue\n'), [3, 4, 4], { kind: 'manifest' }),
    ['q.csv line 2', 'not closed'],
  );
  throwsWith(
    () => load(manifest('s.csv', 'r.png,red\nb.png,blue,holdout\n'), [3, 4, 4], { kind: 'manifest' }),
    ['s.csv line 2', "split 'holdout'"],
  );
  throwsWith(
    () =>
      load(manifest('b.jsonl', '{"path":"r.png","label":"red"}\n\n{"path": "b.png", label: blue}\n'), [3, 4, 4], {
        kind: 'manifest',
      }),
    ['b.jsonl line 3', 'not JSON'],
  );
  throwsWith(
    () =>
      load(manifest('c.jsonl', '{"path":"r.png","label":"red"}\n{"file":"b.png","label":"blue"}\n'), [3, 4, 4], {
        kind: 'manifest',
      }),
    ['c.jsonl line 2', 'path must be a string'],
  );
  throwsWith(() => load(manifest('d.txt', 'r.png,red\n'), [3, 4, 4], { kind: 'manifest' }), ['neither .csv', '.jsonl']);
  // A line naming a missing file: an error, or with skipBadImages left out and listed.
  const gone = manifest('gone.csv', 'r.png,red\nr.png,red\nb.png,blue\nb.png,blue\nnope.png,blue\n');
  throwsWith(
    () => load(gone, [3, 4, 4], { kind: 'manifest', options: 'testFraction=0.5' }),
    ['gone.csv line 5', 'nope.png is not a file', 'skipBadImages'],
  );
  const kept = load(gone, [3, 4, 4], { kind: 'manifest', options: 'testFraction=0.5&skipBadImages' });
  assert.equal(kept.imageFiles!.skipped.length, 1);
  assert.ok(kept.imageFiles!.skipped[0]!.reason.includes('gone.csv line 5'));
  // A test line of a class with no training lines.
  throwsWith(
    () =>
      load(manifest('t.csv', 'r.png,red\nb.png,blue\nr.png,red,test\nb.png,blue,test\nb.png,green,test\n'), [3, 4, 4], {
        kind: 'manifest',
      }),
    ['t.csv line 5', "class 'green'", 'no training images'],
  );
});

test('skipping bad images that empty a class says which class', async () => {
  const dir = tempDir('img-skip-empty');
  await writeClassFolders(path.join(dir, 'train'), { a: RED, b: BLUE }, 2);
  await writeClassFolders(path.join(dir, 'test'), { a: RED, b: BLUE }, 1);
  truncate(path.join(dir, 'test', 'b', '0.png'), 0.3);
  throwsWith(
    () => load(dir, [3, 4, 4], { options: 'skipBadImages' }),
    ["class 'b' has no images in", path.join(dir, 'test')],
  );
});
