// The exported web page's time per image against the browser-wasm latency table (issue 24,
// evidence): the page that `tsnas export --web DIR` wrote, served on 127.0.0.1 to Debian's
// Chromium (playwright-core), classifies image files chosen on it one at a time; its own "model"
// time per image (ort.Tensor + session.run, as it shows it) and its "image to input" time are
// collected. In the same page (the same Chromium session and onnxruntime-web module), a second
// reference: the model timed as the browser-wasm target times a whole network (one input made
// once, back-to-back session.run calls after warm-up), at batch 1 and at a batch of `--batch`
// images. Beside them the table's prediction for the network (overheadUs + its ops' entries).
//
//   node dist/bench/webPageLatency.js --web DIR --images DIR --lut TABLE.json --arch ARCH
//        [--space fbnet-s] [--count 60] [--repeats 200] [--batch 32]
//
// The page is served cross-origin isolated (COOP/COEP headers, as the latency target's server
// does), so performance.now() has 5 us resolution, not 100 us; the page sets 1 wasm thread.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { arg, num } from './args';
import { DEFAULT_CHROMIUM } from '../src/latency/browserTarget';
import { predictLatencyBreakdown, readLatencyTable } from '../src/latency/latencyTable';
import { resolveArchitecture } from '../src/space/registry';
import { upperMedian } from '../src/stats';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

function serve(dir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]!).slice(1) || 'index.html';
    const file = path.join(dir, rel);
    if (rel.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** `count` image files under dir, taken round-robin over its subfolders (classes). */
function pickImages(dir: string, count: number): string[] {
  const classes = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(dir, d.name))
    .sort();
  const lists = classes.map((c) =>
    fs
      .readdirSync(c)
      .filter((f) => /\.(png|jpe?g|webp)$/i.test(f))
      .sort()
      .map((f) => path.join(c, f)),
  );
  const out: string[] = [];
  for (let k = 0; out.length < count && lists.some((l) => k < l.length); k++)
    for (const l of lists) if (k < l.length && out.length < count) out.push(l[k]!);
  return out;
}

/** Runs in the page: the page's model in a session of its own, timed as the browser-wasm target times a network. */
const SAME_SESSION = `async ({ shape, repeats, batch }) => {
  const ort = await import(new URL('./ort.wasm.bundle.min.mjs', location.href).href);
  ort.env.wasm.numThreads = 1;
  const bytes = new Uint8Array(await (await fetch('./model.onnx')).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = (b) => {
    const n = b * shape[0] * shape[1] * shape[2];
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
    return { [session.inputNames[0]]: new ort.Tensor('float32', data, [b, ...shape]) };
  };
  const time = async (b, n) => {
    const f = feeds(b);
    const until = performance.now() + 500;
    for (let i = 0; i < 10 || performance.now() < until; i++) await session.run(f);
    const us = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await session.run(f);
      us.push((performance.now() - t0) * 1000);
    }
    return us;
  };
  const single = await time(1, repeats);
  let batched = null;
  try {
    batched = await time(batch, Math.max(10, Math.round(repeats / 10)));
  } catch {
    batched = null; // a model exported with a fixed batch of 1
  }
  await session.release();
  return { single, batched, isolated: self.crossOriginIsolated, version: ort.env.versions?.web ?? '' };
}`;

const quartiles = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p25: q(0.25), median: upperMedian(v), p75: q(0.75) };
};

async function main(): Promise<void> {
  const web = path.resolve(arg('web'));
  const images = pickImages(path.resolve(arg('images')), num('count', 60));
  const repeats = num('repeats', 200);
  const batch = num('batch', 32);
  const table = readLatencyTable(arg('lut'));
  const { space, arch, name } = resolveArchitecture(arg('arch'), arg('space', 'fbnet-s'));
  const predicted = predictLatencyBreakdown(table, space, arch);
  if (!table.input)
    throw new Error(`${arg('lut')}: the table records no input shape; build it with one (lut build --input CxHxW)`);
  const [c, h, w] = table.input;

  const server = await serve(web);
  const browser = await chromium.launch({
    executablePath: process.env.TSNAS_CHROMIUM ?? DEFAULT_CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    timeout: 60_000,
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await page.goto(url);
    await page.waitForFunction(
      () => {
        const g = globalThis as unknown as { tsnasReady?: boolean; tsnasError?: string };
        return g.tsnasReady === true || g.tsnasError !== undefined;
      },
      null,
      { timeout: 120_000 },
    );
    const loadError = await page.evaluate('window.tsnasError');
    if (loadError) throw new Error(`the page did not load its model: ${String(loadError)}`);
    const status = await page.textContent('#status');
    await page.setInputFiles('#file', images);
    await page.waitForFunction(
      (n) => (globalThis as unknown as { tsnasResults: unknown[] }).tsnasResults.length >= n,
      images.length,
      { timeout: 600_000 },
    );
    const results = (await page.evaluate('window.tsnasResults')) as Array<{
      image: string;
      modelMs?: number;
      preprocessMs?: number;
      error?: string;
    }>;
    const failed = results.filter((r) => r.error);
    if (failed.length) throw new Error(`the page could not classify ${failed[0]!.image}: ${failed[0]!.error}`);
    // The first images pay the session's first runs (wasm warm-up): left out, as the target's warm-up.
    const warm = results.slice(5);
    const pageModel = quartiles(warm.map((r) => r.modelMs! * 1000));
    const pagePre = quartiles(warm.map((r) => r.preprocessMs! * 1000));
    const firstModelUs = results[0]!.modelMs! * 1000;

    // A string, not a function: TypeScript would compile the dynamic import to a require.
    const ref = (await page.evaluate(`(${SAME_SESSION})(${JSON.stringify({ shape: [c, h, w], repeats, batch })})`)) as {
      single: number[];
      batched: number[] | null;
      isolated: boolean;
      version: string;
    };
    const single = quartiles(ref.single);
    const perImageInBatch = ref.batched ? upperMedian(ref.batched) / batch : null;
    const sumOps = predicted.totalUs - predicted.overheadUs;
    const row = {
      network: name ?? arg('arch'),
      input: table.input.join('x'),
      page: status?.trim(),
      chromium: browser.version(),
      onnxruntimeWeb: ref.version,
      crossOriginIsolated: ref.isolated,
      images: results.length,
      pageModelUs: pageModel,
      pageFirstImageModelUs: firstModelUs,
      pagePreprocessUs: pagePre,
      sameSessionBatch1Us: single,
      sameSessionPerImageAtBatch: perImageInBatch === null ? null : { batch, us: perImageInBatch },
      table: {
        file: arg('lut'),
        target: table.target.name,
        threads: table.target.threads,
        predictedUs: predicted.totalUs,
        overheadUs: predicted.overheadUs,
        sumOfOpsUs: sumOps,
      },
      ratios: {
        pageOverTable: pageModel.median / predicted.totalUs,
        pageOverSameSession: pageModel.median / single.median,
        sameSessionOverTable: single.median / predicted.totalUs,
        sameSessionOverSumOfOps: single.median / sumOps,
      },
      errors,
    };
    console.log(JSON.stringify(row, null, 1));
  } finally {
    await browser.close();
    server.close();
  }
}

void main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
