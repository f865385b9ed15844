// Evaluators: tabular (canonical and index keys, metric mapping, costs from the table, missing
// architectures fail their trial), synthetic (deterministic, depends on choices and capacity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatArch, formatIndices, parseArch } from '../../src/space/archFormat';
import { sampleUniformN } from '../../src/arch/sample';
import { archCost } from '../../src/cost/netCost';
import {
  createTabularEvaluator,
  createSyntheticEvaluator,
  createTrainingEvaluator,
  parseEvaluatorSpec,
  syntheticFunction,
} from '../../src/evaluate/index';
import { loadSpace } from '../../src/space/registry';
import { completeConfig } from '../../src/search/config';
import { runStudy } from '../../src/search/runStudy';
import { setupSearch, withStrategyDefaults } from '../../src/search/setupSearch';
import { StudyStore } from '../../src/study/store';
import type { EvalJob } from '../../src/evaluate/evaluator';
import { throwsWith } from '../data/fixtures';

const space = loadSpace('fbnet-s');
const job = (arch: ReturnType<typeof sampleUniformN>[number]): EvalJob => ({
  arch,
  archText: formatArch(space, arch),
  trialNumber: 0,
  recipe: null,
  studyDir: os.tmpdir(),
  heartbeat() {},
  log() {},
});

function writeTable(dir: string, n: number, indexKeys: boolean) {
  const archs = sampleUniformN(space, n, 9);
  const table: Record<string, Record<string, number | string>> = {};
  archs.forEach((a, i) => {
    const key = indexKeys && i % 2 === 0 ? formatIndices(space, a) : formatArch(space, a);
    table[key] = {
      val_acc: 0.5 + i / 1000,
      test_acc: 0.49 + i / 1000,
      flops: 1000 + i,
      params: 10 * (i + 1),
      note: 'ignored',
    };
  });
  const file = path.join(dir, 'table.json');
  fs.writeFileSync(file, JSON.stringify(table));
  return { file, archs };
}

