// IDX data sets (MNIST, Fashion-MNIST): the real Fashion-MNIST from the Debian package, small
// files written here (plain and gzipped), and broken files, each with an error naming the file
// and what was expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadDataSource, readIdx } from '../../src/data';
import { FASHION_MNIST_DIR } from '../../src/data/mnistLike';
import { idxBytes, tempDir, throwsWith, writeIdxSet } from './fixtures';

const haveFashion =
  fs.existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')) ||
  fs.existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte'));

test(
  'real Fashion-MNIST: 60000/10000 images of 28x28, labels 0..9 balanced, mean about 0.286',
  { skip: !haveFashion && `no data in ${FASHION_MNIST_DIR}` },
  () => {
    const ds = loadDataSource('fashion-mnist');
    assert.equal(ds.kind, 'fashion-mnist');
    assert.equal(ds.spec, 'fashion-mnist');
    for (const [s, n] of [
      [ds.train, 60000],
      [ds.test, 10000],
    ] as const) {
      assert.equal(s.count, n, `${s.name} count`);
      assert.equal(s.labels.length, n);
      assert.equal(s.images.length, n * 28 * 28);
      assert.deepEqual([s.channels, s.height, s.width, s.classes], [1, 28, 28, 10]);
      const counts = new Array(10).fill(0);
      for (const l of s.labels) counts[l]++;
      assert.deepEqual(counts, new Array(10).fill(n / 10), `${s.name}: every class has a tenth`);
    }
    assert.equal(ds.mean.length, 1);
    assert.ok(Math.abs(ds.mean[0]! - 0.286) < 0.002, `mean ${ds.mean[0]}`);
    assert.ok(Math.abs(ds.std[0]! - 0.353) < 0.002, `std ${ds.std[0]}`);
    assert.equal(ds.flipByDefault, true, 'clothing may be flipped');
    assert.equal(ds.classNames.length, 10);
    // The same spec again is served from the cache.
    assert.equal(loadDataSource('fashion-mnist'), ds);
  },
);

for (const gzip of [false, true]) {
  for (const kind of ['mnist', 'fashion-mnist'] as const) {
    test(`${kind}:DIR loads small ${gzip ? 'gzipped' : 'plain'} IDX files exactly`, () => {
      const fx = writeIdxSet(`idx-${kind}-${gzip}`, { gzip, h: 5, w: 4 });
      const ds = loadDataSource(`${kind}:${fx.dir}`);
      assert.equal(ds.kind, kind);
      assert.equal(ds.flipByDefault, kind === 'fashion-mnist', 'digits are not flipped');
      assert.deepEqual([ds.train.count, ds.test.count], [12, 7]);
      assert.deepEqual([ds.train.channels, ds.train.height, ds.train.width], [1, 5, 4]);
      assert.deepEqual(Array.from(ds.train.images), Array.from(fx.trainImages));
      assert.deepEqual(Array.from(ds.train.labels), Array.from(fx.trainLabels));
      assert.deepEqual(Array.from(ds.test.images), Array.from(fx.testImages));
      assert.deepEqual(Array.from(ds.test.labels), Array.from(fx.testLabels));
      const mean = fx.trainImages.reduce((a, b) => a + b, 0) / fx.trainImages.length / 255;
      const sq = fx.trainImages.reduce((a, b) => a + (b / 255) ** 2, 0) / fx.trainImages.length;
      assert.ok(Math.abs(ds.mean[0]! - mean) < 1e-9, `mean ${ds.mean[0]} vs ${mean}`);
      assert.ok(Math.abs(ds.std[0]! - Math.sqrt(sq - mean * mean)) < 1e-9, `std ${ds.std[0]}`);
    });
  }
}

test('readIdx reads a gzipped file and a plain one identically', () => {
  const dir = tempDir('idx-read');
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const bytes = idxBytes([2, 3, 4], data);
  fs.writeFileSync(path.join(dir, 'a'), bytes);
  fs.writeFileSync(path.join(dir, 'a.gz'), zlib.gzipSync(bytes));
  for (const f of ['a', 'a.gz']) {
    const r = readIdx(path.join(dir, f), 3);
    assert.deepEqual(r.dims, [2, 3, 4]);
    assert.deepEqual(Array.from(r.data), Array.from(data));
  }
});

/** A valid set in its own dir with one file replaced by `bytes` (written plain, replacing any .gz). */
function brokenSet(tag: string, file: string, bytes: Buffer | null, gzip = false): string {
  const fx = writeIdxSet(`idx-broken-${tag}`, { gzip, h: 3, w: 3, nTrain: 6, nTest: 4 });
  for (const f of [file, `${file}.gz`]) fs.rmSync(path.join(fx.dir, f), { force: true });
  if (bytes) fs.writeFileSync(path.join(fx.dir, file), bytes);
  return fx.dir;
}

