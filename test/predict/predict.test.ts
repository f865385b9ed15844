// A self-describing model (issue 24, item 4): the description (class names, input, mean, std,
// resize) in the checkpoint and in the exported ONNX's metadata; tsnas predict on a run directory
// (the engine) and on its ONNX file (onnxruntime-node) agreeing on the same images; images
// decoded and normalised exactly as the loader feeds training; older models predicting with the
// assumed preprocessing and a note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataSource } from '../../src/data/dataSource';
import { BatchLoader } from '../../src/data/loader';
import { imageBytes } from '../../src/data/imageSet';
import {
  assumedDescription,
  checkModelDescription,
  describeModel,
  modelMetadata,
  MODEL_METADATA_KEYS,
  readModelMetadata,
} from '../../src/data/modelDescription';
import { decodeModel, exportNetwork } from '../../src/export';
import { loadCheckpoint, readCheckpointState, saveCheckpoint } from '../../src/train/checkpoint';
import { dispose, tidy } from '../../src/engine';
import { buildNetwork } from '../../src/builder/buildNetwork';
import { loadSpace } from '../../src/space/registry';
import { parseArch } from '../../src/space/archFormat';
import { imageInput, normalizePixels, openPredictor, predictImages, softmax } from '../../src/predict';
import { Rng } from '../../src/random/rng';
import { tempDir } from '../data/fixtures';
import { tsnasInProcess } from '../helpers/tsnasCli';
import { noLeaks } from '../helpers/leakCheck';
import { DATA, SMALL_ARCH, trainTinyRun, writeTestPngs } from './fixtures';

const TOLERANCE = 1e-4;

test('the model description: from a data set, as ONNX metadata and back; a malformed one names its field', () => {
  const data = loadDataSource(DATA);
  const d = describeModel(data, [1, 16, 16]);
  assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(d.input, { layout: 'NCHW', channels: 1, height: 16, width: 16 });
  assert.deepEqual(d.mean, data.mean);
  assert.equal(d.resize, 'crop');
  const meta = modelMetadata(d);
  assert.equal(meta[MODEL_METADATA_KEYS.colour], 'grey');
  assert.deepEqual(readModelMetadata(meta, 'm.onnx'), d);
  assert.equal(readModelMetadata({ space: 'fbnet-s' }, 'm.onnx'), null, 'no description: null');
  assert.throws(
    () => readModelMetadata({ ...meta, [MODEL_METADATA_KEYS.std]: '[0]' }, 'm.onnx'),
    /m\.onnx \(metadata\): the model description's std has a value that is not positive/,
  );
  assert.throws(
    () => readModelMetadata({ ...meta, [MODEL_METADATA_KEYS.classNames]: 'cat,dog' }, 'm.onnx'),
    /m\.onnx: the model's metadata 'class_names' is not JSON/,
  );
  assert.throws(() => checkModelDescription({ ...d, mean: [0.1, 0.2] }, 'run'), /run: .*mean is not 1 number/);
  assert.throws(() => checkModelDescription({ ...d, resize: 'stretch' }, 'run'), /resize is "stretch", not one of/);
  const assumed = assumedDescription([3, 8, 8], 4);
  assert.deepEqual(assumed.classNames, ['0', '1', '2', '3']);
  assert.deepEqual(assumed.mean, [0.5, 0.5, 0.5]);
});

test(
  "an image becomes the network's input exactly as the loader makes it from the same pixels",
  noLeaks(async () => {
    const dir = tempDir('predict-input');
    const data = loadDataSource(DATA);
    const d = describeModel(data, [1, 16, 16]);
    const [file] = await writeTestPngs(dir, 1);
    const img = await imageInput(file!, d);
    const per = imageBytes(data.test);
    // A lossless PNG at the input size decodes to the very pixels.
    assert.deepEqual(
      normalizePixels(data.test.images.subarray(0, per), d),
      img.data,
      'decoded PNG = the data set image',
    );
    const loader = new BatchLoader(data.test, Int32Array.of(0), {
      batchSize: 1,
      shuffle: false,
      seed: 0,
      mean: data.mean,
      std: data.std,
    });
    try {
      const x = tidy(() => {
        const b = loader.makeBatch(Int32Array.of(0), new Rng(0));
        return b.x.dataSync() as Float32Array;
      });
      const diff = x.reduce((m, v, i) => Math.max(m, Math.abs(v - img.data[i]!)), 0);
      assert.ok(diff <= 1e-6, `largest difference from the loader's input ${diff}`);
    } finally {
      loader.dispose();
    }
  }),
);

