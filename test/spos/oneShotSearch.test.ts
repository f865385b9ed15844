// `tsnas search spos` and `tsnas search abs` end to end, in child processes, on the tiny test
// space with synthetic data: the supernet epochs, the evolution (its generations and unseen paths),
// the best path retrained as the study's trial with --json and the final network, the report's
// one-shot sections; ABS's rounds in the state (scores of every active op, the lowest dropped,
// no layer emptied), then kill -9 during ABS's training and --resume ending with the rounds,
// fitness and proposals of an uninterrupted run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { ReportSection } from '../../src/report/types';
import type { EvolutionRecord, OneShotProposal, ShrinkRound, TrainingPhase } from '../../src/search/spos/state';
import {
  EVOLUTION_TITLE,
  FITNESS_TITLE,
  ONE_SHOT_VS_STANDALONE_TITLE,
  SHRINK_TITLE,
  TRAINING_TITLE,
} from '../../src/search/spos/report';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { spawnTsnas, tsnas } from '../helpers/tsnasCli';

let dir = '';
let db = '';
let spaceFile = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-spos-'));
  db = path.join(dir, 'tsnas.db');
  spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, TINY_SPACE_YAML);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const common = (strategy: string) => [
  'search',
  strategy,
  '--space',
  spaceFile,
  '--data',
  'synthetic:0',
  '--epochs',
  '2',
  '--population',
  '6',
  '--generations',
  '3',
  '--parents',
  '3',
  '--mutants',
  '2',
  '--crossovers',
  '2',
  '--recal-batches',
  '2',
  '--train-epochs',
  '1',
  '--limit-train',
  '300',
  '--threads',
  '1',
  '--store',
  db,
  '--json',
];

function ok(args: string[]): { json: any; stderr: string } {
  const r = tsnas(args);
  assert.equal(r.code, 0, `tsnas ${args.join(' ')}:\n${r.stderr}`);
  return { json: JSON.parse(r.stdout.trim().split('\n').at(-1)!), stderr: r.stderr };
}

