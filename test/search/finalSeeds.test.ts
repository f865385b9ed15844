// Results over repeated trainings, and one seed that seeds everything, through a whole study on
// synthetic data (in this process, so the live-tensor count is checked around it):
// `--final-seeds 2` trains the result and the reference twice each with seeds derived from
// `--seed`, records each run with its seed, and states the means, the spread and Welch's test in
// the last lines, the JSON and the report (with the runs' chart); the same seed is the same run
// (trial recipes, final seeds, accuracies) and another seed draws other training seeds; a study
// made before training seeds came from the study's seed resumes with its recipe's seed; a resume
// may raise the runs per network (never lower them). Also the statement of repeated runs on given
// numbers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  compareFinalNetworks,
  type FinalTrainedNetwork,
  type FinalTrainingState,
} from '../../src/search/finalTraining';
import { finalTrainingSeed, pinnedReplicaSeed, stableText, trialTrainingSeed } from '../../src/random/studySeeds';
import { parseArch } from '../../src/space/archFormat';
import { spaceFromText } from '../../src/space/loadSpace';
import { StudyStore } from '../../src/study/store';
import { studyInit } from '../../src/search/config';
import { configureSearch } from '../../src/search/setupSearch';
import { runStudy } from '../../src/search/runStudy';
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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-final-seeds-'));
  db = path.join(dir, 'tsnas.db');
  spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, SPACE_YAML);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const search = (study: string, seed: number, finalSeeds: number) =>
  tinyFinalSearch({ spaceFile, db, study, extra: ['--final-seeds', String(finalSeeds), '--seed', String(seed)] });

/** Each trial's recorded training seed, by trial number. */
function trialSeeds(study: string): Array<{ arch: string; seed: number; splitSeed: number | undefined }> {
  const store = StudyStore.open(db);
  try {
    return store.trials(store.requireStudy(study).id).map((t) => ({
      arch: t.arch,
      seed: (t.recipe as { seed: number }).seed,
      splitSeed: (t.recipe as { splitSeed?: number }).splitSeed,
    }));
  } finally {
    store.close();
  }
}

