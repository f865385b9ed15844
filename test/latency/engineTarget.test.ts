// The engine as a latency target, and building and validating a table on a tiny space (few
// layers, small repeats: these tests check the machinery, not the timings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  buildLatencyTable,
  makeLatencyTarget,
  makeTargetOfTable,
  type OpSpec,
  predictLatency,
  readLatencyTable,
  requiredOps,
  validateLatencyTable,
  writeLatencyTable,
} from '../../src/latency';
import { buildOpModule, EngineTarget } from '../../src/latency/engineTarget';
import { getNumThreads, runtimeInfo } from '../../src/engine';
import { sampleUniformN } from '../../src/arch';
import { defaultArch, parseArch } from '../../src/space/archFormat';
import { mape } from '../../src/stats';
import { decode, loadSpace, spaceFromData } from '../../src/space';
import { noLeaks } from '../helpers/leakCheck';
import { tempDir } from '../data/fixtures';

const TINY = spaceFromData({
  style: 'layerwise',
  name: 'tiny-lut',
  input: '3x8x8',
  classes: 4,
  e1FirstConv: 'keep',
  stem: { op: 'conv_k3', channels: 8, stride: 1 },
  candidates: ['ir_k3_e1', 'ir_k3_e3', 'skip'],
  stages: [
    { channels: 8, repeats: 1, stride: 1 },
    { channels: 16, repeats: 1, stride: 2 },
  ],
  head: { op: 'conv_k1', channels: 16 },
});
const FAST = { warmup: 1, repeats: 3, rounds: 1 };

test(
  'the engine target: what it records, and a timing of one op (median between the quartiles), no tensor left',
  noLeaks(async () => {
    const before = getNumThreads();
    const target = new EngineTarget({ threads: 1 });
    assert.equal(target.info.runtime, 'libtorch');
    assert.equal(target.info.version, runtimeInfo().torchVersion);
    assert.equal(target.info.threads, 1);
    assert.equal(target.info.batch, 1);
    assert.equal(target.info.settings.memoryFormat, 'channels_last');
    assert.equal(target.info.settings.mode, 'eval');
    assert.ok(target.info.machine.cpu.length > 0 && target.info.machine.cores >= 1);
    const t = await target.measure(
      { kind: 'op', spec: { op: 'ir_k3_e3', input: [8, 8, 8], cin: 8, cout: 8, stride: 1 } },
      [8, 8, 8],
      { warmup: 2, repeats: 5 },
    );
    assert.ok(t.medianUs > 0 && Number.isFinite(t.medianUs));
    assert.ok(t.p25Us <= t.medianUs && t.medianUs <= t.p75Us);
    assert.equal(t.runs, 5);
    assert.equal(t.samplesUs!.length, 5);
    const lin = await target.measure(
      { kind: 'op', spec: { op: 'linear', input: [16, 1, 1], cin: 16, cout: 4, stride: 1, bias: true } },
      [16, 1, 1],
      { warmup: 1, repeats: 2 },
    );
    assert.ok(lin.medianUs > 0);
    const net = await target.measure({ kind: 'network', desc: decode(TINY, defaultArch(TINY)) }, [3, 8, 8], {
      warmup: 1,
      repeats: 2,
    });
    assert.ok(net.medianUs > 0);
    assert.equal(getNumThreads(), before, 'thread count restored');
  }),
);

test(
  'ops are built as the builder builds them (same parameters)',
  noLeaks(() => {
    const m = buildOpModule({ op: 'ir_k3_e1', input: [8, 8, 8], cin: 8, cout: 16, stride: 2, e1FirstConv: 'drop' });
    const n = buildOpModule({ op: 'ir_k3_e1', input: [8, 8, 8], cin: 8, cout: 16, stride: 2, e1FirstConv: 'keep' });
    assert.ok(m.parameterCount() < n.parameterCount(), 'drop leaves the first 1x1 conv out');
    const lin = buildOpModule({ op: 'linear', input: [16, 1, 1], cin: 16, cout: 4, stride: 1, bias: false });
    assert.equal(lin.parameterCount(), 64);
    for (const x of [m, n, lin]) x.dispose();
  }),
);

