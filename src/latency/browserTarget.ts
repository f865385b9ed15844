// onnxruntime-web inside headless Chromium as a latency target (browser-wasm: WebAssembly SIMD;
// browser-webgpu: WebGPU, only where the browser offers an adapter). Each op or network is
// exported to ONNX as for ort-cpu, served with the page and onnxruntime-web's files from an HTTP
// server on loopback, and timed in the page (browserPage.ts); an op by the op timing
// (opTiming.ts: K copies, less the call's cost), a network as one call; the shared protocol pools
// and summarizes the samples. Chromium is Debian's (/usr/bin/chromium, or TSNAS_CHROMIUM), driven by
// playwright-core. The browser's own processes are not this one: their preemptions cannot be
// seen, so nothing is discarded; rounds and medians are what keeps other load out.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_OPSET } from '../export/onnxGraph';
import { browserPageHtml } from './browserPage';
import { machineInfo } from './machine';
import { exportSubject, subjectKey } from './onnxSubject';
import { cannotRun } from './ortCpuTarget';
import { checkOpTiming, DEFAULT_OP_TIMING, opTimingSettings, type OpTiming } from './opTiming';
import { DEFAULT_WARMUP_MS, perCopySamples, summarize } from './timing';
import type { LatencyTarget, Measurable, MeasureOptions, TargetInfo, Timing } from './target';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const BROWSER_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

export interface BrowserTargetOptions {
  backend: 'wasm' | 'webgpu';
  threads?: number;
  hostname?: boolean;
  opset?: number;
  /** The Chromium binary (default: TSNAS_CHROMIUM, else /usr/bin/chromium). */
  executablePath?: string;
  /** How each op is timed (default DEFAULT_OP_TIMING). */
  opTiming?: OpTiming;
}

/** What the page says of its WebGPU adapter (GPUAdapterInfo). */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A fallback adapter: software, with no GPU under it. */
  fallback: boolean;
}

