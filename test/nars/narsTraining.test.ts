// NARS with the training evaluator, tiny: fbnetv3-s (the paper's recipe dimensions) on synthetic
// 16x16 data, 1200 images, 3 epochs. Round 1 trains every epoch; the early-stopping epoch is
// chosen from its per-epoch accuracies; round 2 trains that many epochs of the same schedule and
// the refit learns the accuracy there; every searched recipe field reaches the trainer (the
// recipe the trial records and the one its checkpoint trained with). Then the recipe-only mode on
// a fixed architecture: only recipe fields vary. And `tsnas train` of such an architecture keeps
// its searched recipe fields (flags that are not given used to erase them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { parseArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import type { EarlyStopDecision } from '../../src/search/nars/earlyStop';
import type { NarsRound } from '../../src/search/nars/state';
import { tsnas } from '../helpers/tsnasCli';

let dir = '';
let db = '';
let recipe = '';
const space = loadSpace('fbnetv3-s');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-nars-train-'));
  db = path.join(dir, 'tsnas.db');
  recipe = path.join(dir, 'recipe.yaml');
  // Small batches so that 1200 images make enough steps to learn in 3 epochs.
  fs.writeFileSync(recipe, 'batchSize: 32\nvalFraction: 0.2\nschedule: exponential\ngamma: 0.9\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const common = () => [
  'search',
  'nars',
  '--space',
  'fbnetv3-s',
  '--data',
  'synthetic:0',
  '--recipe',
  recipe,
  '--train-epochs',
  '3',
  '--limit-train',
  '1200',
  '--threads',
  '1',
  '--pool',
  '300',
  '--pretrain-epochs',
  '5',
  '--window',
  'flops<=1.2M',
  '--store',
  db,
  '--json',
];