test(
  'buildLatencyTable on a tiny space: every key once, target and space recorded, overhead fitted; file round trip',
  noLeaks(async () => {
    const target = new EngineTarget({ threads: 1, hostname: false });
    const progress: string[] = [];
    const table = await buildLatencyTable(TINY, {
      target,
      ...FAST,
      calibrate: 2,
      onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`),
    });
    const { ops } = requiredOps(TINY);
    assert.deepEqual(Object.keys(table.entries).sort(), ops.map((o) => o.key).sort());
    assert.equal(table.coverage.method, 'complete');
    assert.deepEqual(table.input, [3, 8, 8]);
    assert.equal(table.space.name, 'tiny-lut');
    assert.equal(table.target.threads, 1);
    assert.equal(table.target.machine.hostname, undefined);
    assert.deepEqual(
      { ...table.protocol, preempted: '' },
      { warmup: 1, repeats: 3, rounds: 1, statistic: 'median', batch: 1, preempted: '' },
    );
    assert.ok(table.noise.timedRuns >= (ops.length + 2) * 3 && table.noise.discardedRuns >= 0);
    assert.ok(Object.values(table.entries).every((e) => e.us > 0 && e.p25Us <= e.us && e.us <= e.p75Us));
    assert.ok(Number.isFinite(table.overheadUs));
    assert.equal(table.overhead.archs, 2);
    assert.equal(
      progress[progress.length - 1],
      `timing ${ops.length + 2}/${ops.length + 2}`,
      'ops and the 2 calibration networks, 1 round',
    );
    const file = path.join(tempDir('lut-tiny'), 'tiny.lut.json');
    writeLatencyTable(file, table);
    const back = readLatencyTable(file);
    assert.deepEqual(back, table);
    const arch = sampleUniformN(TINY, 1, 3)[0]!;
    assert.equal(predictLatency(back, TINY, arch), predictLatency(table, TINY, arch));
  }),
);

test(
  'the level check: validate times the table calibration networks again; a table built at another speed is named',
  noLeaks(async () => {
    const target = new EngineTarget({ threads: 1, hostname: false });
    const table = await buildLatencyTable(TINY, { target, ...FAST, calibrate: 3 });
    const reference = table.overhead.networks!;
    assert.equal(reference.length, 3);
    assert.ok(reference.every((r) => r.measuredUs > 0 && parseArch(TINY, r.arch)));
    const same = await validateLatencyTable(TINY, table, { target, n: 3, seed: 1 });
    assert.equal(same.level?.networks, 3);
    assert.ok(same.level!.ratio > 0 && Number.isFinite(same.level!.ratio));
    // The same table as if built on a machine 100x slower: the ratio says so, and the warning names it.
    const slowBuild = {
      ...table,
      overhead: { ...table.overhead, networks: reference.map((r) => ({ ...r, measuredUs: r.measuredUs * 100 })) },
    };
    const r = await validateLatencyTable(TINY, slowBuild, { target, n: 3, seed: 1 });
    assert.ok(r.level!.ratio < 0.1, `ratio ${r.level!.ratio}`);
    assert.match(r.warnings.join('\n'), /calibration networks run 0\.\d+x as long now as when the table was built/);
    const predicted = r.rows.map((x) => x.predictedUs);
    const atBuild = r.rows.map((x) => x.measuredUs / r.level!.ratio);
    assert.ok(Math.abs(r.level!.mapeAtBuildLevel - mape(predicted, atBuild)) < 1e-9);
    // A calibration network that is not of the space: the error names the field and the fix.
    const broken = { ...table, overhead: { ...table.overhead, networks: [{ arch: 'nope', measuredUs: 1 }] } };
    await assert.rejects(
      validateLatencyTable(TINY, broken, { target, n: 2 }),
      /overhead\.networks\[0\]\.arch 'nope' is not an architecture of space 'tiny-lut'.*rebuild the table/,
    );
    // A table from before the check (no networks) validates without one.
    const { networks: _, ...older } = table.overhead;
    assert.equal((await validateLatencyTable(TINY, { ...table, overhead: older }, { target, n: 2 })).level, null);
  }),
);

test(
  'validateLatencyTable on a tiny space: Spearman in [-1, 1], MAPE >= 0, n networks',
  noLeaks(async () => {
    const target = new EngineTarget({ threads: 1 });
    const table = await buildLatencyTable(TINY, { target, ...FAST, calibrate: 0 });
    assert.equal(table.overheadUs, 0);
    const r = await validateLatencyTable(TINY, table, { target, n: 4, seed: 1 });
    assert.equal(r.n, 4);
    assert.equal(r.rows.length, 4);
    assert.ok(r.spearman >= -1 && r.spearman <= 1, `spearman ${r.spearman}`);
    assert.ok(r.mape >= 0 && Number.isFinite(r.mape), `mape ${r.mape}`);
    assert.ok(r.rows.every((x) => x.measuredUs > 0 && x.predictedUs > 0));
    await assert.rejects(
      validateLatencyTable(TINY, table, { target: new EngineTarget({ threads: 2 }), n: 2 }),
      /measured with 1 thread\(s\), not 2/,
    );
    await assert.rejects(
      validateLatencyTable(loadSpace('fbnet-s'), table, { target, n: 2 }),
      /built for space 'tiny-lut', not 'fbnet-s'/,
    );
  }),
);

test(
  'engine-cuda: on a GPU it records its device and times an op; without one, a clear refusal naming the fix',
  noLeaks(async () => {
    const { cudaAvailable, cudaDeviceCount } = runtimeInfo();
    const spec: OpSpec = { op: 'ir_k3_e3', input: [8, 8, 8], cin: 8, cout: 8, stride: 1 };
    if (cudaAvailable && cudaDeviceCount > 0) {
      const target = (await makeLatencyTarget('engine-cuda')) as EngineTarget;
      assert.equal(target.info.name, 'engine-cuda');
      assert.equal(target.info.settings.device, 'cuda:0');
      const t = await target.measure({ kind: 'op', spec }, spec.input, FAST);
      assert.ok(t.medianUs > 0 && t.p25Us <= t.medianUs && t.medianUs <= t.p75Us, JSON.stringify(t));
    } else {
      await assert.rejects(makeLatencyTarget('engine-cuda'), /engine-cuda on cuda: .*no CUDA device.*TSNAS_LIBTORCH/);
    }
    // A table's own target comes back on the device the table names.
    const cpu = new EngineTarget({ threads: 1 });
    const info = {
      ...cpu.info,
      name: 'engine-cuda',
      settings: { ...cpu.info.settings, device: `cuda:${cudaDeviceCount}` },
    };
    await assert.rejects(makeTargetOfTable(info), new RegExp(`engine-cuda on cuda:${cudaDeviceCount}: `));
    assert.throws(() => new EngineTarget({ device: 'tpu' }), /must be cpu, cuda or cuda:N, got 'tpu'/);
  }),
);
