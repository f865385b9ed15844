// `tsnas search dnas` end to end, in child processes, on the tiny test space with synthetic data
// and a latency table of made-up timings: the supernet search (3 epochs), 2 samples + the argmax
// trained 1 epoch each, --json with the measured latency of the final network; the report's DNAS
// sections beside a random-search baseline; a latency budget under the argmax (the most probable
// architecture within it and samples conditioned on it are trained, the argmax is dropped);
// kill -9 during the supernet phase, then --resume continuing from the last epoch's checkpoint
// and ending with the proposals of an uninterrupted run; --cost flops without a table; the flag
// checks (dnas-only flags, --epochs meaning search epochs for dnas).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { DnasEpochRecord } from '../../src/search/fbnet/dnas';
import type { LatencyTable } from '../../src/latency';
import { costRange } from '../../src/supernet/candidateCosts';
import type { DnasStoredProposals as DnasProposals } from '../../src/search/fbnet';
import { latencyCandidateCosts } from '../../src/supernet/latencyCosts';
import type { FinalNetwork } from '../../src/search/finalNetwork';
import { CURVES_TITLE, DISTRIBUTIONS_TITLE, RESULT_TITLE } from '../../src/search/fbnet/report';
import { spaceFromText } from '../../src/space/loadSpace';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { spawnTsnas, tsnas } from '../helpers/tsnasCli';

let dir = '';
let db = '';
let spaceFile = '';
let lut = '';
let table: LatencyTable;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-dnas-'));
  db = path.join(dir, 'tsnas.db');
  spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, TINY_SPACE_YAML);
  lut = path.join(dir, 'tiny.lut.json');
  table = await fakeLatencyTable(spaceFromText(TINY_SPACE_YAML, spaceFile), undefined, 40);
  fs.writeFileSync(lut, JSON.stringify(table));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The common flags: 3 search epochs (1 warm-up), 2 samples + argmax trained 1 epoch on 300 images, 1 thread. */
const common = () => [
  'search',
  'dnas',
  '--space',
  spaceFile,
  '--data',
  'synthetic:0',
  '--epochs',
  '3',
  '--warmup',
  '1',
  '--samples',
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

function trials(
  study: string,
): Array<{ number: number; state: string; arch: string; source: string; latency_us: number | null }> {
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare('SELECT t.* FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? ORDER BY t.number')
      .all(study) as never;
  } finally {
    conn.close();
  }
}

function studyConfig(study: string): any {
  const conn = new Database(db, { readonly: true });
  try {
    return JSON.parse(
      (conn.prepare('SELECT config FROM studies WHERE name = ?').get(study) as { config: string }).config,
    );
  } finally {
    conn.close();
  }
}

