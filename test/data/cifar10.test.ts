// CIFAR-10's binary format from small fake batches written here: record layout, the C,H,W pixel
// layout through the loader, and clear errors for malformed or missing files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BatchLoader, disposeBatch, loadDataSource } from '../../src/data';
import { CIFAR_RECORD, cifarPixel, cifarRecords, noLeaks, throwsWith, writeCifarSet } from './fixtures';

test('cifar10:DIR reads five training batches and the test batch in order', () => {
  const dir = writeCifarSet('cifar-ok', 3, 4);
  const ds = loadDataSource(`cifar10:${dir}`);
  assert.equal(ds.kind, 'cifar10');
  assert.equal(ds.flipByDefault, true);
  assert.equal(ds.classNames.length, 10);
  assert.deepEqual([ds.train.count, ds.test.count], [15, 4]);
  for (const s of [ds.train, ds.test]) assert.deepEqual([s.channels, s.height, s.width, s.classes], [3, 32, 32, 10]);
  assert.deepEqual(
    Array.from(ds.train.labels),
    Array.from({ length: 15 }, (_, r) => r % 10),
  );
  assert.deepEqual(
    Array.from(ds.test.labels),
    Array.from({ length: 4 }, (_, k) => (1000 + k) % 10),
  );
  // Image i, channel c, row y, column x sits at ((i * 3 + c) * 32 + y) * 32 + x: the first 1024
  // bytes of a record are the red plane, row-major.
  for (const [s, first] of [
    [ds.train, 0],
    [ds.test, 1000],
  ] as const) {
    for (let i = 0; i < s.count; i++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            const got = s.images[((i * 3 + c) * 32 + y) * 32 + x];
            if (got !== cifarPixel(first + i, c, y, x))
              assert.fail(`${s.name}[${i}] c${c} y${y} x${x}: ${got}, expected ${cifarPixel(first + i, c, y, x)}`);
          }
        }
      }
    }
  }
  // Per-channel statistics over the training images.
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < 15; r++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const v = cifarPixel(r, c, y, x) / 255;
          sum += v;
          sq += v * v;
        }
    const n = 15 * 1024;
    assert.ok(Math.abs(ds.mean[c]! - sum / n) < 1e-9, `mean[${c}]`);
    assert.ok(Math.abs(ds.std[c]! - Math.sqrt(sq / n - (sum / n) ** 2)) < 1e-9, `std[${c}]`);
  }
});

test(
  'CIFAR-10 batches come out of the loader as [B, 3, 32, 32] with planes R, G, B',
  noLeaks(() => {
    const dir = writeCifarSet('cifar-loader', 2, 2);
    const ds = loadDataSource(`cifar10:${dir}`);
    const mean = [0.1, 0.2, 0.3];
    const std = [0.5, 0.25, 0.2];
    const loader = new BatchLoader(ds.train, Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), {
      batchSize: 10,
      shuffle: false,
      seed: 0,
      mean,
      std,
    });
    try {
      for (const b of loader.epoch(0)) {
        try {
          assert.deepEqual(b.x.shape, [10, 3, 32, 32]);
          const v = b.x.dataSync();
          for (let i = 0; i < 10; i++)
            for (let c = 0; c < 3; c++)
              for (let y = 0; y < 32; y += 7)
                for (let x = 0; x < 32; x += 5) {
                  const expected = (cifarPixel(i, c, y, x) / 255 - mean[c]!) / std[c]!;
                  const got = Number(v[((i * 3 + c) * 32 + y) * 32 + x]!);
                  if (Math.abs(got - expected) > 1e-5)
                    assert.fail(`x[${i}, ${c}, ${y}, ${x}] = ${got}, expected ${expected}`);
                }
          assert.deepEqual(
            Array.from(b.y.dataSync(), Number),
            Array.from({ length: 10 }, (_, r) => r % 10),
          );
        } finally {
          disposeBatch(b);
        }
      }
    } finally {
      loader.dispose();
    }
  }),
);

test('CIFAR-10: a file that is not a whole number of 3073-byte records', () => {
  const dir = writeCifarSet('cifar-size');
  const file = path.join(dir, 'data_batch_2.bin');
  fs.writeFileSync(file, Buffer.concat([cifarRecords(0, 2), Buffer.alloc(100)]));
  throwsWith(
    () => loadDataSource(`cifar10:${dir}`),
    [file, `${2 * CIFAR_RECORD + 100} bytes`, `${CIFAR_RECORD}-byte CIFAR-10 records`, 'truncated'],
  );
  const empty = path.join(dir, 'test_batch.bin');
  fs.writeFileSync(file, cifarRecords(0, 2));
  fs.writeFileSync(empty, Buffer.alloc(0));
  throwsWith(() => loadDataSource(`cifar10:${dir}`), [empty, '0 bytes']);
});

test('CIFAR-10: a label above 9 names the file and the record', () => {
  const dir = writeCifarSet('cifar-label');
  const file = path.join(dir, 'data_batch_4.bin');
  const buf = cifarRecords(0, 3);
  buf[CIFAR_RECORD] = 10;
  fs.writeFileSync(file, buf);
  throwsWith(() => loadDataSource(`cifar10:${dir}`), [file, 'record 1', 'label 10', 'not a class 0..9']);
});

test('CIFAR-10: a missing batch names it and the expected files', () => {
  const dir = writeCifarSet('cifar-missing');
  fs.rmSync(path.join(dir, 'data_batch_3.bin'));
  throwsWith(
    () => loadDataSource(`cifar10:${dir}`),
    ['data_batch_3.bin', dir, 'data_batch_1.bin .. data_batch_5.bin, test_batch.bin'],
  );
  const dir2 = writeCifarSet('cifar-missing-test');
  fs.rmSync(path.join(dir2, 'test_batch.bin'));
  throwsWith(() => loadDataSource(`cifar10:${dir2}`), ['test_batch.bin', dir2]);
});

test("'cifar10' without a directory is an error that says a directory is needed", () => {
  throwsWith(() => loadDataSource('cifar10'), ['cifar10', 'directory']);
  throwsWith(() => loadDataSource('cifar10:'), ['cifar10', 'directory']);
});
