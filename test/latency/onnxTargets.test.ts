// The ONNX latency targets: onnxruntime-node on this CPU (ort-cpu) and onnxruntime-web in headless
// Chromium (browser-wasm, browser-webgpu where offered). Small repeats: these tests check the
// machinery (what is recorded, tables built and validated in the same runtime, errors), not the timings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildLatencyTable,
  makeLatencyTarget,
  makeTargetOfTable,
  requiredOps,
  validateLatencyTable,
  type LatencyTarget,
  type OpSpec,
  type Timing,
} from '../../src/latency';
import { EngineTarget } from '../../src/latency/engineTarget';
import { adapterText, BrowserTarget, noGpuAdapter } from '../../src/latency/browserTarget';
import { cannotRun } from '../../src/latency/ortCpuTarget';
import { ortSession } from '../../src/export';
import { decode, spaceFromData } from '../../src/space';
import { defaultArch } from '../../src/space/archFormat';
import { PACKAGE_ROOT, tsnasAsync } from '../helpers/tsnasCli';
import { noLeaks } from '../helpers/leakCheck';

const TINY = spaceFromData({
  style: 'layerwise',
  name: 'tiny-onnx-lut',
  input: '3x8x8',
  classes: 4,
  e1FirstConv: 'keep',
  stem: { op: 'conv_k3', channels: 8, stride: 1 },
  candidates: ['ir_k3_e1', 'ir_k3_e3_se_hs', 'skip'],
  stages: [
    { channels: 8, repeats: 1, stride: 1 },
    { channels: 16, repeats: 1, stride: 2 },
  ],
  head: { op: 'conv_k1', channels: 16 },
});
const FAST = { warmup: 1, repeats: 3, rounds: 1 };
const SPEC: OpSpec = { op: 'ir_k3_e6', input: [8, 8, 8], cin: 8, cout: 8, stride: 1 };
const ortVersion = JSON.parse(
  fs.readFileSync(path.join(PACKAGE_ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'),
).version as string;

/** An op's timing is its time less the call's (any sign in a noisy run); a network's is a whole call. */
function checkTiming(t: Timing, repeats: number, kind: 'op' | 'network' = 'network'): void {
  assert.ok(Number.isFinite(t.medianUs) && t.p25Us <= t.medianUs && t.medianUs <= t.p75Us, JSON.stringify(t));
  if (kind === 'network') assert.ok(t.medianUs > 0, JSON.stringify(t));
  assert.equal(t.runs, repeats);
  assert.equal(t.samplesUs!.length, repeats);
}

test(
  'ort-cpu: records onnxruntime-node, its version, threads and provider; times one op as an ONNX model',
  noLeaks(async () => {
    const target = await makeLatencyTarget('ort-cpu', { threads: 2, hostname: false });
    try {
      assert.equal(target.info.name, 'ort-cpu');
      assert.equal(target.info.runtime, 'onnxruntime-node');
      assert.equal(target.info.version, ortVersion);
      assert.equal(target.info.threads, 2);
      assert.equal(target.info.settings.executionProvider, 'cpu');
      assert.equal(target.info.settings.bnFolded, true);
      assert.equal(target.info.settings.opset, 13);
      assert.equal(target.info.settings.opTiming, 'minus-call');
      assert.equal(target.info.machine.hostname, undefined);
      checkTiming(await target.measure({ kind: 'op', spec: SPEC }, SPEC.input, { warmup: 2, repeats: 5 }), 5, 'op');
    } finally {
      await target.close?.();
    }
  }),
);

test(
  'ort-cpu: a table built and validated in onnxruntime-node; an engine target cannot validate it',
  noLeaks(async () => {
    const target = await makeLatencyTarget('ort-cpu', { threads: 1, hostname: false });
    const table = await buildLatencyTable(TINY, { target, ...FAST, calibrate: 3 }).finally(() => target.close?.());
    assert.deepEqual(
      Object.keys(table.entries).sort(),
      requiredOps(TINY)
        .ops.map((o) => o.key)
        .sort(),
    );
    assert.equal(table.target.name, 'ort-cpu');
    assert.equal(table.target.settings.opTiming, 'minus-call');
    assert.ok(table.about.some((l) => /^ops timed .*less the call's own cost/.test(l)));
    assert.equal(table.overhead.archs, 3);
    // Less the call, an entry is the op's compute: at least 0 (an identity computes nothing).
    assert.ok(Object.values(table.entries).every((e) => e.us >= 0 && e.p25Us <= e.p75Us));
    // Whole networks, exported, in the table's own runtime.
    const same = await makeTargetOfTable(table.target);
    assert.equal(same.info.name, 'ort-cpu');
    const r = await validateLatencyTable(TINY, table, { target: same, n: 3, ...FAST }).finally(() => same.close?.());
    assert.equal(r.rows.length, 3);
    assert.ok(r.rows.every((row) => row.measuredUs > 0 && Number.isFinite(row.predictedUs)));
    assert.ok(r.spearman >= -1 && r.spearman <= 1 && r.mape >= 0);
    assert.equal(r.level?.networks, 3, "the level check times the table's 3 calibration networks again");
    await assert.rejects(
      validateLatencyTable(TINY, table, { target: new EngineTarget({ threads: 1 }), n: 2, ...FAST }),
      /measured on ort-cpu \(onnxruntime-node .*\), but this target is engine-cpu \(libtorch .*\); rebuild the table here/,
    );
  }),
);

test('targets by name: an unknown one lists the valid names', async () => {
  await assert.rejects(
    makeLatencyTarget('tpu'),
    /`target`: unknown latency target 'tpu'; valid: engine-cpu, engine-cuda, ort-cpu, browser-wasm, browser-webgpu/,
  );
});

test('a model the runtime refuses: the error names the target, what it was given and what to do', async () => {
  const target = await makeLatencyTarget('ort-cpu', { hostname: false });
  let refusal: unknown;
  await ortSession(new Uint8Array([8, 1, 2, 3])).catch((e) => (refusal = e));
  assert.ok(refusal instanceof Error, 'onnxruntime refuses bytes that are no model');
  const e = cannotRun(target.info, 'op op=ir_k3_e6,in=8x8x8,cin=8,cout=8,s=1', refusal);
  assert.match(e.message, /^target ort-cpu \(onnxruntime-node [0-9.]+\) cannot run op op=ir_k3_e6,in=8x8x8/);
  assert.match(e.message, /`target` engine-cpu or ort-cpu/);
  await target.close?.();
});

test(
  'browser-wasm: onnxruntime-web in headless Chromium times an op and a whole network',
  { timeout: 180_000 },
  noLeaks(async () => {
    const target: LatencyTarget = await makeLatencyTarget('browser-wasm', { threads: 1, hostname: false });
    try {
      assert.equal(target.info.name, 'browser-wasm');
      assert.equal(target.info.runtime, 'onnxruntime-web');
      assert.match(target.info.version, /^[0-9.]+ \(Chromium [0-9.]+\)$/);
      assert.equal(target.info.settings.executionProvider, 'wasm');
      assert.equal(target.info.settings.opTiming, 'minus-call');
      checkTiming(await target.measure({ kind: 'op', spec: SPEC }, SPEC.input, { warmup: 1, repeats: 4 }), 4, 'op');
      const desc = decode(TINY, defaultArch(TINY));
      // Twice: the second call reuses the page's session.
      for (let i = 0; i < 2; i++)
        checkTiming(await target.measure({ kind: 'network', desc }, desc.input, { warmup: 1, repeats: 3 }), 3);
    } finally {
      await target.close?.();
    }
  }),
);

test(
  'browser-webgpu: runs where the browser offers an adapter on a GPU (recorded), else says so, names browser-wasm and writes no table',
  { timeout: 180_000 },
  async () => {
    const made = await makeLatencyTarget('browser-webgpu', { hostname: false }).catch((e: Error) => e);
    if (made instanceof Error) {
      assert.match(
        made.message,
        /browser-webgpu: this browser offers no WebGPU adapter .*time on browser-wasm instead/,
      );
      // The command refuses the same way, and writes nothing (it wrote a table of SwiftShader times).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-webgpu-'));
      try {
        const out = path.join(dir, 't.json');
        const r = await tsnasAsync(['lut', 'build', 'fbnet-s', '--target', 'browser-webgpu', '-o', out], {
          timeoutMs: 600_000,
        });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /no WebGPU adapter/);
        assert.ok(!fs.existsSync(out), 'no table written');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return;
    }
    const target: LatencyTarget = made;
    try {
      assert.equal(target.info.settings.executionProvider, 'webgpu');
      // The adapter is recorded, and it is a GPU, not Chromium's software fallback.
      assert.equal(typeof target.info.settings.adapter, 'string');
      assert.doesNotMatch(String(target.info.settings.adapter), /swiftshader/i);
      checkTiming(await target.measure({ kind: 'op', spec: SPEC }, SPEC.input, { warmup: 1, repeats: 3 }), 3, 'op');
    } finally {
      await target.close?.();
    }
  },
);

test('a WebGPU adapter that is a software fallback is no GPU to time on', () => {
  const a = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', fallback: true };
  assert.match(noGpuAdapter(a)!, /software fallback \(google swiftshader\), no GPU/);
  assert.match(noGpuAdapter({ ...a, fallback: false })!, /software fallback/);
  assert.equal(noGpuAdapter(null), 'it has none');
  const gpu = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100', fallback: false };
  assert.equal(noGpuAdapter(gpu), null);
  assert.equal(adapterText(gpu), 'nvidia hopper (NVIDIA H100)');
});

test('a browser that fails to start, and none installed: errors that name the binary and the fix', async () => {
  await assert.rejects(
    BrowserTarget.create({ backend: 'wasm', executablePath: '/bin/false' }),
    /target browser-wasm: the browser failed to start \(\/bin\/false\): .*TSNAS_CHROMIUM/,
  );
  await assert.rejects(
    BrowserTarget.create({ backend: 'wasm', executablePath: '/nowhere/chromium' }),
    /target browser-wasm needs Chromium, and there is none at \/nowhere\/chromium: install Debian's \(apt-get install chromium\)/,
  );
});