const timeless = (rs: DnasEpochRecord[]) => rs.map(({ seconds: _s, ...r }) => r);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('search dnas end to end: supernet epochs logged, K samples + argmax trained, --json with the measured latency, report sections beside a baseline', async () => {
  const { json, stderr } = ok([...common(), '--lut', lut, '--study', 'a']);
  for (let e = 1; e <= 3; e++)
    assert.match(stderr, new RegExp(`dnas epoch +${e}/3 (warmup|search) tau [0-9.]+ +expected latency [0-9.]+(us|ms)`));
  assert.match(stderr, /drew 2 samples \+ the argmax from the learned distribution/);
  assert.match(stderr, /dnas: final network trial \d+ .*measured latency/);

  const cfg = studyConfig('a');
  assert.equal(cfg.options.epochs, 3, '--epochs is the search epochs for dnas');
  assert.equal(cfg.options.warmup, 1);
  assert.equal(cfg.train.epochs, 1, "--train-epochs is the candidates' epochs");
  assert.equal(cfg.train.reportTest, true, 'dnas reports test accuracy by default');

  const records = state<DnasEpochRecord[]>('a', 'dnas.records')!;
  assert.deepEqual(
    records.map((r) => r.epoch),
    [1, 2, 3],
  );
  assert.deepEqual(
    records.map((r) => r.phase),
    ['warmup', 'search', 'search'],
  );
  assert.equal(records[0]!.costUnit, 'us');
  const proposals = state<DnasProposals>('a', 'dnas.proposals')!;
  assert.equal(proposals.proposals.length, 3);
  assert.deepEqual(
    proposals.proposals.map((p) => p.source),
    ['dnas-argmax', 'dnas-sample', 'dnas-sample'],
  );
  assert.equal(proposals.proposals[0]!.arch.replace(/\s/g, ''), records[2]!.argmax);
  const ts = trials('a');
  assert.deepEqual(
    ts.map((t) => [t.arch, t.source, t.state]),
    proposals.proposals.map((p) => [p.arch, p.source, 'complete']),
  );
  for (const [i, t] of ts.entries()) assert.equal(t.latency_us, proposals.proposals[i]!.tableLatencyUs);

  assert.equal(json.study, 'a');
  assert.equal(json.trials, 3);
  const final = json.final as FinalNetwork;
  assert.equal(final.trial, json.best.number);
  assert.ok(json.best.metrics.measuredLatencyUs > 0, 'best.metrics.measuredLatencyUs');
  assert.equal(json.best.metrics.measuredLatencyUs, final.measuredLatencyUs);
  assert.equal(final.tableLatencyUs, json.best.metrics.latencyUs);
  assert.ok(final.testAcc !== null && final.testAcc >= 0 && final.testAcc <= 1);
  assert.ok(final.flops! > 0);
  assert.deepEqual(state<FinalNetwork>('a', 'final'), final);

  // A random-search baseline (the synthetic evaluator: no training), then the report.
  ok([
    'search',
    'random',
    '--space',
    spaceFile,
    '--evaluator',
    'synthetic:1',
    '--lut',
    lut,
    '--trials',
    '8',
    '--store',
    db,
    '--study',
    'r',
    '--json',
  ]);
  const html = path.join(dir, 'a.html');
  const rep = tsnas(['study', 'report', 'a', '--store', db, '--baseline', 'r', '-o', html]);
  assert.equal(rep.code, 0, rep.stderr);
  const text = fs.readFileSync(html, 'utf8');
  for (const title of [DISTRIBUTIONS_TITLE, CURVES_TITLE, RESULT_TITLE])
    assert.ok(text.includes(`<h2>${title.replace(/&/g, '&amp;')}</h2>`), title);
  for (const chart of ['section-1-1', 'section-2-1', 'section-2-2', 'section-2-3', 'section-3-1']) {
    assert.match(text, new RegExp(`<figure class="chart" data-chart="${chart}"><svg`), `${chart} is drawn`);
  }
  assert.ok(!text.includes('class="chart-error"'), 'no chart failed');
  for (const s of [
    'Per-layer candidate probabilities by epoch',
    'Expected latency against epochs',
    'Temperature against epochs',
    'Sampled and final architectures',
    'final #',
    'baseline (random search)',
    'measured latency',
  ]) {
    assert.ok(text.includes(s), `report mentions '${s}'`);
  }
});

