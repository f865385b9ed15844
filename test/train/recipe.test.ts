// Recipes are data: defaults, validation errors that name the field, files (YAML, JSON) with
// overrides on top, and unreadable or malformed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRecipe, parseRecipe, recipeSetsSeed, RecipeSchema, splitSeedOf } from '../../src/train/recipe';
import { scheduleOf } from '../../src/train/makeOptimizer';
import { tempDir, throwsWith } from '../data/fixtures';

test('defaults: an empty recipe is a complete one', () => {
  const r = parseRecipe({});
  assert.deepEqual(r, {
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 4e-5,
    schedule: 'cosine',
    gamma: 0.963,
    stepEpochs: 30,
    minLr: 0,
    warmupEpochs: 0,
    warmupStartFactor: 0.1,
    epochs: 5,
    batchSize: 128,
    ema: null,
    dropout: 0,
    stochasticDepth: 0,
    mixup: 0,
    labelSmoothing: 0,
    gradClip: 0,
    cropPadding: 2,
    flip: null,
    resolution: null,
    valFraction: 0.1,
    seed: 0,
    distill: null,
  });
  assert.deepEqual(parseRecipe(undefined), r, 'undefined means all defaults');
  assert.deepEqual(parseRecipe(null), r, 'null means all defaults');
  assert.equal(splitSeedOf(r), 0, 'the split follows the seed');
  assert.equal(splitSeedOf(parseRecipe({ seed: 4, splitSeed: 9 })), 9, 'unless the split has its own seed');
  // Every field has a default but the crop fields and the split seed, absent when not given: absent
  // means the data set's crop (the recipe's seed), and recipes written before them keep their
  // identity (no key added).
  const optional = ['crop', 'cropScale', 'cropRatio', 'splitSeed'];
  assert.deepEqual(
    Object.keys(RecipeSchema.shape)
      .filter((k) => !optional.includes(k))
      .sort(),
    Object.keys(r).sort(),
    'every field has a default',
  );
});

test('given fields are kept; distillation gets its own defaults', () => {
  const r = parseRecipe({
    optimizer: 'rmsprop-tf',
    lr: 0.016,
    ema: 0.9999,
    epochs: 12,
    distill: { teacher: 'teacher.safetensors' },
  });
  assert.equal(r.optimizer, 'rmsprop-tf');
  assert.equal(r.lr, 0.016);
  assert.equal(r.ema, 0.9999);
  assert.equal(r.epochs, 12);
  assert.deepEqual(r.distill, { teacher: 'teacher.safetensors', weight: 0.8, temperature: 1 });
  for (const o of ['sgd', 'rmsprop', 'rmsprop-tf', 'adam', 'adamw'])
    assert.equal(parseRecipe({ optimizer: o }).optimizer, o);
});

test('schedules map to their specs', () => {
  assert.deepEqual(scheduleOf(parseRecipe({ schedule: 'cosine', epochs: 7, minLr: 0.001 })), {
    kind: 'cosine',
    epochs: 7,
    minLr: 0.001,
  });
  assert.deepEqual(scheduleOf(parseRecipe({ schedule: 'step', stepEpochs: 3, gamma: 0.5 })), {
    kind: 'step',
    stepEpochs: 3,
    gamma: 0.5,
  });
  assert.deepEqual(scheduleOf(parseRecipe({ schedule: 'exponential', gamma: 0.97 })), {
    kind: 'exponential',
    gamma: 0.97,
  });
  assert.deepEqual(scheduleOf(parseRecipe({ schedule: 'constant' })), { kind: 'constant' });
});

test('parseRecipe errors name the source and the field', () => {
  const cases: Array<[unknown, string[]]> = [
    [{ lr: -1 }, ['lr']],
    [{ lr: 0 }, ['lr']],
    [{ optimizer: 'foo' }, ['optimizer']],
    [{ epochs: 2.5 }, ['epochs']],
    [{ batchSize: 0 }, ['batchSize']],
    [{ momentum: 1.5 }, ['momentum']],
    [{ ema: 1 }, ['ema']],
    [{ dropout: 1 }, ['dropout']],
    [{ schedule: 'linear' }, ['schedule']],
    [{ seed: -1 }, ['seed']],
    [{ lr: '0.1' }, ['lr']],
    [{ distill: { teacher: '' } }, ['distill.teacher']],
    [{ distill: { teacher: 't', weight: 2 } }, ['distill.weight']],
    [{ distill: { teacher: 't', temp: 2 } }, ['distill', 'temp']],
    [{ learningRate: 0.1 }, ['learningRate']],
  ];
  for (const [input, parts] of cases) {
    throwsWith(
      () => parseRecipe(input, 'my-recipe.yaml'),
      ['my-recipe.yaml', 'invalid recipe', ...parts],
      JSON.stringify(input),
    );
  }
  // Several problems are all listed.
  throwsWith(() => parseRecipe({ lr: -1, optimizer: 'foo', bogus: true }), ['recipe', 'lr', 'optimizer', 'bogus']);
  throwsWith(() => parseRecipe([1, 2]), ['invalid recipe']);
});

