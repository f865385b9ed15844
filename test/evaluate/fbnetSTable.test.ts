// The committed accuracy table (bench/tables/fbnet-s-fmnist.json, made by bench/accuracyTable.ts)
// loads through the tabular evaluator: every key is an architecture of fbnet-s, accuracies are
// finite and above chance, its FLOPs and parameters are the analytic ones at 1x28x28, and its
// `$meta` (the budget and the command) is not taken for an architecture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { archCost } from '../../src/cost/netCost';
import { createTabularEvaluator, loadTable } from '../../src/evaluate/index';
import { packageRoot } from '../../src/packageRoot';
import { loadSpace } from '../../src/space/registry';

const file = path.join(packageRoot(), 'bench', 'tables', 'fbnet-s-fmnist.json');

test('the fbnet-s Fashion-MNIST accuracy table loads as a tabular evaluator', async () => {
  const space = loadSpace('fbnet-s');
  const table = loadTable(space, file);
  assert.ok(table.rows.size >= 100, `${table.rows.size} architectures`);
  for (const f of ['accuracy', 'testAcc', 'flops', 'params']) assert.ok(table.fields.includes(f), f);
  for (const [key, m] of table.rows) {
    for (const f of ['accuracy', 'testAcc'])
      assert.ok(Number.isFinite(m[f]) && m[f]! > 0.1 && m[f]! <= 1, `${key}: ${f} ${m[f]}`);
    const cost = archCost(space, table.archs.get(key)!, { input: [1, 28, 28], classes: 10 });
    assert.equal(m.flops, cost.flops, `${key}: flops`);
    assert.equal(m.params, cost.params, `${key}: params`);
  }
  const meta = (JSON.parse(fs.readFileSync(file, 'utf8')) as { $meta: { space: string; command: string } }).$meta;
  assert.equal(meta.space, 'fbnet-s');
  assert.match(meta.command, /accuracyTable\.js/);

  const ev = createTabularEvaluator(space, file);
  assert.deepEqual(ev.costOverride?.provides, ['flops', 'params']);
  const [key, row] = [...table.rows][0]!;
  const r = await ev.evaluate({
    arch: table.archs.get(key)!,
    archText: key,
    trialNumber: 0,
    recipe: null,
    studyDir: os.tmpdir(),
    heartbeat() {},
    log() {},
  });
  assert.equal(r.metrics.accuracy, row.accuracy);
  assert.equal(r.metrics.testAcc, row.testAcc);
});
