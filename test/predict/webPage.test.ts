// The network in a page (issue 24, item 5): tsnas export --web DIR writes a static page with the
// model and onnxruntime-web's files; served from DIR on loopback to Debian's Chromium (driven by
// playwright-core, as the browser latency target does), the images chosen on it get the same
// classes as tsnas predict gives for the same model, and the page shows a time per image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { DEFAULT_CHROMIUM } from '../../src/latency/browserTarget';
import { ORT_WEB_FILES, openPredictor, predictImages } from '../../src/predict';
import { tempDir } from '../data/fixtures';
import { tsnasInProcess } from '../helpers/tsnasCli';
import { noLeaks } from '../helpers/leakCheck';
import { SMALL_ARCH, trainTinyRun, writeTestPngs } from './fixtures';
import { serveDir } from '../helpers/staticServer';

interface PageResult {
  image: string;
  top?: { index: number; className: string; probability: number }[];
  modelMs?: number;
  error?: string;
}

test(
  "export --web: the page classifies chosen images in Chromium as tsnas predict does, with the model's classes and a time per image",
  noLeaks(async () => {
    const dir = tempDir('web-page');
    const run = path.join(dir, 'run');
    await trainTinyRun(run);
    const web = path.join(dir, 'web');
    const out = await tsnasInProcess(['export', '--checkpoint', run, '--web', web, '--json']);
    assert.equal(out.code, 0, out.stderr);
    const written = JSON.parse(/\{"file":.*\}(?=\n)/.exec(out.stdout)![0]);
    assert.equal(written.file, null);
    assert.deepEqual(
      [...written.web.files].sort(),
      ['index.html', 'model.onnx', 'tsnas-page.js', ...ORT_WEB_FILES].sort(),
    );
    const html = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /https?:\/\//, 'the page names nothing outside its folder');
    assert.doesNotMatch(fs.readFileSync(path.join(web, 'tsnas-page.js'), 'utf8'), /https?:\/\//);

    const images = await writeTestPngs(path.join(dir, 'images'), 5);
    const predictor = await openPredictor(path.join(web, 'model.onnx'));
    const expected = await (async () => {
      try {
        return await predictImages(predictor, images, { top: 5 });
      } finally {
        await predictor.close();
      }
    })();

    const asked: string[] = [];
    const server = await serveDir(web, asked);
    const browser = await chromium.launch({
      executablePath: process.env.TSNAS_CHROMIUM ?? DEFAULT_CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      timeout: 60_000,
    });
    try {
      const page = await browser.newPage();
      // Nothing may come from outside the folder's server (blob: URLs are the chosen images' thumbnails).
      const outside: string[] = [];
      page.on('request', (r) => {
        if (
          !r.url().startsWith('blob:') &&
          !r.url().startsWith(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
        )
          outside.push(r.url());
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(
        () => {
          const w = globalThis as unknown as { tsnasReady?: boolean; tsnasError?: string };
          return w.tsnasReady === true || w.tsnasError !== undefined;
        },
        null,
        { timeout: 60_000 },
      );
      assert.equal(await page.evaluate('window.tsnasError'), undefined, errors.join('\n'));
      assert.match((await page.textContent('#status')) ?? '', /10 classes, input grey 16x16 \(crop\)/);
      assert.equal(((await page.textContent('#note')) ?? '').trim(), '', 'no assumed preprocessing');
      await page.setInputFiles('#file', images);
      await page.waitForFunction(
        (n) => (globalThis as unknown as { tsnasResults: unknown[] }).tsnasResults.length >= n,
        images.length,
        {
          timeout: 60_000,
        },
      );
      const results = (await page.evaluate('window.tsnasResults')) as PageResult[];
      assert.equal(results.length, images.length);
      results.forEach((r, i) => {
        assert.equal(r.error, undefined, `${r.image}: ${r.error}`);
        assert.equal(r.image, path.basename(images[i]!));
        assert.deepEqual(
          r.top!.map((t) => t.className),
          expected[i]!.top.map((t) => t.className),
          `${r.image}: the page's classes, in order, are tsnas predict's`,
        );
        r.top!.forEach((t, k) =>
          assert.ok(
            Math.abs(t.probability - expected[i]!.top[k]!.probability) <= 1e-4,
            `${r.image} ${t.className}: ${t.probability} in the page, ${expected[i]!.top[k]!.probability} by tsnas predict`,
          ),
        );
        assert.ok(Number.isFinite(r.modelMs) && r.modelMs! >= 0);
      });
      const shown = await page.textContent('#results');
      assert.match(shown ?? '', /model \d+\.\d ms/, 'the page shows the time per image');
      assert.deepEqual(outside, []);
      assert.deepEqual(errors, []);
      assert.ok(asked.includes('/model.onnx') && asked.includes('/ort-wasm-simd-threaded.wasm'), asked.join(' '));

      // A model without a description (an untrained export): the page assumes it, says so, and
      // still answers as tsnas predict does.
      const bare = path.join(dir, 'bare');
      const o2 = await tsnasInProcess([
        'export',
        'fbnet-s',
        SMALL_ARCH,
        '--input',
        '1x16x16',
        '--classes',
        '4',
        '--web',
        bare,
      ]);
      assert.equal(o2.code, 0, o2.stderr);
      assert.match(o2.stdout, /the model carries no class names or normalisation/);
      const p2 = await openPredictor(path.join(bare, 'model.onnx'));
      const want = await predictImages(p2, images.slice(0, 2), { top: 4 }).finally(() => p2.close());
      const server2 = await serveDir(bare, []);
      try {
        await page.goto(`http://127.0.0.1:${(server2.address() as AddressInfo).port}/`);
        await page.waitForFunction(
          () => (globalThis as unknown as { tsnasReady?: boolean }).tsnasReady === true,
          null,
          {
            timeout: 60_000,
          },
        );
        assert.match(
          (await page.textContent('#note')) ?? '',
          /does not describe its preprocessing .*assumed mean 0\.5/,
        );
        await page.setInputFiles('#file', images.slice(0, 2));
        await page.waitForFunction(
          () => (globalThis as unknown as { tsnasResults: unknown[] }).tsnasResults.length >= 2,
          null,
          {
            timeout: 60_000,
          },
        );
        const got = (await page.evaluate('window.tsnasResults')) as PageResult[];
        assert.deepEqual(
          got.map((r) => r.top!.slice(0, 4).map((t) => t.className)),
          want.map((p) => p.top.map((t) => t.className)),
        );
      } finally {
        server2.close();
      }
    } finally {
      await browser.close();
      server.close();
    }
  }),
);