test('tabular evaluator: index-form and canonical keys, a metric mapping, costs from the table, missing architectures fail', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-table-'));
  try {
    const { file, archs } = writeTable(dir, 40, true);
    const ev = createTabularEvaluator(space, file, { metrics: { accuracy: 'val_acc', testAcc: 'test_acc' } });
    assert.deepEqual([...ev.metrics].sort(), ['accuracy', 'flops', 'params', 'testAcc']);
    const r = await ev.evaluate(job(archs[4]!)); // an index-form key
    assert.deepEqual(r.metrics, { accuracy: 0.504, testAcc: 0.494 });
    assert.deepEqual(ev.costOverride!.costs(archs[4]!), { flops: 1004, params: 50 });
    assert.deepEqual((await ev.evaluate(job(archs[5]!))).metrics, { accuracy: 0.505, testAcc: 0.495 });
    const missing = sampleUniformN(space, 1, 12345)[0]!;
    await assert.rejects(
      ev.evaluate(job(missing)),
      new RegExp(
        `architecture ${formatArch(space, missing).replace(/[/]/g, '\\/')} \\(indices ${formatIndices(space, missing)}\\) is not in table .*table.json \\(40 architectures\\)`,
      ),
    );
    assert.equal(ev.costOverride!.minimum!('flops')!.value, 1000);

    // In a search over a space the table covers: the table's FLOPs are the ones constrained and recorded.
    const tiny = path.join(dir, 'tiny.yaml');
    fs.writeFileSync(
      tiny,
      [
        'style: layerwise',
        'name: tiny',
        'input: 3x8x8',
        'classes: 10',
        'e1FirstConv: keep',
        'stem: { op: conv_k3, channels: 8, stride: 1 }',
        'candidates: [ir_k3_e1, ir_k3_e3, skip]',
        'stages:',
        '  - { channels: 8, repeats: 1, stride: 1 }',
        '  - { channels: 16, repeats: 1, stride: 2 }',
        'head: { op: conv_k1, channels: 32 }',
      ].join('\n'),
    );
    const full: Record<string, Record<string, number>> = {};
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        full[`${i}-${j}`] = { val_acc: 0.5 + (3 * i + j) / 100, flops: 100 + 100 * (3 * i + j) };
    const fullFile = path.join(dir, 'full.json');
    fs.writeFileSync(fullFile, JSON.stringify(full));
    const given = {
      strategy: 'random',
      space: tiny,
      evaluator: `table:${fullFile}`,
      metrics: { accuracy: 'val_acc' },
      trials: 4,
      constraints: ['flops<=500'],
    };
    const config = withStrategyDefaults(completeConfig(given));
    assert.throws(() => setupSearch({ ...config, constraints: ['flops<=-1'] }), /invalid constraint/);
    assert.throws(
      () => setupSearch({ ...config, constraints: ['flops<=50'] }),
      /cannot be met .*smallest flops is 100 \(over every architecture of the table/,
    );
    const store = StudyStore.open(':memory:');
    const { summary, setup } = await runStudy({ config: { ...given, study: 't' }, store });
    const study = store.requireStudy('t');
    assert.equal(summary.complete, 4);
    for (const t of store.trials(study.id)) {
      assert.equal(t.state, 'complete');
      const row = full[formatIndices(setup.space, parseArch(setup.space, t.arch))]!;
      assert.equal(t.costs.flops, row.flops, "the table's FLOPs are recorded");
      assert.ok(t.costs.flops! <= 500);
      assert.equal(t.metrics.accuracy, row.val_acc);
    }
    store.close();

    // Bad tables and mappings: errors name the file, the key or the field.
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ 'not-an-arch': { val_acc: 1 } }));
    assert.throws(
      () => createTabularEvaluator(space, path.join(dir, 'bad.json')),
      /table .*bad.json does not fit space 'fbnet-s' \(1 bad key\(s\)\):\n {2}key 'not-an-arch'/,
    );
    assert.throws(
      () => createTabularEvaluator(space, file, { metrics: { accuracy: 'top1' } }),
      /metric mapping accuracy=top1: table .* has no field 'top1' \(fields with numbers: val_acc, test_acc, flops, params\)/,
    );
    assert.throws(
      () => setupSearch(completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: `table:${file}` })),
      /the objective 'accuracy' is not a metric .*`metrics` accuracy=FIELD/,
    );
    assert.throws(
      () => createTabularEvaluator(space, path.join(dir, 'none.json')),
      /cannot read table .*none.json: ENOENT/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('synthetic evaluator: deterministic per seed, different across seeds, rewards capacity with diminishing returns, varied', async () => {
  const archs = sampleUniformN(space, 300, 1);
  const f = syntheticFunction(space, 3);
  const g = syntheticFunction(space, 3);
  const h = syntheticFunction(space, 4);
  const acc = archs.map((a) => f.accuracy(a));
  assert.deepEqual(
    acc,
    archs.map((a) => g.accuracy(a)),
  );
  assert.notDeepEqual(
    acc,
    archs.map((a) => h.accuracy(a)),
  );
  for (const v of acc) assert.ok(v > 0.4 && v < 1);
  const sd = Math.sqrt(acc.reduce((s, v) => s + (v - acc.reduce((x, y) => x + y) / acc.length) ** 2, 0) / acc.length);
  assert.ok(sd > 0.02, `accuracy varies across architectures (sd ${sd})`);
  // Capacity: more FLOPs helps on average (rank correlation), each part stays in range.
  const flops = archs.map((a) => archCost(space, a).flops);
  const cap = archs.map((a) => f.parts(a).capacity);
  for (let i = 0; i < archs.length; i++)
    for (let j = 0; j < archs.length; j += 17) {
      if (flops[i]! < flops[j]!) assert.ok(cap[i]! <= cap[j]! + 1e-12);
    }
  assert.ok(cap.every((c) => c >= 0 && c <= 1));
  const ev = createSyntheticEvaluator(space, { seed: 3 });
  assert.equal((await ev.evaluate(job(archs[0]!))).metrics.accuracy, acc[0]);
  assert.equal(ev.spec, 'synthetic:3');
});

test('evaluator specs: parsing and clear errors', () => {
  assert.deepEqual(parseEvaluatorSpec('synthetic'), { kind: 'synthetic', seed: 0 });
  assert.deepEqual(parseEvaluatorSpec('synthetic:7'), { kind: 'synthetic', seed: 7 });
  assert.deepEqual(parseEvaluatorSpec('table:x.json', '/base'), { kind: 'table', file: '/base/x.json' });
  assert.deepEqual(parseEvaluatorSpec('train'), { kind: 'train' });
  assert.throws(
    () => parseEvaluatorSpec('oracle'),
    /unknown evaluator 'oracle' \(evaluators: train \(with `data` D\), synthetic\[:SEED\], table:FILE\)/,
  );
  assert.throws(() => parseEvaluatorSpec('synthetic:x'), /the seed must be an integer from 0 to 4294967295/);
  assert.throws(() => parseEvaluatorSpec('table:'), /name the table file/);
});

test('training evaluator: a checkpoint is keyed by everything that defines it; another space (same name, same strings) trains anew', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-eval-key-'));
  try {
    // fbnet-s with a wider second stage: the same name and architecture strings, other networks.
    const text = fs
      .readFileSync(path.join(__dirname, '..', '..', '..', 'spaces', 'fbnet-s.yaml'), 'utf8')
      .replace('{ channels: 24, repeats: 2, stride: 2 }', '{ channels: 40, repeats: 2, stride: 2 }');
    const file = path.join(dir, 'fbnet-s.yaml');
    fs.writeFileSync(file, text);
    const wide = loadSpace(file);
    assert.equal(wide.name, space.name);
    const arch = parseArch(space, space.architectures['fbnet-s-baseline']!);
    const trained = async (sp: typeof space) => {
      const ev = createTrainingEvaluator({
        space: sp,
        spaceRef: sp.file ?? sp.name,
        data: 'synthetic:2',
        epochs: 1,
        limitTrain: 100,
      });
      const dirs: string[] = [];
      const logs: string[] = [];
      const r = await ev.evaluate({
        ...job(arch),
        studyDir: path.join(dir, 'study'),
        addArtifact: (_kind, f) => dirs.push(f),
        log: (l) => logs.push(l),
      });
      return { dir: dirs[0]!, logs, accuracy: r.metrics.accuracy };
    };
    const a = await trained(space);
    const b = await trained(wide);
    assert.notEqual(b.dir, a.dir, 'the other space gets its own checkpoint');
    assert.deepEqual(b.logs, [], 'nothing is continued from the first space');
    // The same space again reads its own finished checkpoint back.
    const again = await trained(space);
    assert.equal(again.dir, a.dir);
    assert.equal(again.accuracy, a.accuracy);
    assert.match(again.logs.join('\n'), /continued from the checkpoint after epoch 1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tabular evaluator: a value that is not a number is named with its key and field, not reported as a missing field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-table-nan-'));
  try {
    const archs = sampleUniformN(space, 3, 4).map((a) => formatArch(space, a));
    const write = (rows: Array<Record<string, unknown>>) => {
      const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.json`);
      fs.writeFileSync(file, JSON.stringify(Object.fromEntries(archs.map((a, i) => [a, rows[i]]))));
      return file;
    };
    // Every value quoted: the mapped field holds no numbers.
    const quoted = write(archs.map((_, i) => ({ val_acc: `0.9${i}` })));
    throwsWith(
      () => createTabularEvaluator(space, quoted, { metrics: { accuracy: 'val_acc' } }),
      [
        `metric mapping accuracy=val_acc: the field 'val_acc' of table ${quoted} holds no numbers`,
        `key '${archs[0]}': "0.90" (a string)`,
        'write 0.91, not "0.91"',
      ],
    );
    // One value quoted among numbers: that key and field.
    const mixed = write([{ val_acc: 0.9 }, { val_acc: '0.8' }, { val_acc: 0.7 }]);
    throwsWith(
      () => createTabularEvaluator(space, mixed),
      [
        `table ${mixed} does not fit`,
        `key '${archs[1]}': field 'val_acc' is "0.8" (a string), not a number, as it is in other rows`,
      ],
    );
    // The objective a table cannot give: the message says which fields are not numbers.
    const words = write(archs.map(() => ({ accuracy: 'high', flops: 1 })));
    throwsWith(
      () =>
        setupSearch(
          withStrategyDefaults(completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: `table:${words}` })),
        ),
      [
        "the objective 'accuracy' is not a metric of the evaluator",
        'fields that are not numbers, not metrics: accuracy',
      ],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
