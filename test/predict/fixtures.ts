// Fixtures of the prediction tests: a tiny trained run (a small fbnet-s architecture, one epoch on
// synthetic:2, as `tsnas train fbnet-s SMALL_ARCH --data synthetic:2 --epochs 2 --batch-size 32 --limit-train 600`
// writes it) and test images of that data set written as PNG files with sharp (nothing binary is
// committed), at the network's input size or another.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadSpace } from '../../src/space/registry';
import { parseArch } from '../../src/space/archFormat';
import { loadRecipe } from '../../src/train/recipe';
import { loadDataSource } from '../../src/data/dataSource';
import { imageBytes } from '../../src/data/imageSet';

export const SMALL_ARCH = 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip';
export const DATA = 'synthetic:2';

/** Trains the tiny run into dir; returns the trainer's result. */
export async function trainTinyRun(dir: string) {
  const space = loadSpace('fbnet-s');
  const { trainArchitecture } = await import('../../src/train/trainArchitecture');
  const r = trainArchitecture({
    space,
    spaceRef: 'fbnet-s',
    arch: parseArch(space, SMALL_ARCH),
    recipe: loadRecipe(undefined, { epochs: 2, batchSize: 32 }),
    data: loadDataSource(DATA),
    limitTrain: 600,
    checkpointDir: dir,
  });
  assert.equal(r.status, 'complete', r.error);
  return r;
}

/**
 * Writes test images i = 0..n-1 of synthetic:2 (1x16x16 grey) as PNG files under dir; `scale`
 * writes them that many times larger (nearest neighbour), so that decoding resizes them.
 */
export async function writeTestPngs(dir: string, n: number, scale = 1): Promise<string[]> {
  const set = loadDataSource(DATA).test;
  const per = imageBytes(set);
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `test-${i}${scale === 1 ? '' : `-x${scale}`}.png`);
    const px = Buffer.from(set.images.subarray(i * per, (i + 1) * per));
    let img = sharp(px, { raw: { width: set.width, height: set.height, channels: 1 } });
    if (scale !== 1) img = img.resize({ width: set.width * scale, height: set.height * scale, kernel: 'nearest' });
    await img.toColourspace('b-w').png().toFile(file);
    files.push(file);
  }
  return files;
}
