// A search on an image folder end to end through the library (issue 24, evidence): runStudy with
// `data: images:DIR` on a tiny folder of colour and grey JPEG and PNG files of other sizes than the
// space's 3x16x16 input (so decoding resizes and converts channels), two random trials, the final
// training of the result, and its checkpoint asked about the folder's images. The folder is
// decoded once: the second trial and the final training read the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imagesDecoded } from '../../src/data/imageDataSet';
import { openPredictor, predictImages } from '../../src/predict';
import { runStudy } from '../../src/search/runStudy';
import { noLeaks } from '../helpers/leakCheck';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { tempDir } from './fixtures';
import { GREEN, RED, writeClassFolders } from './imageFixtures';

test(
  'runStudy searches an image folder: trials and final training decode it once, the final network predicts its classes',
  noLeaks(async () => {
    const root = tempDir('image-search');
    process.env.TSNAS_CACHE_DIR = path.join(root, 'cache');
    const photos = path.join(root, 'photos');
    // 10 images per class, 20-47 x 16-20 pixels; 'grey' is one-channel, so it is converted to colour.
    await writeClassFolders(photos, { green: GREEN, grey: 128, red: RED }, 10, ['jpg', 'png']);
    const spaceFile = path.join(root, 'tiny-colour.yaml');
    fs.writeFileSync(spaceFile, TINY_SPACE_YAML.replace('input: 1x16x16', 'input: 3x16x16'));
    const store = path.join(root, 'tsnas.db');
    const lines: string[] = [];
    const before = imagesDecoded();
    const r = await runStudy({
      config: {
        strategy: 'random',
        space: spaceFile,
        data: `images:${photos}`,
        trials: 2,
        seed: 3,
        study: 'photos',
        train: { epochs: 2, threads: 1, recipe: { batchSize: 8, valFraction: 0.25 } },
        final: { epochs: 2 },
      },
      store,
      log: (l) => lines.push(l),
    });
    assert.equal(imagesDecoded() - before, 30, 'every image decoded once, for the trials and the final training');
    assert.equal(r.summary.complete, 2);
    assert.equal(r.config.data, `images:${photos}`);
    assert.ok(r.best && Number.isFinite(r.best.metrics.accuracy), JSON.stringify(r.best));
    assert.ok(
      lines.some((l) => /10 of 30 images converted to colour/.test(l)),
      `the conversion is said: ${lines.join('\n')}`,
    );

    const trained = r.finalTraining?.networks.find((n) => n.trial === r.best!.number);
    assert.ok(trained, `the result was trained: ${JSON.stringify(r.finalTraining)}`);
    assert.ok(trained.testAcc !== null && trained.testAcc >= 0 && trained.testAcc <= 1);
    assert.equal(trained.epochs, 2);
    const checkpoint = path.join(path.dirname(store), 'studies', 'photos', trained.checkpoint);
    assert.ok(fs.existsSync(path.join(checkpoint, 'checkpoint.safetensors')), checkpoint);

    // The final network describes itself with the folder's classes and answers for its images.
    const files = ['green/3.png', 'grey/4.jpg', 'red/5.png'].map((f) => path.join(photos, f));
    const predictor = await openPredictor(checkpoint);
    try {
      assert.deepEqual(predictor.description.classNames, ['green', 'grey', 'red']);
      assert.deepEqual(predictor.description.input, { layout: 'NCHW', channels: 3, height: 16, width: 16 });
      const p = await predictImages(predictor, files, { top: 3 });
      assert.equal(p.length, 3);
      for (const q of p) {
        assert.deepEqual(q.top.map((t) => t.className).sort(), ['green', 'grey', 'red']);
        const sum = q.top.reduce((a, t) => a + t.probability, 0);
        assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
      }
    } finally {
      await predictor.close();
    }
  }),
);
