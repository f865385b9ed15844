// The web page's own preprocessing on an image of another size and kind (issue 24, items 1 and 5):
// a 57x41 colour PNG given to the exported page of a 28x28 grey model is cut (the shorter side to
// the input, the centre kept) and resized on a canvas and made grey in the page; tsnas predict does
// the same with sharp (libvips). The model is trained here on a folder of grey images of three
// brightness classes, so that its answer depends on what the preprocessing must get right: the
// grey of a colour (luminance in linear light, not the mean of red, green and blue) and the centre
// cut (the coloured bands at the sides are left out, not squashed in). The canvas and libvips
// resample with other kernels, so the inputs differ by a few grey levels; the class must not, and
// every class's probability must stay within 0.05.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { loadDataSource } from '../../src/data/dataSource';
import { DEFAULT_CHROMIUM } from '../../src/latency/browserTarget';
import { openPredictor, predictImages } from '../../src/predict';
import { Rng } from '../../src/random/rng';
import { defaultArch } from '../../src/space/archFormat';
import { spaceFromText } from '../../src/space/loadSpace';
import { loadRecipe } from '../../src/train/recipe';
import { trainArchitecture } from '../../src/train/trainArchitecture';
import { tempDir } from '../data/fixtures';
import { noLeaks } from '../helpers/leakCheck';
import { serveDir, serverUrl } from '../helpers/staticServer';
import { tsnasInProcess } from '../helpers/tsnasCli';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';

const W = 57;
const H = 41;
type Rgb = [number, number, number];

/** Grey PNGs of one brightness class: `level` with per-pixel noise, 20-31 pixels wide. */
async function writeGreyClass(dir: string, level: number, n: number, rng: Rng): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const [w, h] = [20 + (i % 12), 20 + (i % 5)];
    const px = Buffer.alloc(w * h);
    for (let k = 0; k < px.length; k++) px[k] = Math.max(0, Math.min(255, level + rng.int(31) - 15));
    await sharp(px, { raw: { width: w, height: h, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(path.join(dir, `${i}.png`));
  }
}

/** A 57x41 colour PNG: a 41x41 centre of one colour (with a little texture), 8-pixel bands of another at the sides. */
async function writeColourImage(file: string, centre: Rgb, sides: Rgb, rng: Rng): Promise<void> {
  const rgb = Buffer.alloc(W * H * 3);
  const side = (W - H) / 2;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const inside = x >= side && x < side + H;
      const c = inside ? centre.map((v) => Math.max(0, Math.min(255, v + rng.int(11) - 5))) : sides;
      rgb.set(c, 3 * (y * W + x));
    }
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(file);
}

interface PageResult {
  image: string;
  top?: { className: string; probability: number }[];
  error?: string;
}

