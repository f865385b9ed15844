// Final training that distils the result from a reference (`final.distillFrom`, `--distill-from`),
// through a whole study on synthetic data in this process (live tensors checked around it): in each
// round the reference trains first and the result's run k learns from the reference's run k (its
// checkpoint records that teacher); the references learn from the labels; the runs, the recipe
// line and the statement say so. A reference the study does not train, or a teacher given twice,
// is refused up front with the field (the flag in the CLI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FinalTrainingState } from '../../src/search/finalTraining';
import { finalTrainingSeed } from '../../src/random/studySeeds';
import { createStudy } from '../../src/search/study';
import { FieldError } from '../../src/io/fieldError';
import { StudyStore } from '../../src/study/store';
import { noLeaks } from '../helpers/leakCheck';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { tsnasInProcess } from '../helpers/tsnasCli';
import { tinyFinalSearch } from '../helpers/tinyFinalSearch';

const REFERENCE = 'ir_k3_e3/ir_k3_e3-ir_k3_e3';
const SPACE_YAML = `${TINY_SPACE_YAML}architectures:\n  tiny-base: ${REFERENCE}\n`;

let dir = '';
let db = '';
let spaceFile = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-final-distill-'));
  db = path.join(dir, 'tsnas.db');
  spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, SPACE_YAML);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const search = (study: string, extra: string[]) =>
  tinyFinalSearch({ spaceFile, db, study, extra: ['--seed', '3', ...extra] });

/** Where the store keeps a study's files. */
function studyDir(study: string): string {
  const store = StudyStore.open(db);
  try {
    return store.studyDir(study, false);
  } finally {
    store.close();
  }
}

/** The recipe a final run's checkpoint recorded. */
function checkpointRecipe(study: string, checkpoint: string): { distill: { teacher: string } | null; seed: number } {
  const state = JSON.parse(fs.readFileSync(path.join(studyDir(study), checkpoint, 'checkpoint.json'), 'utf8')) as {
    run: { recipe: { distill: { teacher: string } | null; seed: number } };
  };
  return state.run.recipe;
}

test(
  '--distill-from: the reference trains first in each round, the result run k learns from its run k',
  noLeaks(async () => {
    const r = await tsnasInProcess(search('d1', ['--final-seeds', '2', '--distill-from', 'tiny-base']));
    assert.equal(r.code, 0, r.stderr);
    const f = JSON.parse(r.last).finalTraining as FinalTrainingState;
    const result = f.networks.find((n) => n.role === 'result')!.name;
    assert.deepEqual(
      f.networks.map((n) => [n.name, n.replica]),
      [
        ['tiny-base', 0],
        [result, 0],
        ['tiny-base', 1],
        [result, 1],
      ],
      'the teacher first in each round',
    );
    for (const n of f.networks) {
      const recipe = checkpointRecipe('d1', n.checkpoint);
      assert.equal(recipe.seed, finalTrainingSeed(3, n.replica!, n.name), `${n.name} keeps its own seeds`);
      if (n.role === 'reference') {
        assert.equal(n.distilledFrom, undefined);
        assert.equal(recipe.distill, null, 'the reference learns from the labels');
        continue;
      }
      assert.deepEqual(n.distilledFrom, { name: 'tiny-base', replica: n.replica });
      const teacher = f.networks.find((t) => t.name === 'tiny-base' && t.replica === n.replica)!;
      assert.equal(recipe.distill?.teacher, path.join(studyDir('d1'), teacher.checkpoint), 'taught by the same run');
    }
    assert.match(f.recipe, /the result distilled from tiny-base \(run k from its run k\)/);
    assert.match(
      f.comparisons[0]!.text,
      new RegExp(`; ${result} distilled from tiny-base's runs, tiny-base trained on the labels$`),
    );

    // The same study without distillation trains the same references at the same seeds, and the
    // result under another checkpoint (what it learns from is part of what a run is).
    const plain = await tsnasInProcess(search('d2', ['--final-seeds', '2']));
    assert.equal(plain.code, 0, plain.stderr);
    const g = JSON.parse(plain.last).finalTraining as FinalTrainingState;
    const refs = (s: FinalTrainingState) => s.networks.filter((n) => n.role === 'reference');
    assert.deepEqual(
      refs(g).map((n) => [n.seed, n.testAcc, n.checkpoint]),
      refs(f).map((n) => [n.seed, n.testAcc, n.checkpoint]),
    );
    const results = (s: FinalTrainingState) => s.networks.filter((n) => n.role === 'result').map((n) => n.checkpoint);
    for (const c of results(g)) assert.ok(!results(f).includes(c), c);
    assert.doesNotMatch(g.comparisons[0]!.text, /distilled/);
  }),
);

test('--distill-from a network the study does not train, or beside --teacher: refused before the search', async () => {
  const notRef = await tsnasInProcess(search('d3', ['--distill-from', 'fbnet-s-baseline']));
  assert.equal(notRef.code, 1);
  assert.match(
    notRef.stderr,
    /--distill-from 'fbnet-s-baseline' is not one of the study's references \(--reference: tiny-base\)/,
  );
  const both = await tsnasInProcess(search('d4', ['--distill-from', 'tiny-base', '--teacher', dir]));
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--distill-from and --teacher both name a teacher/);
  // The library names the field.
  await assert.rejects(
    createStudy({
      store: db,
      name: 'd5',
      space: spaceFile,
      strategy: 'random',
      data: 'synthetic:0',
      final: { epochs: 1, references: ['tiny-base'], distillFrom: 'tiny' },
    }),
    (err: unknown) =>
      err instanceof FieldError &&
      err.field === 'final.distillFrom' &&
      /`final.references`: tiny-base/.test(err.message),
  );
});