/** The adapter in one line ('nvidia ampere (NVIDIA A100)'). */
export const adapterText = (a: WebGpuAdapterInfo): string =>
  [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') + (a.description ? ` (${a.description})` : '');

/**
 * Why a WebGPU adapter is no GPU to time on, or null when it is one: none at all, or a software
 * fallback (Chromium offers SwiftShader, a CPU rasterizer, where it finds no GPU: timing on it
 * writes a table of CPU times under a GPU target's name).
 */
export function noGpuAdapter(a: WebGpuAdapterInfo | null): string | null {
  if (!a) return 'it has none';
  if (a.fallback || /swiftshader/i.test(`${a.architecture} ${a.device} ${a.description}`))
    return `its only adapter is a software fallback (${adapterText(a) || 'unnamed'}), no GPU`;
  return null;
}

/** The page's key of an op's call baseline. */
const baselineKey = (key: string) => `${key}#call`;

/** onnxruntime-web's dist folder (the files the page loads). */
function ortWebDist(): string {
  let main: string;
  try {
    main = require.resolve('onnxruntime-web');
  } catch (e) {
    throw new Error(
      `onnxruntime-web is not installed: install it with the README's set-up (npm run setup), or alone: npm install onnxruntime-web`,
      { cause: e },
    );
  }
  return path.dirname(main);
}

function ortWebVersion(dist: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

export class BrowserTarget implements LatencyTarget {
  info!: TargetInfo;
  /** Subjects loaded in the page: their copies and whether a baseline is loaded beside them. */
  readonly #loaded = new Map<string, { copies: number; baseline: boolean }>();
  #closed = false;

  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly server: http.Server,
    readonly backend: 'wasm' | 'webgpu',
    readonly threads: number,
    readonly opset: number,
    readonly opTiming: OpTiming,
  ) {}

  static async create(o: BrowserTargetOptions): Promise<BrowserTarget> {
    const threads = o.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`threads must be a positive integer, got ${threads}`);
    const name = `browser-${o.backend}`;
    const dist = ortWebDist();
    const executablePath = o.executablePath ?? process.env.TSNAS_CHROMIUM ?? DEFAULT_CHROMIUM;
    if (!fs.existsSync(executablePath))
      throw new Error(
        `target ${name} needs Chromium, and there is none at ${executablePath}: install Debian's (apt-get install chromium), or name another binary with TSNAS_CHROMIUM=/path/to/chromium`,
      );
    let playwright: typeof import('playwright-core');
    try {
      playwright = await import('playwright-core');
    } catch (e) {
      throw new Error(
        `target ${name} needs playwright-core, which is not installed: npm run setup (or npm install playwright-core)`,
        {
          cause: e,
        },
      );
    }
    const models = new Map<string, Uint8Array>();
    const server = await serve(dist, browserPageHtml({ backend: o.backend, threads }), models);
    const port = (server.address() as AddressInfo).port;
    let browser: Browser;
    try {
      browser = await playwright.chromium.launch({
        executablePath,
        args: [...BROWSER_ARGS, ...(o.backend === 'webgpu' ? WEBGPU_ARGS : ['--disable-gpu'])],
        timeout: 60_000,
      });
    } catch (e) {
      server.close();
      throw new Error(
        `target ${name}: the browser failed to start (${executablePath}): ${(e as Error).message.split('\n')[0]}. ` +
          'Check that it runs (chromium --headless=new --no-sandbox --dump-dom about:blank), or name another with TSNAS_CHROMIUM',
        { cause: e },
      );
    }
    const target = new BrowserTarget(
      browser,
      await browser.newPage(),
      server,
      o.backend,
      threads,
      o.opset ?? DEFAULT_OPSET,
      checkOpTiming(o.opTiming ?? DEFAULT_OP_TIMING),
    );
    target.#adoptModels(models);
    try {
      await target.page.goto(`http://127.0.0.1:${port}/`);
      await target.page.waitForFunction(
        () => (globalThis as unknown as { tsnasReady?: boolean }).tsnasReady === true,
        null,
        {
          timeout: 60_000,
        },
      );
      const info = (await target.page.evaluate('window.tsnasInfo()')) as {
        version: string;
        userAgent: string;
        crossOriginIsolated: boolean;
        webgpu: boolean;
        adapter: WebGpuAdapterInfo | null;
      };
      if (o.backend === 'webgpu') {
        const why = noGpuAdapter(info.webgpu ? info.adapter : null);
        if (why)
          throw new Error(
            `target browser-webgpu: this browser offers no WebGPU adapter on a GPU: ${why} (${executablePath}, headless); ` +
              'time on browser-wasm instead, or run where Chromium has a GPU',
          );
      }
      if (threads > 1 && !info.crossOriginIsolated)
        throw new Error(
          `target ${name}: the page is not cross-origin isolated, so onnxruntime-web cannot use ${threads} threads`,
        );
      const chrome = /Chrome\/([0-9.]+)/.exec(info.userAgent)?.[1] ?? 'unknown';
      target.info = {
        name,
        runtime: 'onnxruntime-web',
        version: `${info.version === 'unknown' ? ortWebVersion(dist) : info.version} (Chromium ${chrome})`,
        threads,
        batch: 1,
        settings: {
          executionProvider: o.backend,
          browser: `Chromium ${chrome} headless`,
          graphOptimizationLevel: 'all',
          dtype: 'float32',
          bnFolded: true,
          opset: target.opset,
          ...(o.backend === 'webgpu' && info.adapter ? { adapter: adapterText(info.adapter) } : {}),
          ...opTimingSettings(target.opTiming),
          clock: 'performance.now() in the page (cross-origin isolated)',
        },
        machine: machineInfo({ hostname: o.hostname ?? true }),
      };
    } catch (e) {
      await target.closeAsync();
      throw e;
    }
    return target;
  }

  #modelsRef: Map<string, Uint8Array> | null = null;
  #adoptModels(m: Map<string, Uint8Array>): void {
    this.#modelsRef = m;
  }

  async measure(subject: Measurable, _input: readonly number[], o: MeasureOptions): Promise<Timing> {
    if (!Number.isInteger(o.repeats) || o.repeats < 1)
      throw new Error(`repeats must be a positive integer, got ${o.repeats}`);
    const key = subjectKey(subject);
    let what = subject.kind === 'op' ? `op ${key}` : 'a whole network';
    let loaded = this.#loaded.get(key);
    if (!loaded) {
      const model = exportSubject(subject, { opset: this.opset, timing: this.opTiming });
      what = model.what;
      const keys: [string, Uint8Array][] = [[key, model.bytes]];
      if (model.baseline) keys.push([baselineKey(key), model.baseline]);
      for (const [k, bytes] of keys) this.#modelsRef!.set(k, bytes);
      try {
        for (const [k] of keys)
          await this.page.evaluate(
            ([k, shape]) =>
              (globalThis as unknown as { tsnasLoad: (k: string, s: number[]) => Promise<void> }).tsnasLoad(k, shape),
            [k, model.inputShape] as [string, number[]],
          );
      } catch (e) {
        throw cannotRun(this.info, what, e);
      } finally {
        for (const [k] of keys) this.#modelsRef!.delete(k); // the page holds the sessions now
      }
      loaded = { copies: subject.kind === 'op' ? model.copies : 1, baseline: !!model.baseline };
      this.#loaded.set(key, loaded);
    }
    let timed: { runs: number[]; bases: number[] | null };
    try {
      timed = await this.page.evaluate(
        ([k, w, wms, r, b]) =>
          (
            globalThis as unknown as {
              tsnasTime: (
                k: string,
                w: number,
                wms: number,
                r: number,
                b: string | null,
              ) => Promise<{ runs: number[]; bases: number[] | null }>;
            }
          ).tsnasTime(k, w, wms, r, b),
        [key, o.warmup, o.warmupMs ?? DEFAULT_WARMUP_MS, o.repeats, loaded.baseline ? baselineKey(key) : null] as [
          string,
          number,
          number,
          number,
          string | null,
        ],
      );
    } catch (e) {
      throw cannotRun(this.info, what, e);
    }
    const samples = perCopySamples(timed.runs, timed.bases, loaded.copies);
    return { ...summarize(samples), discarded: 0 };
  }

  async closeAsync(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.browser.close();
    } finally {
      this.server.close();
    }
  }

  close(): Promise<void> {
    return this.closeAsync();
  }
}

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

/** The HTTP server on loopback: the page, onnxruntime-web's files, and the models by key. */
function serve(dist: string, page: string, models: Map<string, Uint8Array>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    // Cross-origin isolation: high-resolution performance.now() and SharedArrayBuffer (wasm threads).
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (url === '/') {
      res.setHeader('Content-Type', 'text/html');
      res.end(page);
    } else if (url.startsWith('/model/') && models.has(url.slice(7))) {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(Buffer.from(models.get(url.slice(7))!));
    } else if (
      url.startsWith('/ort/') &&
      /^[A-Za-z0-9._-]+$/.test(url.slice(5)) &&
      fs.existsSync(path.join(dist, url.slice(5)))
    ) {
      res.setHeader('Content-Type', TYPES[path.extname(url)] ?? 'application/octet-stream');
      fs.createReadStream(path.join(dist, url.slice(5))).pipe(res);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
