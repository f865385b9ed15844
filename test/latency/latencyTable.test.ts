// Latency tables without the engine: keys and their dedupe, coverage of fbnet-s, prediction as
// the sum of entries plus overheadUs, missing keys, the file format and its checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import {
  archOps,
  checkTableFor,
  measureInRounds,
  noiseWarnings,
  summarize,
  timeRuns,
  timeRunsAsync,
  DEFAULT_WARMUP_MS,
  validationArchs,
  choiceLatencies,
  latencyKey,
  MODEL_TEXT,
  predictLatency,
  predictLatencyBreakdown,
  readLatencyTable,
  requiredOps,
  TABLE_FORMAT,
  TABLE_FORMAT_VERSION,
  tableFromData,
  writeLatencyTable,
  type LatencyTable,
} from '../../src/latency';
import { sampleUniformN } from '../../src/arch';
import { archFromIndices, archIndices, defaultArch } from '../../src/space/archFormat';
import { loadSpace, spaceFromData, type Space } from '../../src/space';
import { tempDir, throwsWith } from '../data/fixtures';
import { cliThrowsWith } from '../helpers/cliText';

/** A table with made-up timings (a deterministic function of the key), as buildLatencyTable would lay it out. */
function fakeTable(
  space: Space,
  o: { overheadUs?: number; input?: [number, number, number] | null; sample?: number } = {},
): LatencyTable {
  const { ops, coverage } = requiredOps(space, {
    input: o.input === undefined ? [...space.input] : o.input,
    sample: o.sample,
  });
  const entries: LatencyTable['entries'] = {};
  for (const { key, spec, layers } of ops) {
    let h = 0;
    for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) % 9973;
    entries[key] = { ...spec, us: 1 + h / 10, p25Us: h / 10, p75Us: 2 + h / 10, layers };
  }
  return {
    format: TABLE_FORMAT,
    formatVersion: TABLE_FORMAT_VERSION,
    about: ['test table'],
    created: '2026-01-01T00:00:00.000Z',
    target: {
      name: 'engine-cpu',
      runtime: 'libtorch',
      version: '1.13.0',
      threads: 1,
      batch: 1,
      settings: { memoryFormat: 'channels_last', mode: 'eval' },
      machine: { cpu: 'Test CPU @ 1 GHz', cores: 2, os: 'linux x64', hostname: 'box' },
    },
    space: { name: space.name, style: space.style },
    input: o.input === undefined ? [...space.input] : o.input,
    classes: space.source.classes,
    protocol: { warmup: 1, repeats: 3, rounds: 1, statistic: 'median', batch: 1, preempted: 'discarded' },
    coverage,
    model: MODEL_TEXT,
    overheadUs: o.overheadUs ?? 123.5,
    overhead: {
      method: 'test',
      archs: 0,
      seed: 0,
      meanSumUs: 0,
      meanMeasuredUs: 0,
      residualSdUs: 0,
      freeFit: { slope: 1, intercept: 0 },
    },
    noise: { timedRuns: 100, discardedRuns: 0, contended: [] },
    entries,
  };
}