function state<T>(study: string, key: string): T | undefined {
  if (!fs.existsSync(db)) return undefined;
  const conn = new Database(db, { readonly: true });
  try {
    const row = conn
      .prepare(
        'SELECT v.value FROM strategy_state v JOIN studies s ON s.id = v.study_id WHERE s.name = ? AND v.key = ?',
      )
      .get(study, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  } catch {
    return undefined; // the schema is not there yet
  } finally {
    conn.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('search spos end to end: supernet trained, evolution over unseen paths, the best retrained, --json, report sections', () => {
  const { json, stderr } = ok([...common('spos'), '--study', 's']);
  assert.match(stderr, /spos: supernet epoch 1\/2 loss [0-9.]+/);
  assert.match(stderr, /spos: supernet epoch 2\/2 loss [0-9.]+/);
  for (let g = 0; g < 3; g++) assert.match(stderr, new RegExp(`spos: generation ${g}: \\d+ paths`));
  const evo = state<EvolutionRecord>('s', 'spos.evolution')!;
  assert.equal(evo.history.length, 3);
  assert.equal(evo.history[0]!.made.random, 6, 'the first generation: population random paths');
  const keys = evo.evaluated.map((e) => e.indices.join('-'));
  assert.equal(new Set(keys).size, keys.length, 'no path is measured twice');
  assert.ok(evo.evaluated.every((e) => e.fitness >= 0 && e.fitness <= 1));
  assert.equal(evo.recalBatches, 2);
  const fitness = state<Record<string, number>>('s', 'spos.fitness')!;
  assert.equal(Object.keys(fitness).length, keys.length);
  const proposals = state<OneShotProposal[]>('s', 'spos.proposals')!;
  const best = Math.max(...evo.evaluated.map((e) => e.fitness));
  assert.equal(proposals.length, 1);
  assert.equal(proposals[0]!.fitness, best);
  assert.equal(json.trials, 1);
  assert.equal(json.best.arch.replace(/\s/g, ''), proposals[0]!.arch.replace(/\s/g, ''));
  assert.ok(json.final.measuredLatencyUs > 0);
  assert.equal(json.final.source, 'spos-best');
  const training = state<TrainingPhase[]>('s', 'spos.training')!;
  assert.deepEqual(
    training.map((p) => p.records.length),
    [2],
  );
  assert.equal(state('s', 'abs.rounds'), undefined, 'spos does not shrink');
  const sections = state<ReportSection[]>('s', 'report.sections')!;
  assert.deepEqual(
    sections.map((s) => s.title),
    [TRAINING_TITLE, FITNESS_TITLE, EVOLUTION_TITLE],
  );
  const html = path.join(dir, 's.html');
  const rep = tsnas(['study', 'report', 's', '--store', db, '-o', html]);
  assert.equal(rep.code, 0, rep.stderr);
  const text = fs.readFileSync(html, 'utf8');
  for (const t of [TRAINING_TITLE, FITNESS_TITLE, EVOLUTION_TITLE, ONE_SHOT_VS_STANDALONE_TITLE])
    assert.ok(text.includes(t), `the report has '${t}'`);
});

const absArgs = () => [
  ...common('abs'),
  '--target-paths',
  '5',
  '--drop-per-round',
  '2',
  '--round-epochs',
  '1',
  '--angle-paths',
  '50',
];

const timeless = (rs: ShrinkRound[]) => rs.map(({ seconds: _s, ...r }) => r);

test('search abs: rounds recorded (every active op scored, the two lowest dropped, no layer emptied), the search within the shrunk space', () => {
  ok([...absArgs(), '--study', 'a']);
  const rounds = state<ShrinkRound[]>('a', 'abs.rounds')!;
  // 27 paths: 27 -> 12 -> 4 (at most 5).
  assert.deepEqual(
    rounds.map((r) => [r.pathsBefore, r.pathsAfter]),
    [
      [27, 12],
      [12, 4],
    ],
  );
  let active = [[0, 1, 2], [0, 1, 2], [0, 1, 2], [0]];
  for (const r of rounds) {
    assert.equal(r.scores.length, active.flat().length, 'every active op is scored');
    assert.equal(r.dropped.length, 2);
    const droppable = r.scores.filter((s) => active[s.layer]!.length > 1).map((s) => s.score);
    const lowest = [...droppable].sort((a, b) => a - b).slice(0, 2);
    assert.deepEqual(
      r.dropped.map((d) => d.score).sort((a, b) => a - b),
      lowest,
    );
    assert.ok(r.active.every((ops) => ops.length >= 1));
    active = r.active;
  }
  const training = state<TrainingPhase[]>('a', 'spos.training')!;
  assert.deepEqual(
    training.map((p) => p.records.length),
    [2, 1, 1],
  );
  const evo = state<EvolutionRecord>('a', 'spos.evolution')!;
  assert.ok(
    evo.evaluated.every((e) => e.indices.every((i, l) => active[l]!.includes(i))),
    'paths of the shrunk space only',
  );
  assert.equal(evo.evaluated.length, 4, 'the shrunk space has 4 paths, each measured once');
  const sections = state<ReportSection[]>('a', 'report.sections')!;
  assert.ok(sections.some((s) => s.title === SHRINK_TITLE));
});

test('kill -9 during ABS, then --resume: the rounds, fitness and proposals of an uninterrupted run', async () => {
  const child = spawnTsnas([...absArgs(), '--search-limit-train', '2000', '--study', 'k']);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const t0 = Date.now();
  for (;;) {
    if (done) assert.fail(`the search ended before it was killed:\n${stderr}`);
    if ((state<ShrinkRound[]>('k', 'abs.rounds') ?? []).length >= 1) break;
    // A guard against a hung search, not a speed check.
    if (Date.now() - t0 > 600_000) assert.fail(`no round in 10 minutes:\n${stderr}`);
    await sleep(10);
  }
  child.kill('SIGKILL');
  await exited;
  assert.equal(state('k', 'spos.proposals'), undefined, 'killed before the search ended');
  const killedRounds = state<ShrinkRound[]>('k', 'abs.rounds')!;
  const { json, stderr: resumed } = ok(['search', '--resume', 'k', '--store', db, '--json']);
  assert.doesNotMatch(resumed, /supernet epoch 1\/2/, 'the first phase is not trained again');
  assert.deepEqual(
    timeless(state<ShrinkRound[]>('k', 'abs.rounds')!).slice(0, killedRounds.length),
    timeless(killedRounds),
  );
  // The same run uninterrupted.
  ok([...absArgs(), '--search-limit-train', '2000', '--study', 'u']);
  assert.deepEqual(
    timeless(state<ShrinkRound[]>('k', 'abs.rounds')!),
    timeless(state<ShrinkRound[]>('u', 'abs.rounds')!),
  );
  assert.deepEqual(state('k', 'spos.fitness'), state('u', 'spos.fitness'));
  assert.deepEqual(state('k', 'spos.proposals'), state('u', 'spos.proposals'));
  assert.equal(json.trials, 1);
});