test(
  'export --web: 57x41 colour images get the same classes in the page as from tsnas predict for a 28x28 grey model',
  noLeaks(async () => {
    const dir = tempDir('web-resize');
    process.env.TSNAS_CACHE_DIR = path.join(dir, 'cache');
    const rng = new Rng(7);
    const photos = path.join(dir, 'photos');
    for (const [name, level] of [
      ['dark', 40],
      ['mid', 128],
      ['light', 215],
    ] as const)
      await writeGreyClass(path.join(photos, name), level, 24, rng);
    const space = spaceFromText(TINY_SPACE_YAML.replace('input: 1x16x16', 'input: 1x28x28'), 'tiny-28.yaml');
    const spaceFile = path.join(dir, 'tiny-28.yaml');
    fs.writeFileSync(spaceFile, TINY_SPACE_YAML.replace('input: 1x16x16', 'input: 1x28x28'));
    const run = path.join(dir, 'run');
    const trained = trainArchitecture({
      space,
      spaceRef: spaceFile,
      arch: defaultArch(space),
      recipe: loadRecipe(undefined, {
        epochs: 6,
        batchSize: 8,
        lr: 0.05,
        crop: 'none',
        flip: false,
        valFraction: 0.25,
      }),
      data: loadDataSource(`images:${photos}`, { input: [1, 28, 28] }),
      checkpointDir: run,
      threads: 1,
    });
    assert.equal(trained.status, 'complete', trained.error);
    const web = path.join(dir, 'web');
    const out = await tsnasInProcess(['export', '--checkpoint', run, '--web', web]);
    assert.equal(out.code, 0, out.stderr);

    // Luminance in linear light makes the deep blue 41 (dark), the yellow 210 (light: the mean of
    // its channels, 157, would be mid) and the grey-brown 126 (mid). The side bands are the
    // opposite extreme, so a squash instead of the centre cut would pull the grey towards them.
    const cases: Array<[string, Rgb, Rgb]> = [
      ['blue', [10, 10, 140], [255, 255, 255]],
      ['yellow', [225, 215, 30], [0, 0, 0]],
      ['brown', [150, 120, 100], [255, 255, 255]],
      ['red', [200, 30, 30], [0, 0, 0]],
      ['green', [40, 170, 40], [255, 255, 255]],
      ['grey', [128, 128, 128], [0, 0, 0]],
    ];
    fs.mkdirSync(path.join(dir, 'images'));
    const images: string[] = [];
    for (const [name, centre, sides] of cases) {
      const file = path.join(dir, 'images', `${name}.png`);
      await writeColourImage(file, centre, sides, rng);
      images.push(file);
    }
    const meta = await sharp(images[0]!).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels, meta.space], [W, H, 3, 'srgb']);

    const predictor = await openPredictor(path.join(web, 'model.onnx'));
    const expected = await predictImages(predictor, images, { top: 3 }).finally(() => predictor.close());
    assert.deepEqual(predictor.description.input, { layout: 'NCHW', channels: 1, height: 28, width: 28 });
    assert.deepEqual(predictor.description.classNames, ['dark', 'light', 'mid']);
    // The model reads brightness: tsnas predict's own answers for the clear cases.
    assert.deepEqual(
      expected.slice(0, 3).map((p) => p.top[0]!.className),
      ['dark', 'light', 'mid'],
    );

    const server = await serveDir(web);
    const browser = await chromium.launch({
      executablePath: process.env.TSNAS_CHROMIUM ?? DEFAULT_CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      timeout: 60_000,
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(serverUrl(server));
      await page.waitForFunction(
        () => {
          const g = globalThis as unknown as { tsnasReady?: boolean; tsnasError?: string };
          return g.tsnasReady === true || g.tsnasError !== undefined;
        },
        null,
        { timeout: 60_000 },
      );
      assert.equal(await page.evaluate('window.tsnasError'), undefined, errors.join('\n'));
      await page.setInputFiles('#file', images);
      await page.waitForFunction(
        (n) => (globalThis as unknown as { tsnasResults: unknown[] }).tsnasResults.length >= n,
        images.length,
        { timeout: 60_000 },
      );
      const results = (await page.evaluate('window.tsnasResults')) as PageResult[];
      assert.deepEqual(errors, []);
      results.forEach((r, i) => {
        assert.equal(r.error, undefined, `${r.image}: ${r.error}`);
        assert.equal(r.image, path.basename(images[i]!));
        const want = expected[i]!.top;
        assert.equal(r.top![0]!.className, want[0]!.className, `${r.image}: the page's class is tsnas predict's`);
        // Every class's probability as tsnas predict's, by name: two runners-up at nearly the same
        // small probability may swap places, since the inputs differ by a few grey levels.
        const inPage = new Map(r.top!.map((t) => [t.className, t.probability]));
        for (const w of want) {
          const p = inPage.get(w.className);
          assert.ok(
            p !== undefined && Math.abs(p - w.probability) <= 0.05,
            `${r.image} ${w.className}: ${p} in the page, ${w.probability} by tsnas predict`,
          );
        }
      });
    } finally {
      await browser.close();
      server.close();
    }
  }),
);