test('the latency module never loads the engine (prediction is as light as FLOPs)', () => {
  const index = path.join(__dirname, '..', '..', 'src', 'latency', 'index.js');
  const loaded = execFileSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(index)}); console.log(Object.keys(require.cache).filter((f) => /engine[\\\\/]/.test(f)).length)`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(loaded.trim(), '0', 'src/latency must not import the engine');
});

test('keys: op config, input shape, C_in, C_out, stride; e = 1 reading only where it changes the op; linear bias', () => {
  assert.equal(
    latencyKey({ op: 'ir_k3_e6', input: [16, 32, 32], cin: 16, cout: 24, stride: 2 }),
    'op=ir_k3_e6,in=16x32x32,cin=16,cout=24,s=2',
  );
  const fbs = loadSpace('fbnet-s');
  const ops = archOps(fbs, archFromIndices(fbs, [0, 3, 3, 3, 3, 3, 3, 3, 8]));
  assert.deepEqual(
    ops.map((o) => o.layer),
    [
      'stem',
      'stages.0.0',
      'stages.1.0',
      'stages.1.1',
      'stages.2.0',
      'stages.2.1',
      'stages.2.2',
      'stages.3.0',
      'stages.3.1',
      'stages.3.2',
      'head',
      'pool',
      'classifier',
    ],
  );
  assert.equal(ops[1]!.key, 'op=ir_k3_e1,e1=keep,in=16x32x32,cin=16,cout=16,s=1');
  assert.equal(ops[2]!.key, 'op=ir_k3_e6,in=16x32x32,cin=16,cout=24,s=2');
  assert.equal(ops[9]!.key, 'op=skip,in=64x4x4,cin=64,cout=64,s=1');
  assert.equal(ops[12]!.key, 'op=linear,bias=1,in=256x1x1,cin=256,cout=10,s=1');
  // The same op at the same place in a network of a 'drop' space is a different op.
  const drop = spaceFromData({ ...fbs.source, name: 'fbnet-s-drop', e1FirstConv: 'drop' });
  assert.equal(
    archOps(drop, archFromIndices(drop, [0, 3, 3, 3, 3, 3, 3, 3, 8]))[1]!.key,
    'op=ir_k3_e1,e1=drop,in=16x32x32,cin=16,cout=16,s=1',
  );
});

test('fbnet-s: identical keys across layers are timed once (67 keys for 9 x 9 + 4 fixed layers)', () => {
  const fbs = loadSpace('fbnet-s');
  const { ops, coverage } = requiredOps(fbs);
  assert.equal(coverage.method, 'complete');
  const keys = ops.map((o) => o.key);
  assert.equal(new Set(keys).size, keys.length, 'keys are unique');
  // stem, head, pool, classifier + 9 candidates at 7 distinct (input, C_in, C_out, stride) places:
  // layer 1, the first and the other layers of stages 2, 3, 4 (stage 3 and 4's 2nd and 3rd layers share keys).
  assert.equal(ops.length, 4 + 9 * 7);
  const shared = ops.find((o) => o.key === 'op=ir_k5_e6,in=32x8x8,cin=32,cout=32,s=1')!;
  assert.deepEqual(shared.layers, ['stages.2.1', 'stages.2.2']);
});

test('fbnet-s: every (layer, candidate) pair and the fixed layers are covered', () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs);
  const base = archIndices(fbs, defaultArch(fbs));
  let pairs = 0;
  for (let j = 0; j < fbs.searchDims.length; j++) {
    for (let a = 0; a < fbs.searchDims[j]!.values.length; a++) {
      const idx = [...base];
      idx[j] = a;
      for (const { key } of archOps(fbs, archFromIndices(fbs, idx))) assert.ok(table.entries[key], `missing ${key}`);
      pairs++;
    }
  }
  assert.equal(pairs, 81);
  for (const arch of sampleUniformN(fbs, 300, 5))
    for (const { key } of archOps(fbs, arch)) assert.ok(table.entries[key], `missing ${key}`);
  for (const layer of ['stem', 'head', 'pool', 'classifier'])
    assert.ok(
      Object.values(table.entries).some((e) => e.layers.includes(layer)),
      layer,
    );
});

test('fbnet (224, 22 layers, two head widths): complete too', () => {
  const fb = loadSpace('fbnet');
  const { ops, coverage } = requiredOps(fb);
  assert.equal(coverage.method, 'complete');
  assert.ok(
    ops.some((o) => o.key === 'op=conv_k1,in=352x7x7,cin=352,cout=1504,s=1') &&
      ops.some((o) => o.key === 'op=linear,bias=1,in=1984x1x1,cin=1984,cout=1000,s=1'),
  );
});

test('FBNetV3 (ranges): keys come from a seeded Sobol sample and say so', () => {
  const v3 = loadSpace('fbnetv3');
  const a = requiredOps(v3, { sample: 4, seed: 1 });
  const b = requiredOps(v3, { sample: 4, seed: 1 });
  assert.equal(a.coverage.method, 'sampled');
  assert.match(a.coverage.description, /4 scrambled-Sobol architectures \(seed 1\)/);
  assert.deepEqual(
    a.ops.map((o) => o.key),
    b.ops.map((o) => o.key),
  );
  assert.ok(a.ops.every((o) => /^op=/.test(o.key)));
});

test('predictLatency = sum of the entries of the layers + overheadUs', () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs, { overheadUs: 250.25 });
  for (const arch of sampleUniformN(fbs, 50, 9)) {
    const sum = archOps(fbs, arch).reduce((s, o) => s + table.entries[o.key]!.us, 0);
    assert.ok(Math.abs(predictLatency(table, fbs, arch) - (sum + 250.25)) < 1e-9);
    const b = predictLatencyBreakdown(table, fbs, arch);
    assert.equal(b.layers.length, 13);
    assert.equal(b.overheadUs, 250.25);
  }
  const { space, arch } = { space: fbs, arch: defaultArch(fbs) };
  assert.ok(
    Math.abs(predictLatency({ ...table, overheadUs: 0 }, space, arch) + 250.25 - predictLatency(table, space, arch)) <
      1e-9,
  );
});

test("choiceLatencies: per-layer, per-candidate latencies that add up to predictLatency (for FBNet's differentiable loss)", () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs);
  const c = choiceLatencies(table, fbs);
  assert.equal(c.dims.length, 9);
  assert.ok(c.dims.every((d) => d.us.length === 9));
  for (const arch of sampleUniformN(fbs, 30, 2)) {
    const idx = archIndices(fbs, arch);
    const viaChoices = c.fixedUs + c.dims.reduce((s, d, j) => s + d.us[idx[j]!]!, 0);
    assert.ok(Math.abs(viaChoices - predictLatency(table, fbs, arch)) < 1e-6);
  }
});

test('a key missing from the table: the error names it and says to rebuild for this space/input', () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs);
  const key = 'op=ir_k5_e6,in=16x32x32,cin=16,cout=24,s=2';
  delete table.entries[key];
  const arch = archFromIndices(fbs, [0, 7, 0, 0, 0, 0, 0, 0, 0]);
  cliThrowsWith(
    () => predictLatency(table, fbs, arch),
    [key, 'stages.1.0', 'rebuild the table for this space/input', 'npx tsnas lut build fbnet-s'],
  );
  // A table for another input shape holds other keys (and predicts at its own input).
  const t28 = fakeTable(fbs, { input: [1, 28, 28] });
  assert.ok(predictLatency(t28, fbs, defaultArch(fbs)) > 0);
  assert.ok(Object.keys(t28.entries).every((k) => !k.includes('in=3x32x32')));
});

test('table file round trip keeps the target metadata; the checks name space, input and threads', () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs);
  const file = path.join(tempDir('lut'), 't.lut.json');
  writeLatencyTable(file, table);
  const back = readLatencyTable(file);
  assert.deepEqual(back, table);
  assert.equal(back.target.runtime, 'libtorch');
  assert.equal(back.target.machine.cpu, 'Test CPU @ 1 GHz');
  assert.equal(back.target.threads, 1);
  assert.equal(predictLatency(back, fbs, defaultArch(fbs)), predictLatency(table, fbs, defaultArch(fbs)));

  checkTableFor(table, fbs, { input: [3, 32, 32], threads: 1 });
  cliThrowsWith(
    () => checkTableFor(table, loadSpace('fbnet')),
    ["built for space 'fbnet-s', not 'fbnet'", 'npx tsnas lut build fbnet'],
  );
  cliThrowsWith(
    () => checkTableFor(table, fbs, { input: [1, 28, 28] }),
    ['built for input 3x32x32, not 1x28x28', '--input 1x28x28'],
  );
  cliThrowsWith(() => checkTableFor(table, fbs, { threads: 2 }), ['measured with 1 thread(s), not 2', '--threads 2']);
  cliThrowsWith(
    () => predictLatency(table, loadSpace('mobilenetv2'), defaultArch(loadSpace('mobilenetv2'))),
    ["built for space 'fbnet-s', not 'mobilenetv2'"],
  );
});

test("the rebuild commands the checks suggest keep the table's target and op timing", () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs);
  const ort: LatencyTable = {
    ...table,
    target: { ...table.target, name: 'ort-cpu', settings: { opTiming: 'one-call', opCopies: 4 } },
  };
  const keep = '--target ort-cpu --op-timing one-call --op-copies 4';
  cliThrowsWith(
    () => checkTableFor(ort, fbs, { threads: 2 }),
    [`npx tsnas lut build fbnet-s --input 3x32x32 ${keep} --threads 2 -o FILE`],
  );
  cliThrowsWith(() => checkTableFor(ort, fbs, { input: [1, 28, 28] }), [`--input 1x28x28 ${keep} --threads 1`]);
  cliThrowsWith(
    () => checkTableFor(ort, loadSpace('fbnet')),
    [`npx tsnas lut build fbnet --input 3x32x32 ${keep} --threads 1 -o FILE`],
  );
  const wasm = {
    ...table,
    target: { ...table.target, name: 'browser-wasm', settings: { opTiming: 'minus-call', opCopies: 1 } },
  };
  cliThrowsWith(
    () => checkTableFor(wasm, fbs, { threads: 2 }),
    ['--input 3x32x32 --target browser-wasm --threads 2 -o FILE'],
  );
  const cuda = { ...table, target: { ...table.target, name: 'engine-cuda', settings: { device: 'cuda:1' } } };
  cliThrowsWith(() => checkTableFor(cuda, fbs, { threads: 2 }), ['--target engine-cuda --device cuda:1 --threads 2']);
  // The default target is left out, as a user would type it.
  cliThrowsWith(
    () => checkTableFor(table, fbs, { threads: 2 }),
    ['npx tsnas lut build fbnet-s --input 3x32x32 --threads 2'],
  );
});

test('unreadable, non-JSON, foreign and malformed table files: errors say which and what to do', () => {
  const dir = tempDir('lut-bad');
  throwsWith(() => readLatencyTable(path.join(dir, 'nope.json')), ['cannot read latency table', 'ENOENT']);
  fs.writeFileSync(path.join(dir, 'text.json'), 'not json');
  throwsWith(() => readLatencyTable(path.join(dir, 'text.json')), ['is not valid JSON']);
  fs.writeFileSync(path.join(dir, 'other.json'), '{"hello": 1}');
  throwsWith(
    () => readLatencyTable(path.join(dir, 'other.json')),
    ['is not a tsnas latency table', 'npx tsnas lut build'],
  );
  const good = fakeTable(loadSpace('fbnet-s'));
  const bad = JSON.parse(JSON.stringify(good));
  delete bad.target.threads;
  bad.entries[Object.keys(bad.entries)[0]!].us = -1;
  throwsWith(
    () => tableFromData(bad, 'bad.json'),
    ['malformed latency table bad.json', 'target.threads', '.us: must be >= 0'],
  );
});

test('FBNetV3 tables (sampled keys): validation draws its networks from the sample, so every one is predictable', () => {
  const v3 = loadSpace('fbnetv3');
  const table = fakeTable(v3, { input: null, sample: 6 });
  assert.equal(table.coverage.sample, 6);
  const archs = validationArchs(v3, table, 4, 3);
  assert.equal(archs.length, 4);
  for (const a of archs) assert.ok(predictLatency(table, v3, a) > 0);
  assert.deepEqual(validationArchs(v3, table, 4, 3), archs, 'seeded');
  throwsWith(() => validationArchs(v3, table, 7, 0), ['from 6 sampled architectures', '`n` 6', '`sample`']);
  // A fresh architecture almost surely needs an untimed key: the error says so.
  throwsWith(
    () => sampleUniformN(v3, 5, 99).forEach((a) => predictLatency(table, v3, a)),
    ['latency table has no entry for key', 'sampled too sparsely'],
  );
});

test('noise warnings: clean tables have none; scattered calibration networks or wide op timings are flagged', () => {
  const fbs = loadSpace('fbnet-s');
  const table = fakeTable(fbs);
  for (const e of Object.values(table.entries)) Object.assign(e, { p25Us: e.us * 0.95, p75Us: e.us * 1.05 });
  table.overhead = {
    ...table.overhead,
    archs: 10,
    meanMeasuredUs: 3000,
    residualSdUs: 90,
    freeFit: { slope: 1.05, intercept: 100 },
  };
  assert.deepEqual(noiseWarnings(table), []);
  table.overhead = { ...table.overhead, residualSdUs: 750, freeFit: { slope: 1.5, intercept: 1000 } };
  const w = noiseWarnings(table);
  assert.ok(
    w.some((x) => /scatter by 25%/.test(x)) &&
      w.some((x) => /1\.50x/.test(x)) &&
      w.some((x) => /timings look noisy/.test(x)),
    w.join('\n'),
  );
  table.overhead = { ...table.overhead, residualSdUs: 90, freeFit: { slope: 1, intercept: 100 } };
  table.noise = { timedRuns: 100, discardedRuns: 60, contended: ['op=pool,in=256x4x4,cin=256,cout=256,s=1'] };
  const w2 = noiseWarnings(table);
  assert.ok(
    w2.some((x) => /38% of the timed runs were interrupted/.test(x)) &&
      w2.some((x) => /1 op\(s\)\/network\(s\) got too few uninterrupted runs/.test(x)),
    w2.join('\n'),
  );
  // Wide op timings: flagged for entries of whole calls; not for entries less the call (compute
  // alone, a small median), which the networks' scatter judges instead.
  table.noise = { timedRuns: 100, discardedRuns: 0, contended: [] };
  for (const e of Object.values(table.entries)) Object.assign(e, { p25Us: e.us * 0.5, p75Us: e.us * 1.5 });
  assert.ok(noiseWarnings(table).some((x) => /typical op spread by 100%/.test(x)));
  table.target = { ...table.target, settings: { ...table.target.settings, opTiming: 'minus-call' } };
  assert.deepEqual(noiseWarnings(table), []);
});

test('timing: rounds interleave the subjects and pool their runs; timeRuns keeps repeats clean runs', async () => {
  const calls: string[] = [];
  const fake = async (s: string, m: { warmup: number; repeats: number }) => {
    calls.push(`${s}:${m.repeats}`);
    const base = s === 'a' ? 10 : 100;
    return { ...summarize(Array.from({ length: m.repeats }, (_, i) => base + i)), discarded: 1 };
  };
  const t = await measureInRounds(['a', 'b'], fake, { warmup: 0, repeats: 6, rounds: 3 });
  assert.deepEqual(calls, ['a:2', 'b:2', 'a:2', 'b:2', 'a:2', 'b:2']);
  assert.equal(t[0]!.runs, 6);
  assert.equal(t[0]!.medianUs, 10.5);
  assert.equal(t[1]!.medianUs, 100.5);
  assert.equal(t[1]!.discarded, 3);
  let n = 0;
  const r = timeRuns(
    () => {
      n++;
    },
    { warmup: 3, warmupMs: 0, repeats: 7 },
  );
  assert.ok(r.runs === 7 || r.contended, 'seven clean runs (unless this machine is very busy)');
  assert.equal(n, 3 + r.runs + (r.discarded ?? 0));
  assert.throws(() => timeRuns(() => {}, { warmup: 0, repeats: 0 }), /repeats must be a positive integer/);
});

test('timing: the warm-up lasts at least warmup runs and warmupMs; warmup 0 means none', async () => {
  // Runs stamp the clock: the warm-up's runs are those before the first timed one.
  const stamps: bigint[] = [];
  const stamp = () => void stamps.push(process.hrtime.bigint());
  const t0 = process.hrtime.bigint();
  const r = timeRuns(stamp, { warmup: 2, warmupMs: 5, repeats: 3 });
  const warm = stamps.length - r.runs - (r.discarded ?? 0);
  assert.ok(warm >= 2, `${warm} warm-up runs`);
  // The first timed run came at least 5 ms after the warm-up began.
  assert.ok(stamps[warm]! - t0 >= 5_000_000n, 'the warm-up ran for 5 ms');
  stamps.length = 0;
  const none = timeRuns(stamp, { warmup: 0, warmupMs: 50, repeats: 3 });
  assert.equal(stamps.length, none.runs + (none.discarded ?? 0), 'no warm-up run');
  // The asynchronous protocol warms the same way.
  stamps.length = 0;
  const t1 = process.hrtime.bigint();
  const a = await timeRunsAsync(async () => stamp(), { warmup: 1, warmupMs: 5, repeats: 2 });
  const warmAsync = stamps.length - a.runs - (a.discarded ?? 0);
  assert.ok(warmAsync >= 1 && stamps[warmAsync]! - t1 >= 5_000_000n, `${warmAsync} warm-up runs`);
  assert.equal(DEFAULT_WARMUP_MS, 20);
});