test(
  'predict: a trained run in the engine and its exported ONNX in onnxruntime-node give the same classes and probabilities',
  noLeaks(async () => {
    const dir = tempDir('predict-run');
    const run = path.join(dir, 'run');
    const r = await trainTinyRun(run);
    // The description travels in the checkpoint and in the trainer's result.
    const state = readCheckpointState(run);
    const recorded = (state.run as { model?: unknown }).model;
    assert.deepEqual(recorded, r.model);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(run, 'checkpoint.json'), 'utf8')).run.model, r.model);
    assert.deepEqual(r.model.input, { layout: 'NCHW', channels: 1, height: 16, width: 16 });
    // ... and in the exported model's metadata.
    const onnx = path.join(dir, 'model.onnx');
    const exported = await tsnasInProcess(['export', '--checkpoint', run, '-o', onnx]);
    assert.equal(exported.code, 0, exported.stderr);
    const proto = decodeModel(new Uint8Array(fs.readFileSync(onnx))) as {
      metadataProps: { key: string; value: string }[];
    };
    const props = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(props.space, 'fbnet-s');
    assert.deepEqual(readModelMetadata(props, onnx), r.model);

    // Images at the input size and four times larger (decoding resizes them), grey.
    const images = [...(await writeTestPngs(dir, 5)), ...(await writeTestPngs(dir, 2, 4))];
    const engine = await openPredictor(run);
    const ort = await openPredictor(onnx);
    try {
      assert.equal(engine.runtime, 'engine');
      assert.equal(ort.runtime, 'onnxruntime-node');
      assert.deepEqual(engine.notes, []);
      assert.deepEqual(ort.notes, []);
      const a = await predictImages(engine, images, { top: 10 });
      const b = await predictImages(ort, images, { top: 10 });
      assert.equal(a.length, images.length);
      for (let i = 0; i < images.length; i++) {
        assert.equal(a[i]!.top[0]!.className, b[i]!.top[0]!.className, `${images[i]}: the same top-1`);
        const pa = Object.fromEntries(a[i]!.top.map((t) => [t.index, t.probability]));
        const pb = Object.fromEntries(b[i]!.top.map((t) => [t.index, t.probability]));
        for (let k = 0; k < 10; k++)
          assert.ok(Math.abs(pa[k]! - pb[k]!) <= TOLERANCE, `${images[i]} class ${k}: ${pa[k]} and ${pb[k]}`);
        assert.ok(Math.abs(a[i]!.top.reduce((s, t) => s + t.probability, 0) - 1) < 1e-9);
      }
    } finally {
      await engine.close();
      await ort.close();
    }

    // The command: the same answers from both, as text and as JSON.
    const cli = async (model: string) => {
      const out = await tsnasInProcess(['predict', model, ...images, '--top', '3', '--json']);
      assert.equal(out.code, 0, out.stderr);
      return JSON.parse(/\{"model":.*\}(?=\n)/.exec(out.stdout)![0]) as {
        runtime: string;
        assumedPreprocessing: boolean;
        predictions: { image: string; top: { className: string; probability: number }[] }[];
      };
    };
    const [ja, jb] = [await cli(run), await cli(onnx)];
    assert.equal(ja.runtime, 'engine');
    assert.equal(jb.runtime, 'onnxruntime-node');
    assert.equal(ja.assumedPreprocessing, false);
    assert.deepEqual(
      ja.predictions.map((p) => p.top.map((t) => t.className)),
      jb.predictions.map((p) => p.top.map((t) => t.className)),
    );
    assert.equal(ja.predictions[0]!.top.length, 3);
    const text = await tsnasInProcess(['predict', onnx, images[0]!, '--top', '2']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(`${images[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\S+ \\d+\\.\\d\\d%, \\S+ \\d+\\.\\d\\d%`),
    );
  }),
);

test(
  'predict: a checkpoint and an ONNX file without a description predict with the assumed preprocessing and say so',
  noLeaks(async () => {
    const dir = tempDir('predict-old');
    const run = path.join(dir, 'run');
    await trainTinyRun(run);
    // The checkpoint as an older tsnas wrote it: no model description.
    const old = path.join(dir, 'old-run');
    const ck = loadCheckpoint(run);
    try {
      const { model: _drop, ...runInfo } = ck.state.run;
      saveCheckpoint(old, { ...ck.state, run: runInfo }, ck.groups);
    } finally {
      for (const g of Object.values(ck.groups)) dispose(g);
    }
    const [image] = await writeTestPngs(dir, 1);
    const p = await openPredictor(old);
    try {
      assert.equal(p.assumed, true);
      assert.match(p.notes.join('\n'), /does not record its preprocessing .*assumed mean 0\.5 and std 0\.5/);
      const [pred] = await predictImages(p, [image!], { top: 2 });
      assert.match(pred!.top[0]!.className, /^\d$/);
    } finally {
      await p.close();
    }
    // An ONNX file without the description (exported as before): its graph gives the input and classes.
    const space = loadSpace('fbnet-s');
    const net = buildNetwork(space, parseArch(space, SMALL_ARCH), { input: [3, 20, 12], classes: 4 });
    const file = path.join(dir, 'bare.onnx');
    try {
      net.eval();
      fs.writeFileSync(file, exportNetwork(net, { metadata: { space: 'fbnet-s' } }).bytes);
    } finally {
      net.dispose();
    }
    const out = await tsnasInProcess(['predict', file, image!, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /note: .*bare\.onnx: the model's metadata does not describe its preprocessing/);
    const json = JSON.parse(/\{"model":.*\}(?=\n)/.exec(out.stdout)![0]);
    assert.equal(json.assumedPreprocessing, true);
    assert.deepEqual(json.predictions[0].top.map((t: { className: string }) => t.className).sort(), [
      '0',
      '1',
      '2',
      '3',
    ]);
    assert.ok(Math.abs(softmax([1, 2, 3]).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  }),
);
