// Search for a runtime, verify in it: a search with a latency table of onnxruntime-node ends with
// its chosen network exported and timed in onnxruntime-node (the table's own runtime), recorded
// beside the table's prediction, and shown so in the study report, for a method without its own
// finalize hook (random search) as for any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLatencyTable, makeLatencyTarget, writeLatencyTable } from '../../src/latency';
import { StudyStore } from '../../src/study/store';
import { FINAL_NETWORK } from '../../src/search/finalNetwork';
import { buildReportData } from '../../src/search/studyReport';
import { TINY_SPACE_YAML, tinySpace } from '../helpers/tinySpace';
import { tempDir } from '../data/fixtures';
import { tsnasInProcess } from '../helpers/tsnasCli';

test('a random search with an ort-cpu table: the final network is timed in onnxruntime-node beside the table', async () => {
  const dir = tempDir('final-ort');
  const spaceFile = path.join(dir, 'tiny-fbnet.yaml');
  fs.writeFileSync(spaceFile, TINY_SPACE_YAML);
  const target = await makeLatencyTarget('ort-cpu', { threads: 1, hostname: false });
  const table = await buildLatencyTable(tinySpace(), {
    target,
    warmup: 1,
    repeats: 3,
    rounds: 1,
    calibrate: 2,
  }).finally(() => target.close?.());
  const lut = path.join(dir, 'tiny.ort.lut.json');
  writeLatencyTable(lut, table);
  const store = path.join(dir, 's.db');
  const run = await tsnasInProcess([
    'search',
    'random',
    '--space',
    spaceFile,
    '--evaluator',
    'synthetic',
    '--trials',
    '3',
    '--lut',
    lut,
    '--study',
    'ort',
    '--store',
    store,
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(/\{"study":.*\}(?=\n)/.exec(run.stdout)![0]);
  assert.equal(out.final.target, 'ort-cpu');
  assert.match(
    out.final.measuredWith,
    /^ort-cpu \(onnxruntime-node [0-9.]+\), the network exported to ONNX, 1 thread as the latency table/,
  );
  assert.ok(out.final.measuredLatencyUs > 0 && out.final.tableLatencyUs !== null);
  assert.equal(out.final.arch, out.best.arch);
  assert.match(run.stderr, /final network trial \d+ .* measured latency .* on ort-cpu \(onnxruntime-node/);
  const s = StudyStore.open(store);
  try {
    const study = s.requireStudy('ort');
    assert.deepEqual(s.getState(study.id, FINAL_NETWORK), out.final);
    const section = buildReportData(s, study).sections?.find((x) => x.title.startsWith('Final network'));
    assert.ok(section, 'the report has the final network section');
    assert.match(section.html!, /table latency .* measured .*Measured: ort-cpu \(onnxruntime-node/s);
  } finally {
    s.close();
  }
});