test('a latency budget under the argmax: the most probable architecture within it is trained instead (the argmax dropped), samples are conditioned on it; the search is unchanged', () => {
  const unconstrained = state<DnasProposals>('a', 'dnas.proposals')!.proposals;
  assert.equal(unconstrained[0]!.source, 'dnas-argmax');
  const argmaxUs = unconstrained[0]!.tableLatencyUs!;
  const cheapest = costRange(latencyCandidateCosts(table, spaceFromText(TINY_SPACE_YAML, spaceFile))).min;
  assert.ok(argmaxUs > cheapest + 2, `the argmax (${argmaxUs} µs) is not the cheapest architecture (${cheapest} µs)`);
  const budget = Math.round(((cheapest + argmaxUs) / 2) * 100) / 100;
  const { json, stderr } = ok([...common(), '--lut', lut, '--study', 't', '--target-latency', `${budget}us`]);
  assert.match(
    stderr,
    /the argmax is over the target latency of .*: proposing the most probable architecture within it instead/,
  );
  assert.match(stderr, /conditioned on the target latency \(seed \d+\): \d+ draws, acceptance rate [0-9.]+%/);
  const p = state<DnasProposals>('t', 'dnas.proposals')!;
  assert.equal(p.targetLatencyUs, budget);
  assert.equal(p.budget!.first, 'dnas-argmax-budget');
  assert.deepEqual(
    p.proposals.map((q) => q.source),
    ['dnas-argmax-budget', ...Array(p.budget!.samples.found).fill('dnas-sample')],
  );
  // On this table the argmax is the second cheapest architecture: only the cheapest fits, so no samples.
  if (p.budget!.samples.found < 2)
    assert.match(
      stderr,
      new RegExp(
        `only ${p.budget!.samples.found} of the 2 asked: no more distinct ones within the budget in the 4000 draws allowed`,
      ),
    );
  for (const k of p.proposals)
    assert.ok(k.tableLatencyUs! <= budget + 1e-6, `${k.arch}: ${k.tableLatencyUs} within ${budget}`);
  assert.deepEqual(
    p.dropped.map((d) => [d.arch, d.source]),
    [[unconstrained[0]!.arch, 'dnas-argmax']],
  );
  assert.match(p.dropped[0]!.reason, /^latency .* > target/);
  assert.deepEqual(
    timeless(state<DnasEpochRecord[]>('t', 'dnas.records')!),
    timeless(state<DnasEpochRecord[]>('a', 'dnas.records')!),
    'the budget does not change the search',
  );
  assert.deepEqual(
    trials('t').map((t) => [t.arch, t.source]),
    p.proposals.map((q) => [q.arch, q.source]),
    'the proposals are trained, with their sources',
  );
  assert.equal(json.trials, p.proposals.length);
  assert.ok(json.final.tableLatencyUs <= budget + 1e-6);
  const html = path.join(dir, 't.html');
  assert.equal(tsnas(['study', 'report', 't', '--store', db, '-o', html]).code, 0);
  const text = fs.readFileSync(html, 'utf8');
  assert.match(text, /1 proposal dropped before training \(over the budget\)/);
  assert.ok(text.includes(`target ${budget} µs`), 'the target latency is drawn as a reference line');
  assert.match(
    text,
    /<td>dnas-argmax-budget( <span class="badge">final<\/span>)?<\/td>/,
    'the report lists the budget argmax among the trained proposals',
  );
});

