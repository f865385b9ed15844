// `tsnas search nars` end to end in child processes, with the synthetic and tabular evaluators: the
// stages' records in the study's state, rounds after round 1 picked by the refit predictor, --json,
// the report's sections, stage 3's answers (`--budgets` at the end of the search and `tsnas study
// answer` later, reused when asked again, within their budgets, evaluated with --train), a latency
// table (pretraining on table latency, a latency budget, a space smaller than the pool), bad
// settings refused before any work, and kill -9 in every stage then --resume ending with what an
// uninterrupted study evaluates and answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { makeCostModel } from '../../src/cost/costModel';
import { syntheticFunction } from '../../src/evaluate/synthetic';
import { sampleUniformN } from '../../src/arch/sample';
import { formatArch, parseArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import { pairFeatures } from '../../src/search/nars/encoding';
import { poolArch } from '../../src/search/nars/pool';
import { loadPredictor, predictScores } from '../../src/search/nars/predictor';
import {
  ANSWERS_TITLE,
  EARLY_STOP_TITLE,
  PREDICTED_TITLE,
  ROUNDS_PLANE_TITLE,
  STAGE1_TITLE,
} from '../../src/search/nars/report';
import type { NarsAnswerRecord, NarsPoolRecord, NarsPretrainRecord, NarsRound } from '../../src/search/nars/state';
import type { EarlyStopDecision } from '../../src/search/nars/earlyStop';
import { spawnTsnas, tsnas } from '../helpers/tsnasCli';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { TINY_SPACE_YAML, tinySpace } from '../helpers/tinySpace';
import { predictLatency } from '../../src/latency/latencyTable';

let dir = '';
let db = '';
const space = loadSpace('fbnet-s');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-nars-'));
  db = path.join(dir, 'tsnas.db');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** 12 trials in 3 rounds of 4 on the synthetic evaluator, a pool of 1500, a short pretraining. */
const common = () => [
  'search',
  'nars',
  '--space',
  'fbnet-s',
  '--evaluator',
  'synthetic:3',
  '--trials',
  '12',
  '--rounds',
  '3',
  '--pool',
  '1500',
  '--pretrain-epochs',
  '20',
  '--window',
  'flops>=2M,flops<=9M',
  '--constraint',
  'params<=200K',
  '--store',
  db,
  '--json',
];

function ok(args: string[]): { json: any; stderr: string } {
  const r = tsnas(args);
  assert.equal(r.code, 0, `tsnas ${args.join(' ')}:\n${r.stderr}`);
  return { json: JSON.parse(r.last), stderr: r.stderr };
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

interface Row {
  id: number;
  number: number;
  state: string;
  arch: string;
  source: string;
  metrics: string;
  error: string | null;
  [k: string]: unknown;
}

function rows(study: string): Row[] {
  if (!fs.existsSync(db)) return [];
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare('SELECT t.* FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? ORDER BY t.number')
      .all(study) as Row[];
  } catch {
    return [];
  } finally {
    conn.close();
  }
}

const studyDir = (study: string) => path.join(dir, 'studies', study);

test('search nars on the synthetic evaluator: stage 1 and 2 recorded, later rounds the best predicted, --json, report sections, --budgets answered', () => {
  const { json, stderr } = ok([...common(), '--study', 's', '--budgets', 'flops<=4M,params<=100K']);
  assert.equal(json.study, 's');
  assert.equal(json.trials, 12);
  assert.equal(json.failed, 0);
  assert.match(
    stderr,
    /nars: stage 1: pool of 1500 pairs by scrambled Sobol sampling inside params<=200K flops>=2M flops<=9M/,
  );
  assert.match(stderr, /nars: stage 1: pretrained on flops, params of 1200 pairs \(20 epochs/);
  assert.match(stderr, /nars: early stopping: the synthetic evaluator has no epochs/);

  const pool = state<NarsPoolRecord>('s', 'nars.pool')!;
  assert.equal(pool.entries.length, 1500);
  const pre = state<NarsPretrainRecord>('s', 'nars.pretrain')!;
  assert.equal(pre.skipped, null);
  assert.deepEqual(
    pre.validation.map((v) => v.stat),
    ['flops', 'params'],
  );
  for (const v of pre.validation) assert.ok(v.kendall > 0.5 && v.mape < 0.25, JSON.stringify(v));
  assert.ok(fs.existsSync(path.join(studyDir('s'), pre.weights)), 'pretrained weights saved with the study');

  const rounds = state<NarsRound[]>('s', 'nars.rounds')!;
  assert.deepEqual(
    rounds.map((r) => [r.round, r.how, r.candidates.length, r.stopAfterEpochs, r.refit?.samples]),
    [
      [1, 'qmc', 4, null, 4],
      [2, 'predicted', 4, null, 8],
      [3, 'predicted', 4, null, 12],
    ],
  );
  const trials = rows('s');
  assert.deepEqual(
    trials.map((t) => [t.arch, t.source]),
    rounds.flatMap((r) => r.candidates.map((c) => [c.arch, `nars-round-${r.round}`])),
    'the trials are the rounds, in order, tagged by round',
  );
  const poolKeys = new Set(pool.entries.map((e) => formatArch(space, poolArch(space, e))));
  assert.ok(
    trials.every((t) => poolKeys.has(t.arch)),
    'every candidate comes from the pool',
  );
  assert.deepEqual(
    rounds[0]!.candidates.map((c) => c.arch),
    pool.entries.slice(0, 4).map((e) => formatArch(space, poolArch(space, e))),
    'round 1: the Sobol order of the pool',
  );

  // Round 3 is the best predicted by round 2's refit among the pairs not yet evaluated.
  const { model, meta } = loadPredictor(path.join(studyDir('s'), rounds[1]!.refit!.weights));
  try {
    const evaluated = new Set(trials.slice(0, 8).map((t) => t.arch));
    const open = pool.entries.map((e) => poolArch(space, e)).filter((a) => !evaluated.has(formatArch(space, a)));
    const f = pairFeatures(space, open);
    const p = predictScores(model, meta, f.xa, f.xr);
    const best = open
      .map((a, k) => ({ arch: formatArch(space, a), p: p[k]! }))
      .sort((a, b) => b.p - a.p)
      .slice(0, 4);
    assert.deepEqual(
      rounds[2]!.candidates.map((c) => c.arch),
      best.map((b) => b.arch),
    );
    rounds[2]!.candidates.forEach((c, k) => assert.ok(Math.abs(c.predicted! - best[k]!.p) < 1e-9));
  } finally {
    model.dispose();
  }

  // Stage 3 at the end of the search: one answer per budget, within it and the study's constraint.
  const answers = Object.values(state<Record<string, NarsAnswerRecord>>('s', 'nars.answers')!);
  assert.deepEqual(
    answers.map((a) => [a.budget, a.round]),
    [
      ['flops<=4M', 3],
      ['params<=100K', 3],
    ],
  );
  const model2 = makeCostModel(space);
  for (const a of answers) {
    const c = model2.costs(parseArch(space, a.arch));
    assert.ok(c.params! <= 200e3);
    if (a.budget === 'flops<=4M') assert.ok(c.flops! <= 4e6);
    else assert.ok(c.params! <= 100e3);
    assert.ok(a.generations >= 1 + 3, 'at least the patience after the first generation');
    assert.ok(Number.isFinite(a.cpuSeconds));
  }

  const html = path.join(dir, 's.html');
  assert.equal(tsnas(['study', 'report', 's', '--store', db, '-o', html]).code, 0);
  const text = fs.readFileSync(html, 'utf8');
  for (const title of [STAGE1_TITLE, PREDICTED_TITLE, EARLY_STOP_TITLE, ROUNDS_PLANE_TITLE, ANSWERS_TITLE])
    assert.ok(text.includes(title), `the report has '${title}'`);
});

test('tsnas study answer: budgets answered from the finished study in CPU seconds, reused when asked again, evaluated with --train', () => {
  const args = ['study', 'answer', 's', '--store', db, '--json'];
  const first = ok([...args, '--budget', 'flops<=4M', '--budget', 'flops<=3M']);
  assert.equal(first.json.study, 's');
  const [a4, a3] = first.json.answers;
  assert.equal(a4.budget, 'flops<=4M');
  assert.equal(a4.cached, true, 'answered at the end of the search already');
  assert.equal(a3.cached, false);
  assert.ok(a3.costs.flops <= 3e6 && a3.costs.params <= 200e3);
  assert.equal(a3.metrics, null);
  assert.match(
    a3.detail,
    /genetic algorithm: \d+ generations, \d+ pairs scored, stopped by (patience|generations|exhausted)/,
  );
  const again = ok([...args, '--budget', 'flops<=3M']);
  assert.deepEqual({ ...again.json.answers[0], cached: false }, a3, 'the same answer, read back');
  assert.equal(again.json.answers[0].cached, true);

  const trained = ok([...args, '--budget', 'flops<=3M', '--train']);
  const fn = syntheticFunction(space, 3);
  assert.equal(trained.json.answers[0].arch, a3.arch);
  assert.ok(Math.abs(trained.json.answers[0].metrics.accuracy - fn.accuracy(parseArch(space, a3.arch))) < 1e-12);

  const table = tsnas(['study', 'answer', 's', '--store', db, '--budget', 'flops<=3M']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /budget +predicted accuracy +measured accuracy/);

  const low = tsnas([...args, '--budget', 'flops<=500K']);
  assert.notEqual(low.code, 0);
  assert.match(
    low.stderr,
    /budget flops<=500K is below the cheapest architecture of the search: its flops is 887K \(exactly\); give a budget of at least 887K/,
  );
  const lat = tsnas([...args, '--budget', 'latency<=2ms']);
  assert.match(lat.stderr, /budget latency<=2ms needs latencies: the study has no latency table/);
});

test('tsnas study answer refuses a study whose strategy cannot answer, and one that has not finished stage 2', () => {
  ok([
    'search',
    'random',
    '--space',
    'fbnet-s',
    '--evaluator',
    'synthetic:1',
    '--trials',
    '3',
    '--store',
    db,
    '--study',
    'r',
    '--json',
  ]);
  const r = tsnas(['study', 'answer', 'r', '--store', db, '--budget', 'flops<=4M']);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /study 'r' searched with random, which answers a budget only by searching again: .*\(strategies that answer budgets from a finished study: nars\)/,
  );
  // A study of 6 trials, finished.
  ok([...common(), '--study', 'half', '--trials', '6']);
  // Raise the target on the stored study without running it: answer must refuse.
  const conn = new Database(db);
  try {
    const row = conn.prepare('SELECT config FROM studies WHERE name = ?').get('half') as { config: string };
    conn
      .prepare('UPDATE studies SET config = ? WHERE name = ?')
      .run(JSON.stringify({ ...JSON.parse(row.config), trials: 12 }), 'half');
  } finally {
    conn.close();
  }
  const h = tsnas(['study', 'answer', 'half', '--store', db, '--budget', 'flops<=4M']);
  assert.notEqual(h.code, 0);
  assert.match(
    h.stderr,
    /study 'half' cannot answer budgets yet: stage 2 has 6 of its 12 complete trials; finish it with: npx tsnas search --resume half/,
  );
});

test('the tabular evaluator: the pool is the table, every candidate is in it, stage 3 answers with the best predicted entry', () => {
  const fn = syntheticFunction(space, 11);
  const model = makeCostModel(space);
  const entries = sampleUniformN(space, 400, 21);
  const table: Record<string, Record<string, number>> = {};
  for (const a of entries) {
    const c = model.costs(a);
    table[formatArch(space, a)] = { val_acc: fn.accuracy(a), flops: c.flops!, params: c.params! };
  }
  const file = path.join(dir, 'table.json');
  fs.writeFileSync(file, JSON.stringify(table));
  const { json, stderr } = ok([
    'search',
    'nars',
    '--space',
    'fbnet-s',
    '--evaluator',
    `table:${file}`,
    '--metric',
    'accuracy=val_acc',
    '--trials',
    '12',
    '--rounds',
    '3',
    '--pretrain-epochs',
    '20',
    '--budgets',
    'flops<=4M',
    '--store',
    db,
    '--study',
    'tab',
    '--json',
  ]);
  assert.equal(json.trials, 12);
  assert.equal(json.failed, 0, 'no candidate outside the table');
  assert.match(stderr, /nars: stage 1: pool of 400 of the evaluator's 400 architectures/);
  assert.equal(state<NarsPoolRecord>('tab', 'nars.pool')!.how, 'table');
  for (const t of rows('tab')) assert.ok(t.arch in table);
  const [answer] = Object.values(state<Record<string, NarsAnswerRecord>>('tab', 'nars.answers')!);
  assert.ok(answer!.arch in table, 'the answer is an entry of the table');
  assert.ok(table[answer!.arch]!.flops! <= 4e6);
  assert.equal(
    answer!.scored,
    entries.filter((a) => model.costs(a).flops! <= 4e6).length,
    'every entry within the budget scored',
  );
});

test('a latency table: stage 1 pretrains on table latency too; a space smaller than the pool is its whole window; a latency budget is answered', async () => {
  const spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, TINY_SPACE_YAML);
  const lut = path.join(dir, 'tiny.lut.json');
  const table = await fakeLatencyTable(tinySpace(), undefined, 40);
  fs.writeFileSync(lut, JSON.stringify(table));
  const space = tinySpace();
  const all = sampleUniformN(space, 2000, 1)
    .map((a) => predictLatency(table, space, a))
    .sort((a, b) => a - b);
  const budget = Math.round(all[1000]!);
  const { stderr } = ok([
    'search',
    'nars',
    '--space',
    spaceFile,
    '--evaluator',
    'synthetic:2',
    '--lut',
    lut,
    '--trials',
    '9',
    '--rounds',
    '3',
    '--pretrain-epochs',
    '20',
    '--budgets',
    `latency<=${budget}us`,
    '--store',
    db,
    '--study',
    'lat',
    '--json',
  ]);
  assert.match(
    stderr,
    /nars: stage 1: pool of the whole searched space: 27 of its 27 pairs \(fewer than the 20000 asked\)/,
  );
  assert.equal(state<NarsPoolRecord>('lat', 'nars.pool')!.how, 'enumerated');
  const pre = state<NarsPretrainRecord>('lat', 'nars.pretrain')!;
  assert.deepEqual(pre.stats, ['flops', 'params', 'latency']);
  const [answer] = Object.values(state<Record<string, NarsAnswerRecord>>('lat', 'nars.answers')!);
  assert.equal(answer!.budget, `latency<=${budget}us`);
  assert.ok(answer!.costs.latencyUs! <= budget, `${answer!.costs.latencyUs} <= ${budget}`);
  assert.ok(Math.abs(answer!.costs.latencyUs! - predictLatency(table, space, parseArch(space, answer!.arch))) < 1e-6);
});

test('bad settings are refused before any work, with what to change', () => {
  const fails = (extra: string[], pattern: RegExp) => {
    const r = tsnas([...common(), '--study', 'bad', ...extra]);
    assert.notEqual(r.code, 0, extra.join(' '));
    assert.match(r.stderr, pattern);
  };
  fails(
    ['--window', 'flops>=50M'],
    /nars: no architecture of space 'fbnet-s' meets .*flops>=50M.*: widen --window or the constraints/,
  );
  fails(
    ['--pool', '10', '--per-round', '20', '--rounds', '1', '--trials', '20'],
    /m = 20 candidates per round is larger than the pool \(10 pairs/,
  );
  fails(['--pool', '10'], /--trials 12 is more than the pool holds \(10 pairs\)/);
  fails(['--early-stop-threshold', '1.5'], /--early-stop-threshold must be a number in \(0, 1\], got '1.5'/);
  fails(['--early-stop-threshold', '0'], /--early-stop-threshold must be a number in \(0, 1\], got '0'/);
  fails(
    ['--budgets', 'flops<=100K'],
    /budget flops<=100K is below the cheapest architecture of the search: its flops is 887K/,
  );
  fails(
    ['--mode', 'recipe', '--fixed', 'fbnet-s-baseline'],
    /--mode recipe searches the recipe fields of the space, and space 'fbnet-s' has none/,
  );
  fails(['--per-round', '3'], /--per-round 3 x --rounds 3 does not make --trials 12: give two of the three/);
  fails(['--window', 'flops=>2M'], /--window: 'flops=>2M' is not a bound/);
  // Rounds that cannot fit the trials (they ran as 12 rounds of 1 under a stored 20).
  fails(['--rounds', '20'], /nars: rounds 20 cannot fit trials 12: every round evaluates at least one candidate/);
  // A latency window without a table: the table is what is missing, not a wider window.
  fails(
    ['--window', 'latency<=5ms'],
    /nars: the window bounds latency \(latency<=5ms\), and the study has no latency table/,
  );
  const list = tsnas(['study', 'list', '--store', db, '--json']);
  assert.ok(!JSON.parse(list.last).some((s: { name: string }) => s.name === 'bad'), 'no study was created');
});

test('few trials: the default rounds stored as run, a refit on one trial has no Kendall tau (not NaN), and a resume with more trials says why it adds rounds', () => {
  const small = (trials: string, extra: string[] = []) => [
    'search',
    'nars',
    '--space',
    'fbnetv3-s',
    '--evaluator',
    'synthetic',
    '--trials',
    trials,
    '--pool',
    '300',
    '--pretrain-epochs',
    '2',
    '--head-epochs',
    '2',
    '--fine-epochs',
    '2',
    '--study',
    'few',
    '--store',
    db,
    ...extra,
  ];
  const first = tsnas(small('3'));
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /nars: round 1 of 3: 1 candidate/);
  assert.match(first.stderr, /refit after round 1 on 1 complete trial\(s\).*Kendall tau n\/a \(fewer than 2 points\)/);
  assert.doesNotMatch(first.stderr, /NaN/);
  const study = JSON.parse(tsnas(['study', 'list', '--store', db, '--json']).last).find(
    (s: { name: string }) => s.name === 'few',
  );
  assert.ok(study);
  const conn = new Database(db, { readonly: true });
  try {
    const row = conn.prepare("SELECT config FROM studies WHERE name = 'few'").get() as { config: string };
    assert.equal(JSON.parse(row.config).options.rounds, 3, 'the stored T is the T that ran');
  } finally {
    conn.close();
  }
  const more = tsnas(['search', '--resume', 'few', '--trials', '5', '--store', db]);
  assert.equal(more.code, 0, more.stderr);
  assert.match(
    more.stderr,
    /nars: round 4 \(extra: the study's target was raised from the 3 trials the rounds were planned for to 5\)/,
  );
  assert.doesNotMatch(more.stderr, /failed trials|did not complete/);
  assert.equal(rows('few').filter((r) => r.state === 'complete').length, 5);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the search (or its resume) and SIGKILLs it once `when` holds (or after `afterMs`). */
async function runAndKill(args: string[], when: () => boolean, afterMs?: number): Promise<void> {
  const child = spawnTsnas(args);
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
    if (afterMs !== undefined ? Date.now() - t0 >= afterMs : when()) break;
    // A guard against a hung search (10 min, far beyond any machine's pace), not a speed check.
    if (Date.now() - t0 > 600_000) assert.fail(`the moment to kill did not come in 10 minutes:\n${stderr}`);
    await sleep(5);
  }
  child.kill('SIGKILL');
  await exited;
}

test('kill -9 in stage 1 and in stage 2, then --resume: nothing finished is redone, and the study ends with what an uninterrupted one evaluates and answers', async () => {
  // A larger pool and longer pretraining: stage 1 lasts long enough to be killed in its middle.
  const args = [...common(), '--pool', '6000', '--pretrain-epochs', '60', '--budgets', 'flops<=4M'];
  const resume = ['search', '--resume', 'k', '--store', db, '--json', '--eval-delay-ms', '200'];
  // 1: killed while pretraining (the pool stored, the pretrained predictor not yet).
  await runAndKill([...args, '--study', 'k', '--eval-delay-ms', '200'], () => !!state('k', 'nars.pool'));
  const pool = state<NarsPoolRecord>('k', 'nars.pool')!;
  assert.ok(pool);
  assert.equal(state('k', 'nars.pretrain'), undefined, 'killed before the pretraining finished');
  assert.equal(rows('k').length, 0);
  // 2: resumed, killed in the middle of a round-2 trial (round 1 refit, the early-stopping decision made).
  await runAndKill(resume, () => rows('k').some((t) => t.source === 'nars-round-2' && t.state === 'running'));
  const pre = state<NarsPretrainRecord>('k', 'nars.pretrain')!;
  const round1 = state<NarsRound[]>('k', 'nars.rounds')![0]!;
  assert.ok(round1.refit, 'round 1 was refit before round 2 began');
  const early = state<EarlyStopDecision>('k', 'nars.earlyStop')!;
  const finished = rows('k').filter((t) => t.state !== 'running');
  // 3: resumed, killed 1.5 s after launch wherever it falls.
  await runAndKill(resume, () => false, 1500);
  // 4: resumed to the end.
  const { json, stderr } = ok(resume);
  assert.equal(json.trials, 12);
  assert.deepEqual(state('k', 'nars.pool'), pool, 'the pool is stored once');
  assert.deepEqual(state('k', 'nars.pretrain'), pre, 'the pretraining is not redone');
  assert.deepEqual(state<NarsRound[]>('k', 'nars.rounds')![0], round1, "round 1's refit is not redone");
  assert.deepEqual(state('k', 'nars.earlyStop'), early);
  assert.doesNotMatch(stderr, /stage 1: pretrained/);
  const after = rows('k');
  for (const old of finished)
    assert.deepEqual(
      after.find((t) => t.id === old.id),
      old,
      `trial ${old.number} is unchanged`,
    );
  assert.ok(
    after.some((t) => t.error === 'interrupted (process ended)'),
    'the trial running at the kill was interrupted',
  );

  ok([...args, '--study', 'u']);
  const done = (s: string) =>
    rows(s)
      .filter((t) => t.state === 'complete')
      .map((t) => [t.arch, t.metrics, t.source]);
  assert.deepEqual(done('k'), done('u'), 'the same pairs, results and rounds as an uninterrupted study');
  const answers = (s: string) =>
    Object.values(state<Record<string, NarsAnswerRecord>>(s, 'nars.answers')!).map((a) => [
      a.budget,
      a.arch,
      a.predicted,
    ]);
  assert.deepEqual(answers('k'), answers('u'), 'the same stage-3 answers');
  const strip = (p: NarsPretrainRecord | undefined) => p && { ...p, cpuSeconds: 0 };
  assert.deepEqual(strip(state('k', 'nars.pretrain')), strip(state('u', 'nars.pretrain')));
});
