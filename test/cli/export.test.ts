// tsnas export of a trained run: the checkpoint's network (its space, architecture and trained
// weights) written as ONNX, checked in onnxruntime-node against the engine, with what it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSpace } from '../../src/space/registry';
import { parseArch } from '../../src/space/archFormat';
import { loadRecipe } from '../../src/train/recipe';
import { loadDataSource } from '../../src/data/dataSource';
import { decodeModel, EXPORT_TOLERANCE, ortSession, runOnnx } from '../../src/export';
import { restoreNetwork } from '../../src/train/restoreNetwork';
import { noGrad, tensor, tidy } from '../../src/engine';
import { tempDir } from '../data/fixtures';
import { tsnasInProcess } from '../helpers/tsnasCli';
import { noLeaks } from '../helpers/leakCheck';

const SMALL_ARCH = 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip';

test(
  'export --checkpoint: the trained network as ONNX, named, BatchNorm folded, equal to the engine on the same images',
  noLeaks(async () => {
    const dir = tempDir('export-run');
    const space = loadSpace('fbnet-s');
    const { trainArchitecture } = await import('../../src/train/trainArchitecture');
    const r = trainArchitecture({
      space,
      spaceRef: 'fbnet-s',
      arch: parseArch(space, SMALL_ARCH),
      recipe: loadRecipe(undefined, { epochs: 1 }),
      data: loadDataSource('synthetic:2'),
      limitTrain: 100,
      checkpointDir: path.join(dir, 'run'),
    });
    assert.equal(r.status, 'complete', r.error);
    const file = path.join(dir, 'out', 'model.onnx');
    const run = await tsnasInProcess(['export', '--checkpoint', path.join(dir, 'run'), '-o', file, '--json']);
    assert.equal(run.code, 0, run.stderr);
    // The line tsnas printed (the test runner's own reports may share this process's stdout while it awaits).
    const out = JSON.parse(/\{"file":.*\}(?=\n)/.exec(run.stdout)![0]);
    assert.equal(out.space, 'fbnet-s');
    assert.equal(out.arch, SMALL_ARCH);
    assert.match(out.source, /^checkpoint .*run \(epoch 1\)$/);
    assert.equal(out.foldBatchNorm, true);
    assert.ok(out.verify.maxAbsDiff <= EXPORT_TOLERANCE);
    const bytes = new Uint8Array(fs.readFileSync(file));
    const model = decodeModel(bytes) as { metadataProps: { key: string; value: string }[] };
    assert.deepEqual(
      Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])).space,
      'fbnet-s',
      'the model says which space it is of',
    );
    // The same images through the restored network and through the written file.
    const { network, info } = restoreNetwork(path.join(dir, 'run'));
    try {
      network.eval();
      const shape = [3, ...info.input];
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i));
      const engine = tidy(() => noGrad(() => network.forward(tensor(data, shape)).dataSync() as Float32Array));
      const session = await ortSession(bytes);
      const onnx = await runOnnx(session, { data, shape });
      await session.release();
      assert.deepEqual(onnx.shape, [3, info.classes]);
      const diff = engine.reduce((m, v, i) => Math.max(m, Math.abs(v - onnx.data[i]!)), 0);
      assert.ok(diff <= EXPORT_TOLERANCE, `max abs difference ${diff}`);
    } finally {
      network.dispose();
    }
  }),
);
