// Test fixtures for the data layer: temporary directories, IDX and CIFAR-10 files written at test
// time (nothing binary is committed), and a leak check on live native tensors.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { memory } from '../../src/engine/memory';

/** A fresh directory under os.tmpdir(); removed when the process exits. */
export function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsnas-${tag}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** IDX ubyte bytes: magic 0x000008NN (or `magic`), big-endian dims, then data. */
export function idxBytes(dims: number[], data: ArrayLike<number>, magic = 0x00000800 | dims.length): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic >>> 0, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Uint8Array.from(data))]);
}

export interface IdxFixture {
  dir: string;
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  h: number;
  w: number;
}

/**
 * Writes the four MNIST-style IDX files into a new temp dir: `nTrain`/`nTest` images of h x w with
 * known pixel values (pixel (i, y, x) = (3 i + 5 y + 7 x) mod 256) and labels i mod 10.
 */
export function writeIdxSet(
  tag: string,
  o: { nTrain?: number; nTest?: number; h?: number; w?: number; gzip?: boolean } = {},
): IdxFixture {
  const dir = tempDir(tag);
  const nTrain = o.nTrain ?? 12;
  const nTest = o.nTest ?? 7;
  const h = o.h ?? 5;
  const w = o.w ?? 4;
  const images = (n: number, salt: number) => {
    const a = new Uint8Array(n * h * w);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) a[(i * h + y) * w + x] = (3 * i + 5 * y + 7 * x + salt) % 256;
    return a;
  };
  const labels = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i + salt) % 10);
  const fx: IdxFixture = {
    dir,
    h,
    w,
    trainImages: images(nTrain, 0),
    trainLabels: labels(nTrain, 0),
    testImages: images(nTest, 100),
    testLabels: labels(nTest, 3),
  };
  const write = (name: string, bytes: Buffer) => {
    if (o.gzip) fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(bytes));
    else fs.writeFileSync(path.join(dir, name), bytes);
  };
  write('train-images-idx3-ubyte', idxBytes([nTrain, h, w], fx.trainImages));
  write('train-labels-idx1-ubyte', idxBytes([nTrain], fx.trainLabels));
  write('t10k-images-idx3-ubyte', idxBytes([nTest, h, w], fx.testImages));
  write('t10k-labels-idx1-ubyte', idxBytes([nTest], fx.testLabels));
  return fx;
}

export const CIFAR_RECORD = 1 + 3 * 32 * 32;

/** The pixel a fake CIFAR-10 record holds at channel c, row y, column x (record number r overall). */
export function cifarPixel(r: number, c: number, y: number, x: number): number {
  return (11 * r + 80 * c + 3 * y + x) % 256;
}

/** CIFAR-10 binary records for global record numbers `first`..`first + n - 1`, label r mod 10. */
export function cifarRecords(first: number, n: number): Buffer {
  const buf = Buffer.alloc(n * CIFAR_RECORD);
  for (let k = 0; k < n; k++) {
    const r = first + k;
    const off = k * CIFAR_RECORD;
    buf[off] = r % 10;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) buf[off + 1 + c * 1024 + y * 32 + x] = cifarPixel(r, c, y, x);
  }
  return buf;
}

/** data_batch_1..5.bin with `perBatch` records each (records 0..), test_batch.bin with `testCount` (records 1000..). */
export function writeCifarSet(tag: string, perBatch = 3, testCount = 4): string {
  const dir = tempDir(tag);
  for (let k = 1; k <= 5; k++)
    fs.writeFileSync(path.join(dir, `data_batch_${k}.bin`), cifarRecords((k - 1) * perBatch, perBatch));
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarRecords(1000, testCount));
  return dir;
}

/**
 * Wraps a test body so that it fails when it leaves native tensors alive. The check runs only
 * when the body succeeds, so its own failure is not masked.
 */
export function noLeaks<C = unknown>(fn: (t: C) => unknown): (t: C) => Promise<void> {
  return async (t: C) => {
    const before = memory().liveTensors;
    await fn(t);
    const after = memory().liveTensors;
    assert.equal(after, before, `tensor leak: ${before} live tensors before the test, ${after} after`);
  };
}

/** Asserts that fn throws an Error whose message contains every one of `parts`. */
export function throwsWith(fn: () => unknown, parts: string[], what = 'error'): string {
  let msg: string | null = null;
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw a non-Error ${String(e)}`);
    msg = e.message;
  }
  assert.ok(msg !== null, `${what}: expected an error, none was thrown`);
  for (const p of parts) assert.ok(msg.includes(p), `${what}: message should contain '${p}', got: ${msg}`);
  return msg;
}
