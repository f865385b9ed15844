// The page the browser targets load: onnxruntime-web (WebAssembly or WebGPU) imported from the
// local server, and two functions the target calls through playwright: load a model by key, and
// time its runs, alternating run by run with a second model's (an op's call baseline,
// opTiming.ts) when one is named. Runs are timed inside the page with performance.now() (5 us
// resolution in a cross-origin isolated page, which the server's headers make it), and the raw
// samples go back to the shared protocol (perCopySamples, summarize).
export function browserPageHtml(o: { backend: 'wasm' | 'webgpu'; threads: number }): string {
  const bundle = o.backend === 'wasm' ? 'ort.wasm.bundle.min.mjs' : 'ort.webgpu.bundle.min.mjs';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tsnas latency</title></head><body>
<script type="module">
import * as ort from '/ort/${bundle}';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = ${o.threads};
ort.env.wasm.proxy = false;
const backend = ${JSON.stringify(o.backend)};
const sessions = new Map();
window.tsnasInfo = async () => {
  const adapter = backend === 'webgpu' && navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  // What the adapter is: a software one (Chromium's SwiftShader fallback) is no GPU.
  const info = adapter ? (adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {})) : null;
  return {
    version: ort.env.versions?.web ?? 'unknown',
    userAgent: navigator.userAgent,
    crossOriginIsolated: self.crossOriginIsolated,
    webgpu: !!adapter,
    adapter: info
      ? {
          vendor: info.vendor ?? '',
          architecture: info.architecture ?? '',
          device: info.device ?? '',
          description: info.description ?? '',
          fallback: !!(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
        }
      : null,
  };
};
window.tsnasLoad = async (key, shape) => {
  if (sessions.has(key)) return;
  const bytes = new Uint8Array(await (await fetch('/model/' + encodeURIComponent(key))).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  sessions.set(key, { session, feeds: { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) } });
};
window.tsnasTime = async (key, warmup, warmupMs, repeats, baseKey) => {
  const runner = (k) => {
    const { session, feeds } = sessions.get(k);
    return async () => {
      const out = await session.run(feeds);
      // WebGPU outputs stay on the GPU until read: read them, as a deployed model's caller would.
      for (const t of Object.values(out)) if (t.location && t.location !== 'cpu') await t.getData();
    };
  };
  const run = runner(key);
  const base = baseKey ? runner(baseKey) : null;
  const timed = async (f) => {
    const t0 = performance.now();
    await f();
    return (performance.now() - t0) * 1000;
  };
  // At least \`warmup\` runs and \`warmupMs\` of them (timing.ts, DEFAULT_WARMUP_MS).
  const until = performance.now() + warmupMs;
  for (let i = 0; i < warmup || (warmup > 0 && performance.now() < until); i++) {
    await run();
    if (base) await base();
  }
  const runs = [];
  const bases = [];
  for (let i = 0; i < repeats; i++) {
    // Alternating order: neither model always runs right after the other.
    if (base && i % 2 === 1) {
      bases.push(await timed(base));
      runs.push(await timed(run));
    } else {
      runs.push(await timed(run));
      if (base) bases.push(await timed(base));
    }
  }
  return { runs, bases: base ? bases : null };
};
window.tsnasRelease = async () => {
  for (const { session } of sessions.values()) await session.release();
  sessions.clear();
};
window.tsnasReady = true;
</script></body></html>`;
}