test('kill -9 during the supernet search, then --resume: finished epochs kept, the epoch counter continues, the proposals of an uninterrupted run', async () => {
  // 2000 images for the supernet: an epoch takes long enough to be killed in the middle of the next one.
  const args = [...common(), '--lut', lut, '--search-limit-train', '2000'];
  const child = spawnTsnas([...args, '--study', 'k']);
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
    if ((state<DnasEpochRecord[]>('k', 'dnas.records') ?? []).length >= 1) break;
    // A guard against a hung search (10 min, far beyond any machine's pace), not a speed check.
    if (Date.now() - t0 > 600_000) assert.fail(`no epoch finished in 10 minutes:\n${stderr}`);
    await sleep(10);
  }
  child.kill('SIGKILL');
  await exited;
  const killed = state<DnasEpochRecord[]>('k', 'dnas.records')!;
  assert.ok(killed.length >= 1 && killed.length < 3, `killed during the search (${killed.length} epochs done)`);
  assert.equal(state('k', 'dnas.proposals'), undefined, 'killed before the proposals were drawn');
  assert.equal(trials('k').length, 0);

  const { json, stderr: resumed } = ok(['search', '--resume', 'k', '--store', db, '--json']);
  const n = killed.length;
  assert.match(resumed, new RegExp(`resuming the supernet search after epoch ${n} of 3`));
  assert.match(resumed, new RegExp(`the search resumed from its checkpoint after epoch ${n}`));
  for (let e = 1; e <= n; e++)
    assert.doesNotMatch(resumed, new RegExp(`dnas epoch +${e}/3`), `epoch ${e} is not run again`);
  for (let e = n + 1; e <= 3; e++) assert.match(resumed, new RegExp(`dnas epoch +${e}/3`));
  const records = state<DnasEpochRecord[]>('k', 'dnas.records')!;
  assert.deepEqual(
    records.map((r) => r.epoch),
    [1, 2, 3],
  );
  assert.deepEqual(records.slice(0, n), killed, "the finished epochs' records are unchanged");
  assert.deepEqual(state('k', 'dnas.progress'), { epochsDone: 3, epochs: 3, resumedFrom: n });

  const u = ok([...args, '--study', 'u']);
  assert.deepEqual(
    timeless(records),
    timeless(state<DnasEpochRecord[]>('u', 'dnas.records')!),
    'the records of an uninterrupted run',
  );
  const pk = state<DnasProposals>('k', 'dnas.proposals')!;
  const pu = state<DnasProposals>('u', 'dnas.proposals')!;
  assert.deepEqual(
    pk.proposals.map((p) => [p.arch, p.source]),
    pu.proposals.map((p) => [p.arch, p.source]),
    'the same proposals',
  );
  assert.deepEqual(
    trials('k').map((t) => t.arch),
    trials('u').map((t) => t.arch),
  );
  assert.equal(json.best.arch, u.json.best.arch);
});

test('--cost flops needs no latency table; dnas flags are checked', () => {
  const { json, stderr } = ok([...common(), '--cost', 'flops', '--study', 'f']);
  assert.match(stderr, /LAT in kMAC/);
  assert.equal(state<DnasEpochRecord[]>('f', 'dnas.records')![0]!.costUnit, 'kMAC');
  assert.equal(json.final.tableLatencyUs, null);
  assert.ok(json.final.measuredLatencyUs > 0);
  assert.equal(json.best.metrics.latencyUs, undefined);
  const html = path.join(dir, 'f.html');
  assert.equal(tsnas(['study', 'report', 'f', '--store', db, '-o', html]).code, 0);
  const text = fs.readFileSync(html, 'utf8');
  assert.ok(text.includes('Expected MACs against epochs') && text.includes('vs MACs'));

  const noTable = tsnas([...common(), '--study', 'x']);
  assert.equal(noTable.code, 1);
  assert.match(noTable.stderr, /needs a latency table: give --lut FILE .* or search on FLOPs with --cost flops/);
  const budgetNoTable = tsnas([...common(), '--cost', 'flops', '--target-latency', '1ms', '--study', 'x']);
  assert.equal(budgetNoTable.code, 1);
  assert.match(budgetNoTable.stderr, /--target-latency 1000 .* needs a latency table/);
  const random = tsnas([
    'search',
    'random',
    '--space',
    spaceFile,
    '--evaluator',
    'synthetic',
    '--alpha',
    '0.5',
    '--store',
    db,
    '--study',
    'x',
  ]);
  assert.equal(random.code, 1);
  assert.match(random.stderr, /--alpha only applies to the dnas strategy/);
  const warm = tsnas([...common(), '--cost', 'flops', '--warmup', '3', '--study', 'x']);
  assert.equal(warm.code, 1);
  assert.match(warm.stderr, /warmup must be less than epochs/);
  const synthetic = tsnas([
    'search',
    'dnas',
    '--space',
    spaceFile,
    '--evaluator',
    'synthetic',
    '--cost',
    'flops',
    '--store',
    db,
    '--study',
    'x',
  ]);
  assert.equal(synthetic.code, 1);
  assert.match(synthetic.stderr, /dnas strategy trains a supernet on the data .* give --data D/);
});