test(
  '--final-seeds 2: two runs of each network with derived seeds, the statement on means with spread and test',
  noLeaks(async () => {
    const r = await tsnasInProcess(search('s5', 5, 2));
    assert.equal(r.code, 0, r.stderr);
    const f = JSON.parse(r.last).finalTraining as FinalTrainingState;
    const space = spaceFromText(SPACE_YAML, spaceFile);
    // Every trial trained with the seed of (study seed, its identity).
    for (const t of trialSeeds('s5'))
      assert.equal(t.seed, trialTrainingSeed(5, stableText({ arch: parseArch(space, t.arch), recipe: null })));
    // Two runs of each network, each recorded with its run and its seed.
    assert.equal(f.networks.length, 4);
    for (const name of [f.networks[0]!.name, 'tiny-base']) {
      const runs = f.networks.filter((n) => n.name === name);
      assert.deepEqual(
        runs.map((n) => n.replica),
        [0, 1],
        name,
      );
      assert.deepEqual(
        runs.map((n) => n.seed),
        [finalTrainingSeed(5, 0, name), finalTrainingSeed(5, 1, name)],
        `${name}: the seeds of (study seed, run, network)`,
      );
      assert.notEqual(runs[0]!.checkpoint, runs[1]!.checkpoint, 'each run its own checkpoint');
      assert.equal(runs[0]!.measuredLatencyUs, runs[1]!.measuredLatencyUs, 'the network is timed once');
    }
    assert.match(f.recipe, /each network trained 2 times \(seeds derived from the study's seed 5\)/);
    assert.equal(f.summaries?.length, 2);
    for (const s of f.summaries!) assert.equal(s.testAccs.length, 2);
    const c = f.comparisons[0]!;
    assert.deepEqual(c.runs, { result: 2, reference: 2 });
    assert.equal(c.test?.name, "Welch's t-test");
    assert.ok(c.test!.p >= 0 && c.test!.p <= 1, `p ${c.test!.p}`);
    assert.equal(c.beyondNoise, c.test!.p < 0.05);
    const means = f.summaries!.map((s) => (s.testAccs[0]! + s.testAccs[1]!) / 2);
    assert.ok(Math.abs(c.accuracyPoints! - (means[0]! - means[1]!) * 100) < 1e-9, 'the difference of the means');
    assert.match(c.text, /points of mean test accuracy/);
    assert.match(
      c.text,
      /over 2 seeds each, .*% ± .* points \(.*%\) against .*%.*: the difference is (larger than|within) the noise at p .*Welch's t-test/,
    );
    // The last lines: the runs, each network's mean and spread, then the statement.
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.at(-2), `final: ${c.text}`);
    assert.ok(lines.some((l) => /^final: tiny-base: mean test accuracy .*2 seeds/.test(l)));
    assert.ok(
      lines.some((l) =>
        new RegExp(`^final: tiny-base \\(run 2, seed ${finalTrainingSeed(5, 1, 'tiny-base')}\\)`).test(l),
      ),
    );
    // The report: the runs' table with their seeds and the runs' chart.
    const html = path.join(dir, 's5.html');
    const rep = await tsnasInProcess(['study', 'report', 's5', '--store', db, '-o', html]);
    assert.equal(rep.code, 0, rep.stderr);
    const page = fs.readFileSync(html, 'utf8');
    assert.doesNotMatch(page, /data-chart-error/);
    assert.match(page, /id="final-runs"/);
    assert.ok(page.includes(`<td>${finalTrainingSeed(5, 1, 'tiny-base')}</td>`), "a run's seed in the report");
    assert.match(page, /Test accuracy of each final run/);
    assert.match(page, /tiny-base \(final, mean of 2 runs\)/);

    // The same seed is the same run: trial seeds, final seeds and accuracies.
    const same = await tsnasInProcess(search('s5b', 5, 2));
    assert.equal(same.code, 0, same.stderr);
    const g = JSON.parse(same.last).finalTraining as FinalTrainingState;
    assert.deepEqual(trialSeeds('s5b'), trialSeeds('s5'));
    assert.deepEqual(
      g.networks.map((n) => [n.name, n.seed, n.testAcc]),
      f.networks.map((n) => [n.name, n.seed, n.testAcc]),
    );
    // Another seed: other training seeds and another shared split.
    const other = await tsnasInProcess(search('s6', 6, 1));
    assert.equal(other.code, 0, other.stderr);
    const o = JSON.parse(other.last).finalTraining as FinalTrainingState;
    assert.equal(o.networks.length, 2);
    assert.notEqual(trialSeeds('s6')[0]!.splitSeed, trialSeeds('s5')[0]!.splitSeed);
    for (const n of o.networks) assert.equal(n.seed, finalTrainingSeed(6, 0, n.name));
    assert.notEqual(o.networks.find((n) => n.name === 'tiny-base')!.seed, finalTrainingSeed(5, 0, 'tiny-base'));
    assert.match(
      o.comparisons[0]!.text,
      /one seed each: a single seed cannot tell the difference from training noise$/,
    );
    assert.equal(o.comparisons[0]!.test, null);
    assert.equal(o.comparisons[0]!.beyondNoise, null);
    // A resume may raise the runs per network: the runs done are read back, the new ones train.
    const more = await tsnasInProcess(['search', '--resume', 's6', '--store', db, '--final-seeds', '2', '--json']);
    assert.equal(more.code, 0, more.stderr);
    const m = JSON.parse(more.last).finalTraining as FinalTrainingState;
    assert.equal(m.networks.length, 4);
    assert.deepEqual(
      m.networks.filter((n) => n.replica === 0),
      o.networks,
      'the first runs are read back',
    );
    for (const n of m.networks.filter((x) => x.replica === 1)) assert.equal(n.seed, finalTrainingSeed(6, 1, n.name));
    assert.equal(m.comparisons[0]!.test?.name, "Welch's t-test");
    const fewer = await tsnasInProcess(['search', '--resume', 's6', '--store', db, '--final-seeds', '1']);
    assert.equal(fewer.code, 1);
    assert.match(
      fewer.stderr,
      /--final-seeds 1: the study trains each final network 2 times, and a resume only raises it/,
    );
    // tsnas study finalize raises it too, without a search: the runs made are kept, the study records 3.
    const fin = await tsnasInProcess(['study', 'finalize', 's6', '--store', db, '--final-seeds', '3', '--json']);
    assert.equal(fin.code, 0, fin.stderr);
    const f3 = JSON.parse(fin.last).finalTraining as FinalTrainingState;
    assert.equal(f3.networks.length, 6);
    assert.deepEqual(
      f3.networks.filter((n) => (n.replica ?? 0) < 2),
      m.networks,
      'the runs made are read back',
    );
    for (const n of f3.networks.filter((x) => x.replica === 2)) assert.equal(n.seed, finalTrainingSeed(6, 2, n.name));
    const again = await tsnasInProcess(['search', '--resume', 's6', '--store', db, '--final-seeds', '2']);
    assert.equal(again.code, 1, 'the study now trains 3 runs a network');
    assert.match(again.stderr, /the study trains each final network 3 times/);
  }),
);

test(
  'a study made before training seeds came from its seed resumes with its recipe seed',
  noLeaks(async () => {
    const config = configureSearch({
      strategy: 'random',
      space: spaceFile,
      data: 'synthetic:0',
      seed: 9,
      trials: 1,
      train: { epochs: 1, limitTrain: 200, threads: 1 },
      final: { epochs: 1, limitTrain: 300, references: ['tiny-base'] },
    });
    // As such a study stored its configuration: no `trainingSeeds`, no `final.seeds`.
    delete config.trainingSeeds;
    delete config.final!.seeds;
    const store = StudyStore.open(db);
    store.createStudy(studyInit('old', config));
    store.close();
    const r = await runStudy({ resume: 'old', store: db });
    assert.deepEqual(
      trialSeeds('old').map((t) => [t.seed, t.splitSeed]),
      [[0, undefined]],
      "the recipe's seed",
    );
    const f = r.finalTraining!;
    assert.equal(f.networks.length, 2, 'one run each');
    for (const n of f.networks) {
      assert.equal(n.seed, 0, `${n.name}: the recipe's seed`);
      assert.doesNotMatch(n.checkpoint, /-run\d/);
    }
    assert.match(f.recipe, /each network trained once \(seed 0\)/);
    // Raised on resume, its first runs stay as recorded and the new ones derive from its recipe's seed.
    const more = await runStudy({ resume: 'old', store: db, overrides: { final: { seeds: 2 } } });
    const m = more.finalTraining!;
    assert.deepEqual(
      m.networks.filter((n) => n.replica === 0),
      f.networks,
    );
    for (const n of m.networks.filter((x) => x.replica === 1)) {
      assert.equal(n.seed, pinnedReplicaSeed(0, 1), n.name);
      assert.match(n.checkpoint, /-run2-/);
    }
    await assert.rejects(
      runStudy({ resume: 'old', store: db, overrides: { final: { epochs: 3 } } }),
      /`final\.epochs` cannot change when a study resumes \(only `final\.seeds` may rise\)/,
    );
  }),
);

/** One run of a network for the statements; the result is faster (2.42 ms against 4.97 ms) unless `latencyUs` says. */
const net = (
  name: string,
  role: 'result' | 'reference',
  testAcc: number,
  replica: number,
  latencyUs: number = role === 'result' ? 2420 : 4970,
): FinalTrainedNetwork => ({
  role,
  name,
  trial: role === 'result' ? 3 : null,
  arch: 'a',
  source: null,
  checkpoint: `${name}-${replica}`,
  replica,
  seed: 100 + replica,
  epochs: 1,
  trainImages: 10,
  emaDecay: null,
  testAcc,
  searchValAcc: null,
  trainAcc: null,
  flops: 1,
  params: 1,
  tableLatencyUs: latencyUs,
  measuredLatencyUs: null,
  measuredP25Us: null,
  measuredP75Us: null,
  measuredWith: null,
  seconds: 1,
});

test('the statement of repeated runs: means, spread, and whether the difference is larger than the noise', () => {
  // SciPy: ttest_ind([0.8873, 0.8851, 0.8902], [0.8945, 0.8931, 0.8962], equal_var=False).pvalue = 0.0220
  const apart = compareFinalNetworks([
    ...[0.8873, 0.8851, 0.8902].map((a, k) => net('searched #3', 'result', a, k)),
    ...[0.8945, 0.8931, 0.8962].map((a, k) => net('base', 'reference', a, k)),
  ])[0]!;
  assert.equal(
    apart.text,
    'searched #3 is 2.05x as fast as base (table latency 2.42 ms against 4.97 ms, -51%) at -0.71 points of mean test accuracy (88.75% against 89.46%): ' +
      "it misses base's accuracy by 0.71 points; over 3 seeds each, 88.75% ± 0.26 points (88.51-89.02%) against 89.46% ± 0.16 points (89.31-89.62%): " +
      "the difference is larger than the noise at p = 0.022 (Welch's t-test)",
  );
  assert.equal(apart.beyondNoise, true);
  assert.ok(Math.abs(apart.test!.p - 0.02200231619270509) < 1e-9);
  // Overlapping runs: within the noise.
  const close = compareFinalNetworks([
    ...[0.88, 0.89].map((a, k) => net('searched #3', 'result', a, k)),
    ...[0.885, 0.887, 0.879].map((a, k) => net('base', 'reference', a, k)),
  ])[0]!;
  assert.equal(close.beyondNoise, false);
  assert.match(
    close.text,
    /over 2 and 3 seeds, .*: the difference is within the noise at p = 0\.\d\d \(Welch's t-test; larger below p = 0\.05\)$/,
  );
  // States made before runs were recorded (no run, no seed): one run each, no test.
  const old = compareFinalNetworks(
    [net('searched #3', 'result', 0.9, 0), net('base', 'reference', 0.89, 0)].map(({ replica, seed, ...n }) => {
      void replica;
      void seed;
      return n;
    }),
  )[0]!;
  assert.equal(old.test, null);
  assert.match(old.text, /\+1\.00 points of test accuracy .*one seed each: a single seed cannot tell/);
});

test('the verdict: faster within the noise beats; as fast and as accurate, or slower, does not; at chance there is none', () => {
  const runs = (name: string, role: 'result' | 'reference', accs: number[], latencyUs: number) =>
    accs.map((a, k) => net(name, role, a, k, latencyUs));
  // Faster, a lower mean within the noise: it beats the reference.
  const faster = compareFinalNetworks([
    ...runs('searched #3', 'result', [0.878, 0.888], 2420),
    ...runs('base', 'reference', [0.885, 0.887, 0.879], 4970),
  ])[0]!;
  assert.equal(faster.beyondNoise, false);
  assert.ok(faster.accuracyPoints! < 0);
  assert.equal(faster.beats, true);
  assert.match(faster.text, /: it beats base; over 2 and 3 seeds/);
  // 2% slower (equal latency) at a higher mean within the noise: a tie, not a win.
  const tie = compareFinalNetworks([
    ...runs('searched #3', 'result', [0.886, 0.884, 0.889], 5070),
    ...runs('base', 'reference', [0.885, 0.887, 0.879], 4970),
  ])[0]!;
  assert.equal(tie.beyondNoise, false);
  assert.equal(tie.beats, false);
  assert.match(
    tie.text,
    /at equal table latency .*: it does not beat base, which is as fast and as accurate within the noise;/,
  );
  // Both at chance on a 10-class set (a tiny colour image folder): the statement says so, no verdict.
  const chance = compareFinalNetworks(
    [...runs('searched #3', 'result', [0.1, 0.1, 0.1], 5070), ...runs('base', 'reference', [0.1, 0.1, 0.1], 4970)],
    { classes: 10 },
  )[0]!;
  assert.equal(chance.beats, false);
  assert.match(
    chance.text,
    /both sit at chance accuracy \(guessing among 10 classes gives 10\.00%\), so neither beats the other/,
  );
  assert.doesNotMatch(chance.text, /it beats|it does not beat|it misses/);
  assert.match(chance.measuredText, /both sit at chance accuracy/);
  // Faster, both at chance: still no verdict; above chance on 10 classes, the verdict as before.
  const fastChance = compareFinalNetworks(
    [...runs('searched #3', 'result', [0.11], 2420), ...runs('base', 'reference', [0.1], 4970)],
    { classes: 10 },
  )[0]!;
  assert.equal(fastChance.beats, false);
  assert.match(fastChance.text, /2\.05x as fast as base .*both sit at chance accuracy/);
  const learned = compareFinalNetworks(
    [...runs('searched #3', 'result', [0.6], 2420), ...runs('base', 'reference', [0.1], 4970)],
    { classes: 10 },
  )[0]!;
  assert.equal(learned.beats, true);
});
