// The evaluator registry: the built-in kinds go through it (spec parsing, formatting, aliases),
// an unknown kind is a FieldError listing the known ones, and a kind registered from outside is
// used through a spec string like a built-in one (in a config, by createStudy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createEvaluator,
  evaluatorKinds,
  formatEvaluatorSpec,
  parseEvaluatorSpec,
  registerEvaluator,
  type Evaluator,
} from '../../src/evaluate/index';
import { FieldError } from '../../src/io/fieldError';
import { loadSpace } from '../../src/space/registry';
import { formatArch } from '../../src/space/archFormat';
import { createStudy } from '../../src/search/study';
import { StudyStore } from '../../src/study/store';

const space = loadSpace('fbnet-s');

test('the built-in kinds are registered and read through the registry', () => {
  for (const k of ['train', 'synthetic', 'table']) assert.ok(evaluatorKinds().includes(k), k);
  assert.deepEqual(parseEvaluatorSpec('training'), { kind: 'train' }, 'an alias is read as its kind');
  assert.equal(formatEvaluatorSpec(parseEvaluatorSpec('synthetic:12')), 'synthetic:12');
  assert.equal(formatEvaluatorSpec(parseEvaluatorSpec('table:t.json', '/b')), 'table:/b/t.json');
  assert.equal(createEvaluator(parseEvaluatorSpec('synthetic:4'), { space, spaceRef: 'fbnet-s' }).spec, 'synthetic:4');
  assert.equal(createEvaluator('synthetic:5', { space, spaceRef: 'fbnet-s' }).spec, 'synthetic:5');
  assert.throws(() => createEvaluator('oracle', { space, spaceRef: 'fbnet-s' }), FieldError);
  assert.throws(
    () => parseEvaluatorSpec('oracle:x'),
    (err: unknown) =>
      err instanceof FieldError &&
      err.field === 'evaluator' &&
      err.value === 'oracle:x' &&
      /unknown evaluator 'oracle:x' \(evaluators: train \(with `data` D\), synthetic\[:SEED\], table:FILE/.test(
        err.message,
      ) &&
      /registerEvaluator/.test(err.message),
  );
  assert.throws(() => registerEvaluator('synthetic', () => ({}) as Evaluator), /'synthetic' is registered already/);
  assert.throws(() => registerEvaluator('two words', () => ({}) as Evaluator), FieldError);
});

test('a kind registered from outside is used through its spec string: parsed, stored and evaluated', async () => {
  const made: string[] = [];
  // A constant evaluator: 'const:V' scores every architecture V.
  registerEvaluator<{ value: number }>('const', {
    form: 'const:VALUE',
    parse(arg, spec) {
      const value = Number(arg);
      if (arg === '' || !Number.isFinite(value))
        throw new FieldError('evaluator', spec, `evaluator '${spec}': give the value, e.g. const:0.5`);
      return { value };
    },
    format: (p) => String(p.value),
    create(p, s) {
      made.push(s.spaceRef);
      return {
        kind: 'const',
        spec: `const:${p.value}`,
        description: `the constant ${p.value}`,
        decode: {},
        metrics: ['accuracy'],
        recipeFor: () => null,
        evaluate: async (job) => ({
          metrics: { accuracy: p.value + (formatArch(s.space, job.arch) === job.archText ? 0 : 1) },
        }),
      };
    },
  });
  assert.ok(evaluatorKinds().includes('const'));
  assert.throws(() => parseEvaluatorSpec('const:x'), /give the value/);
  assert.throws(() => parseEvaluatorSpec('nope'), /const:VALUE/, 'listed among the known kinds');
  const store = StudyStore.open(':memory:');
  try {
    const study = await createStudy({ store, name: 'c', space: 'fbnet-s', evaluator: 'const:0.25', seed: 2 });
    assert.equal(study.config.evaluator, 'const:0.25');
    const r = await study.optimize(undefined, { trials: 3 });
    assert.equal(r.summary.complete, 3);
    assert.deepEqual(
      study.trials().map((t) => t.metrics.accuracy),
      [0.25, 0.25, 0.25],
    );
    assert.ok(made.length >= 2 && made.every((s) => s === 'fbnet-s'), 'made by its factory with the study settings');
    study.close();
  } finally {
    store.close();
  }
});