function state<T>(study: string, key: string): T | undefined {
  const conn = new Database(db, { readonly: true });
  try {
    const row = conn
      .prepare(
        'SELECT v.value FROM strategy_state v JOIN studies s ON s.id = v.study_id WHERE s.name = ? AND v.key = ?',
      )
      .get(study, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  } finally {
    conn.close();
  }
}

interface Trial {
  arch: string;
  source: string;
  recipe: Record<string, unknown>;
  epochs: Array<Record<string, number>>;
  metrics: Record<string, number>;
}

function trials(study: string): Trial[] {
  const conn = new Database(db, { readonly: true });
  try {
    return (
      conn
        .prepare(
          'SELECT t.arch, t.source, t.recipe, t.epochs, t.metrics FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? ORDER BY t.number',
        )
        .all(study) as Array<Record<string, string>>
    ).map((r) => ({
      arch: r.arch!,
      source: r.source!,
      recipe: JSON.parse(r.recipe!),
      epochs: JSON.parse(r.epochs!),
      metrics: JSON.parse(r.metrics!),
    }));
  } finally {
    conn.close();
  }
}

/** What the trainer must have been given for an architecture's searched recipe fields (spec fbnetv3.md 2). */
function expectedRecipe(arch: string): Record<string, unknown> {
  const a = parseArch(space, arch);
  const sgd = a['recipe.optimizer'] === 'sgd';
  return {
    optimizer: sgd ? 'sgd' : 'rmsprop-tf',
    lr: sgd ? 4 * (a['recipe.lr'] as number) : a['recipe.lr'],
    weightDecay: a['recipe.weightDecay'],
    ema: a['recipe.ema'] ? 0.9 : null,
    dropout: a['recipe.dropout'],
    stochasticDepth: a['recipe.dropPath'],
    mixup: a['recipe.mixup'],
    batchSize: 32,
    epochs: 3,
  };
}

function checkRecipes(study: string): void {
  const dirOf = path.join(dir, 'studies', study, 'checkpoints');
  const trained = fs.readdirSync(dirOf).map(
    (d) =>
      JSON.parse(fs.readFileSync(path.join(dirOf, d, 'checkpoint.json'), 'utf8')).run as {
        arch: string;
        recipe: Record<string, unknown>;
      },
  );
  for (const t of trials(study)) {
    const want = expectedRecipe(t.arch);
    for (const [k, v] of Object.entries(want)) {
      const got = t.recipe[k];
      if (typeof v === 'number')
        assert.ok(Math.abs((got as number) - v) < 1e-12, `${t.arch}: recipe.${k} ${String(got)} != ${v}`);
      else assert.equal(got, v, `${t.arch}: recipe.${k}`);
    }
    const ck = trained.find((r) => r.arch === t.arch);
    assert.ok(ck, `a checkpoint for ${t.arch}`);
    assert.deepEqual(ck.recipe, t.recipe, 'the trainer trained with the recorded recipe');
  }
}

test('joint search with training: round 1 trains every epoch, the early-stopping epoch is chosen from it, round 2 trains that many; every recipe field reaches the trainer', () => {
  const r = tsnas([...common(), '--trials', '8', '--rounds', '2', '--early-stop-threshold', '0.3', '--study', 'j']);
  assert.equal(r.code, 0, r.stderr);
  const early = state<EarlyStopDecision>('j', 'nars.earlyStop')!;
  assert.equal(early.applies, true);
  assert.equal(early.epochs, 3);
  assert.equal(early.curve.length, 3);
  assert.equal(early.curve[2]!.value, 1, 'the last epoch is the final ranking');
  const first = early.curve.find((c) => c.value >= 0.3)!.epoch;
  assert.equal(early.epoch, first < 3 ? first : null, 'e is the first epoch reaching the threshold');
  const rounds = state<NarsRound[]>('j', 'nars.rounds')!;
  assert.equal(rounds[0]!.stopAfterEpochs, null);
  assert.equal(rounds[1]!.stopAfterEpochs, early.epoch);
  const all = trials('j');
  assert.equal(all.length, 8);
  for (const t of all.filter((x) => x.source === 'nars-round-1')) assert.equal(t.epochs.length, 3);
  for (const t of all.filter((x) => x.source === 'nars-round-2')) {
    assert.equal(t.epochs.length, early.epoch ?? 3, 'round 2 trains the early-stopping epochs');
    assert.equal(t.metrics.accuracy, t.epochs.at(-1)!.valAcc);
  }
  if (early.epoch !== null) {
    assert.match(rounds[1]!.refit!.target, new RegExp(`after ${early.epoch} epochs? \\(the early-stopping epoch\\)`));
    assert.match(r.stderr, new RegExp(`each trained ${early.epoch} epochs? \\(early stopping\\)`));
  }
  // The paper's Figure 5 in the report.
  const html = path.join(dir, 'j.html');
  assert.equal(tsnas(['study', 'report', 'j', '--store', db, '-o', html]).code, 0);
  assert.match(
    fs.readFileSync(html, 'utf8'),
    /of round 1&#39;s ranking at each epoch with its final ranking|of round 1's ranking at each epoch with its final ranking/,
  );
  checkRecipes('j');
});

test('recipe-only search of a fixed architecture with training: only the recipe fields vary', () => {
  const fixed =
    'stem8/k3-c8-n1/k3-f4-e2-c16-n1/k3-f4-e2-c24-n2/k3-f4-e2-c40-n1/optimizer=sgd-lr=0.02-weightDecay=0.00001-ema=0-dropout=0.1-dropPath=0.1-mixup=0';
  const r = tsnas([
    ...common(),
    '--mode',
    'recipe',
    '--fixed',
    fixed,
    '--trials',
    '4',
    '--rounds',
    '2',
    '--study',
    'rec',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /nars: stage 1: the pool's pairs all have the same free statistics \(one architecture\): nothing to pretrain on/,
  );
  const head = (arch: string) => arch.split('/').slice(0, -1).join('/');
  const all = trials('rec');
  assert.equal(all.length, 4);
  for (const t of all) assert.equal(head(t.arch), head(fixed), 'the architecture is held');
  assert.ok(new Set(all.map((t) => t.arch.split('/').at(-1))).size === 4, 'four different recipes');
  checkRecipes('rec');
});

test("tsnas train applies an architecture's searched recipe fields; only the flags given override them", () => {
  const arch =
    'stem8/k3-c8-n1/k3-f4-e2-c16-n1/k3-f4-e2-c24-n2/k3-f4-e2-c40-n1/optimizer=rmsprop-lr=0.021-weightDecay=0.000012-ema=1-dropout=0.05-dropPath=0.2-mixup=0.1';
  const run = (out: string, extra: string[]) => {
    const r = tsnas([
      'train',
      'fbnetv3-s',
      arch,
      '--data',
      'synthetic:0',
      '--limit-train',
      '200',
      '--epochs',
      '1',
      '--threads',
      '1',
      '-o',
      out,
      '--json',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(fs.readFileSync(path.join(out, 'checkpoint.json'), 'utf8')).run.recipe as Record<string, unknown>;
  };
  const own = run(path.join(dir, 'own'), []);
  assert.deepEqual(
    [own.optimizer, own.lr, own.weightDecay, own.ema, own.dropout, own.stochasticDepth, own.mixup],
    ['rmsprop-tf', 0.021, 0.000012, 0.9, 0.05, 0.2, 0.1],
  );
  const flagged = run(path.join(dir, 'flagged'), ['--lr', '0.05']);
  assert.equal(flagged.lr, 0.05, '--lr wins');
  assert.equal(flagged.optimizer, 'rmsprop-tf', "the optimizer stays the architecture's");
});