const IMG = 'train-images-idx3-ubyte';
const LBL = 'train-labels-idx1-ubyte';
const pixels = (n: number) => new Uint8Array(n * 9).fill(7);

test('broken IDX: wrong magic number names the file and the expected magic', () => {
  const dir = brokenSet('magic', IMG, idxBytes([6, 3, 3], pixels(6), 0x00000903));
  throwsWith(
    () => loadDataSource(`mnist:${dir}`),
    [path.join(dir, IMG), 'magic number 0x00000903', 'expected 0x00000803'],
  );
  const dir2 = brokenSet('magic2', IMG, Buffer.from('<html>not found</html>'));
  throwsWith(() => loadDataSource(`mnist:${dir2}`), [path.join(dir2, IMG), 'not an IDX unsigned-byte file']);
});

test('broken IDX: wrong number of dimensions', () => {
  const dir = brokenSet('dims', IMG, idxBytes([6, 9], pixels(6)));
  throwsWith(() => loadDataSource(`fashion-mnist:${dir}`), [path.join(dir, IMG), '2 dimensions', 'expected 3']);
  const dir2 = brokenSet('dims-lbl', LBL, idxBytes([6, 1], new Uint8Array(6)));
  throwsWith(() => loadDataSource(`fashion-mnist:${dir2}`), [path.join(dir2, LBL), '2 dimensions', 'expected 1']);
});

test('broken IDX: truncated data and truncated header', () => {
  const full = idxBytes([6, 3, 3], pixels(6));
  const dir = brokenSet('trunc', IMG, full.subarray(0, full.length - 5));
  throwsWith(() => loadDataSource(`mnist:${dir}`), [path.join(dir, IMG), 'truncated', '6x3x3 = 54 bytes', 'holds 49']);
  const dir2 = brokenSet('trunc-head', IMG, full.subarray(0, 10));
  throwsWith(() => loadDataSource(`mnist:${dir2}`), [path.join(dir2, IMG), 'truncated header']);
  const dir3 = brokenSet('trunc-tiny', IMG, Buffer.from([0, 0]));
  throwsWith(() => loadDataSource(`mnist:${dir3}`), [path.join(dir3, IMG), 'too short for an IDX header']);
});

test('broken IDX: truncated gzip names the file and says the download may be truncated', () => {
  const gz = zlib.gzipSync(idxBytes([6, 3, 3], pixels(6)));
  const dir = brokenSet('gz', IMG, null, true);
  const file = path.join(dir, `${IMG}.gz`);
  fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
  throwsWith(() => loadDataSource(`fashion-mnist:${dir}`), [file, 'corrupt gzip', 'truncated']);
});

test('broken IDX: label count differs from image count', () => {
  const dir = brokenSet('count', LBL, idxBytes([5], [0, 1, 2, 3, 4]));
  throwsWith(
    () => loadDataSource(`mnist:${dir}`),
    [path.join(dir, LBL), 'holds 5 labels', path.join(dir, IMG), '6 images'],
  );
});

test('broken IDX: a label above 9', () => {
  const dir = brokenSet('label', LBL, idxBytes([6], [0, 1, 2, 12, 4, 5]));
  throwsWith(() => loadDataSource(`mnist:${dir}`), [path.join(dir, LBL), 'label 12 at index 3', 'not a class 0..9']);
});

test('broken IDX: a missing file names it, the directory, and what is expected there', () => {
  const fx = writeIdxSet('idx-missing', { nTrain: 6, nTest: 4 });
  fs.rmSync(path.join(fx.dir, 't10k-labels-idx1-ubyte'));
  throwsWith(
    () => loadDataSource(`mnist:${fx.dir}`),
    ['mnist', 't10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz', fx.dir, 'Expected the four IDX files'],
  );
  const nowhere = path.join(fx.dir, 'no-such-dir');
  throwsWith(() => loadDataSource(`fashion-mnist:${nowhere}`), ['fashion-mnist', 'train-images-idx3-ubyte', nowhere]);
});

test('readIdx of an unreadable path names it', () => {
  const dir = tempDir('idx-unreadable');
  throwsWith(() => readIdx(path.join(dir, 'nope'), 1), [path.join(dir, 'nope'), 'cannot read', 'ENOENT']);
  throwsWith(() => readIdx(dir, 1), [dir, 'cannot read', 'EISDIR']);
});

test('unknown data set names list the valid forms', () => {
  throwsWith(
    () => loadDataSource('imagenet'),
    ["unknown data set 'imagenet'", 'fashion-mnist[:DIR]', 'cifar10:DIR', 'synthetic[:SEED]'],
  );
});