test('loadRecipe: a YAML file, overrides on top, undefined overrides ignored', () => {
  const dir = tempDir('recipe');
  const file = path.join(dir, 'r.yaml');
  fs.writeFileSync(
    file,
    '# a recipe\noptimizer: adamw\nlr: 0.002\nepochs: 9\nema: 0.999\ndistill:\n  teacher: t.safetensors\n  temperature: 4\n',
  );
  const r = loadRecipe(file);
  assert.deepEqual([r.optimizer, r.lr, r.epochs, r.ema], ['adamw', 0.002, 9, 0.999]);
  assert.deepEqual(r.distill, { teacher: 't.safetensors', weight: 0.8, temperature: 4 });
  assert.equal(r.batchSize, 128, 'unset fields take defaults');
  const o = loadRecipe(file, { epochs: 3, lr: undefined, batchSize: 64 });
  assert.deepEqual([o.optimizer, o.lr, o.epochs, o.batchSize], ['adamw', 0.002, 3, 64]);
  // JSON is YAML too; an empty file is all defaults; no file at all is all defaults plus overrides.
  const json = path.join(dir, 'r.json');
  fs.writeFileSync(json, JSON.stringify({ optimizer: 'sgd', lr: 0.1, schedule: 'step' }));
  assert.deepEqual([loadRecipe(json).lr, loadRecipe(json).schedule], [0.1, 'step']);
  const empty = path.join(dir, 'empty.yaml');
  fs.writeFileSync(empty, '');
  assert.deepEqual(loadRecipe(empty), parseRecipe({}));
  assert.deepEqual(loadRecipe(undefined, { epochs: 2 }), parseRecipe({ epochs: 2 }));
  // Overrides are validated too.
  throwsWith(() => loadRecipe(file, { lr: -3 }), [file, 'lr']);
});

test('loadRecipe errors: unreadable file, bad YAML, not a mapping, invalid field in a file', () => {
  const dir = tempDir('recipe-bad');
  const missing = path.join(dir, 'nope.yaml');
  throwsWith(() => loadRecipe(missing), ['cannot read recipe file', missing, 'ENOENT']);
  throwsWith(() => loadRecipe(dir), ['cannot read recipe file', dir]);
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'lr: [0.1\noptimizer: sgd\n');
  throwsWith(() => loadRecipe(bad), [bad, 'not valid YAML']);
  const list = path.join(dir, 'list.yaml');
  fs.writeFileSync(list, '- lr: 0.1\n');
  throwsWith(() => loadRecipe(list), [list, 'mapping']);
  const scalar = path.join(dir, 'scalar.yaml');
  fs.writeFileSync(scalar, '0.1\n');
  throwsWith(() => loadRecipe(scalar), [scalar, 'mapping']);
  const invalid = path.join(dir, 'invalid.yaml');
  fs.writeFileSync(invalid, 'optimizer: foo\nlr: 0.1\n');
  throwsWith(() => loadRecipe(invalid), [invalid, 'optimizer']);
});

test('a recipe sets its seed itself: in the file or in the fields over it', () => {
  const dir = tempDir('recipe-seed');
  const withSeed = path.join(dir, 'with.yaml');
  const without = path.join(dir, 'without.yaml');
  fs.writeFileSync(withSeed, 'lr: 0.1\nseed: 0\n');
  fs.writeFileSync(without, 'lr: 0.1\n# seed: 0\n');
  assert.equal(recipeSetsSeed(withSeed), true, 'even the default, written');
  assert.equal(recipeSetsSeed(without), false);
  assert.equal(recipeSetsSeed(without, { seed: 3 }), true);
  assert.equal(recipeSetsSeed(undefined, { lr: 0.2 }), false);
  assert.equal(recipeSetsSeed(null), false);
});
