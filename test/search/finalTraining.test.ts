// Final training through the study, for a strategy without a final hook of its own (random): the
// result (the best trial) and a named reference architecture trained with the same final recipe
// (EMA, no validation split, test accuracy), their costs and measured latency, the comparison in
// the last lines of the command and in --json; the checkpoints are artifacts of the study; a
// resume reads the finished networks back, and with the state gone continues from the
// checkpoints rather than training again; the report's section and marks. In this process
// (tsnasInProcess), so the live-tensor count is checked around it. Also the comparison sentence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { compareToReference } from '../../src/search/referenceComparison';
import { emaDecayFor, type FinalTrainingState } from '../../src/search/finalTraining';
import { parseArch } from '../../src/space/archFormat';
import { spaceFromText } from '../../src/space/loadSpace';
import { predictLatency } from '../../src/latency/latencyTable';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { noLeaks } from '../helpers/leakCheck';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { tsnasInProcess } from '../helpers/tsnasCli';
import { tinyFinalSearch } from '../helpers/tinyFinalSearch';

const REFERENCE = 'ir_k3_e3/ir_k3_e3-ir_k3_e3';
const SPACE_YAML = `${TINY_SPACE_YAML}architectures:\n  tiny-base: ${REFERENCE}\n`;

let dir = '';
let db = '';
let spaceFile = '';
let lut = '';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-final-'));
  db = path.join(dir, 'tsnas.db');
  spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, SPACE_YAML);
  lut = path.join(dir, 'tiny.lut.json');
  fs.writeFileSync(lut, JSON.stringify(await fakeLatencyTable(spaceFromText(SPACE_YAML, spaceFile), undefined, 40)));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const search = (study: string, extra: string[] = []) =>
  tinyFinalSearch({ spaceFile, db, study, finalEpochs: 2, lut, extra });

function removeState(study: string): void {
  const conn = new Database(db);
  try {
    conn
      .prepare(
        "DELETE FROM strategy_state WHERE key = 'final.training' AND study_id = (SELECT id FROM studies WHERE name = ?)",
      )
      .run(study);
  } finally {
    conn.close();
  }
}

test(
  'a search trains its result and the reference with the final recipe, compares them, and resumes',
  noLeaks(async () => {
    const r = await tsnasInProcess(search('f1'));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      best: { number: number; arch: string };
      finalTraining: FinalTrainingState;
    };
    const f = out.finalTraining;
    assert.equal(f.networks.length, 2);
    const [result, ref] = f.networks as [FinalTrainingState['networks'][0], FinalTrainingState['networks'][0]];
    assert.equal(result.role, 'result');
    assert.equal(result.trial, out.best.number);
    assert.equal(result.arch, out.best.arch);
    assert.equal(ref.role, 'reference');
    assert.equal(ref.name, 'tiny-base');
    assert.equal(ref.arch, REFERENCE);
    const space = spaceFromText(SPACE_YAML, spaceFile);
    const table = JSON.parse(fs.readFileSync(lut, 'utf8'));
    for (const n of f.networks) {
      assert.equal(n.epochs, 2);
      assert.equal(n.trainImages, 300);
      assert.ok(n.testAcc !== null && n.testAcc >= 0 && n.testAcc <= 1, `test accuracy ${n.testAcc}`);
      assert.ok(n.measuredLatencyUs !== null && n.measuredLatencyUs > 0);
      assert.equal(n.emaDecay, emaDecayFor(2 * Math.floor(300 / 128)));
      assert.ok(Math.abs(n.tableLatencyUs! - predictLatency(table, space, parseArch(space, n.arch))) < 1e-6);
      assert.ok(fs.existsSync(path.join(dir, 'studies', 'f1', n.checkpoint, 'checkpoint.json')), n.checkpoint);
    }
    assert.match(f.recipe, /2 epochs on 300 training images \(a reduced run\).*EMA 0\.9/);
    assert.equal(f.comparisons.length, 1);
    assert.match(f.comparisons[0]!.text, /searched #\d+ .*tiny-base.*table latency/);
    assert.equal(f.comparisons[0]!.accuracyPoints, (result.testAcc! - ref.testAcc!) * 100);
    // The command's last lines: the networks, then the comparisons.
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.at(-2), `final: ${f.comparisons[0]!.text}`);
    assert.match(lines.at(-1)!, /^final: \(measured\) .*measured latency/);
    // The checkpoints are artifacts of the study.
    const conn = new Database(db, { readonly: true });
    const artifacts = conn.prepare("SELECT path FROM artifacts WHERE kind = 'final-checkpoint'").all() as Array<{
      path: string;
    }>;
    conn.close();
    assert.deepEqual(artifacts.map((a) => a.path).sort(), f.networks.map((n) => n.checkpoint).sort());

    // A resume reads the finished networks back: nothing trains again.
    const again = await tsnasInProcess(['search', '--resume', 'f1', '--store', db, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /final training: .* epoch \d/);
    assert.deepEqual(JSON.parse(again.stdout.trim().split('\n').at(-1)!).finalTraining, f);

    // With the state gone, the networks come back from their finished checkpoints, not trained again.
    removeState('f1');
    const fromCheckpoints = await tsnasInProcess(['search', '--resume', 'f1', '--store', db, '--json']);
    assert.equal(fromCheckpoints.code, 0, fromCheckpoints.stderr);
    assert.match(fromCheckpoints.stderr, /searched #\d+ continued from its checkpoint after epoch 2/);
    assert.match(fromCheckpoints.stderr, /tiny-base continued from its checkpoint after epoch 2/);
    const back = JSON.parse(fromCheckpoints.stdout.trim().split('\n').at(-1)!).finalTraining as FinalTrainingState;
    assert.deepEqual(
      back.networks.map((n) => n.testAcc),
      f.networks.map((n) => n.testAcc),
    );

    // The report: the section and the marks on the trade-off chart.
    const html = path.join(dir, 'f1.html');
    const rep = await tsnasInProcess(['study', 'report', 'f1', '--store', db, '-o', html]);
    assert.equal(rep.code, 0, rep.stderr);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /Final training: the result against the references/);
    assert.doesNotMatch(page, /data-chart-error/);
    assert.ok(page.includes(f.comparisons[0]!.text.split(' (')[0]!), 'the comparison in the report');
    assert.match(page, /tiny-base \(final\)/);
    assert.ok(page.includes(`searched #${out.best.number} (final)`));
  }),
);

test(
  "final training distils from a teacher given as a training checkpoint (here the first study's reference)",
  noLeaks(async () => {
    const teacher = fs.readdirSync(path.join(dir, 'studies', 'f1', 'final')).find((d) => d.startsWith('reference-'));
    assert.ok(teacher, 'the first test left its reference checkpoint');
    const args = search('f2', ['--teacher', path.join(dir, 'studies', 'f1', 'final', teacher)]);
    args[args.indexOf('--trials') + 1] = '1';
    const r = await tsnasInProcess(args);
    assert.equal(r.code, 0, r.stderr);
    const f = JSON.parse(r.stdout.trim().split('\n').at(-1)!).finalTraining as FinalTrainingState;
    assert.match(f.recipe, /distilled from .*reference-/);
    assert.equal(f.networks.length, 2);
    for (const n of f.networks) assert.ok(n.testAcc !== null && n.testAcc >= 0 && n.testAcc <= 1);
    const missing = await tsnasInProcess(search('f3', ['--teacher', path.join(dir, 'nowhere')]));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--teacher .*nowhere: no training checkpoint there/);
  }),
);

test('the comparison: faster and as accurate beats; equal latency; slower; a miss says by how much', () => {
  const ref = { name: 'base', testAcc: 0.86, latencyUs: 6000 };
  const fast = compareToReference({ name: 'net', testAcc: 0.868, latencyUs: 3000 }, ref, {
    latencyKind: 'table latency',
  });
  assert.equal(fast.beats, true);
  assert.equal(fast.speedup, 2);
  assert.ok(Math.abs(fast.accuracyPoints! - 0.8) < 1e-9);
  assert.equal(
    fast.text,
    'net is 2.00x as fast as base (table latency 3.00 ms against 6.00 ms, -50%) at +0.80 points of test accuracy (86.80% against 86.00%): it beats base',
  );
  const equal = compareToReference({ name: 'net', testAcc: 0.88, latencyUs: 6100 }, ref);
  assert.equal(equal.beats, true);
  assert.match(equal.text, /^net against base: \+2\.00 points of test accuracy .* at equal latency/);
  const miss = compareToReference({ name: 'net', testAcc: 0.85, latencyUs: 3000 }, ref);
  assert.equal(miss.beats, false);
  assert.match(miss.text, /at -1\.00 points.*: it misses base's accuracy by 1\.00 points$/);
  const slow = compareToReference({ name: 'net', testAcc: 0.9, latencyUs: 9000 }, ref);
  assert.equal(slow.beats, false);
  assert.match(slow.text, /1\.50x as slow as base .*: it does not beat base, which is faster$/);
  const unknown = compareToReference({ name: 'net', testAcc: 0.9, latencyUs: null }, ref);
  assert.equal(unknown.speedup, null);
  assert.equal(unknown.beats, false);
});

test('the comparison: slower at equal accuracy never beats; two networks at chance get no verdict', () => {
  const ref = { name: 'base', testAcc: 0.1, latencyUs: 6000 };
  // 2% slower (latencies count as equal) at the same accuracy: as good, not better.
  const tie = compareToReference({ name: 'net', testAcc: 0.1, latencyUs: 6120 }, ref);
  assert.equal(tie.beats, false);
  assert.match(tie.text, /at equal latency .*: it does not beat base, which is as fast and as accurate$/);
  // The same at chance on 10 classes (seen: a random search on a tiny colour image folder).
  const chance = compareToReference({ name: 'net', testAcc: 0.1, latencyUs: 6120 }, ref, { classes: 10 });
  assert.equal(chance.beats, false);
  assert.match(
    chance.text,
    /: both sit at chance accuracy \(guessing among 10 classes gives 10\.00%\), so neither beats/,
  );
  assert.doesNotMatch(chance.text, /it beats|does not beat/);
  const slower = compareToReference({ name: 'net', testAcc: 0.1, latencyUs: 9000 }, ref, { classes: 10 });
  assert.equal(slower.beats, false);
  assert.match(slower.text, /1\.50x as slow as base .*both sit at chance accuracy/);
  // Faster at equal accuracy beats; equal latency and more accurate beats; the noise decides "more".
  const base = { name: 'base', testAcc: 0.86, latencyUs: 6000 };
  assert.equal(compareToReference({ name: 'net', testAcc: 0.86, latencyUs: 3000 }, base).beats, true);
  assert.equal(compareToReference({ name: 'net', testAcc: 0.87, latencyUs: 6100 }, base).beats, true);
  assert.equal(
    compareToReference({ name: 'net', testAcc: 0.87, latencyUs: 6100 }, base, { beyondNoise: false }).beats,
    false,
  );
  assert.equal(
    compareToReference({ name: 'net', testAcc: 0.85, latencyUs: 3000 }, base, { beyondNoise: false }).beats,
    true,
  );
  assert.equal(
    compareToReference({ name: 'net', testAcc: 0.85, latencyUs: 3000 }, base, { beyondNoise: true }).beats,
    false,
  );
});

test('the EMA decay of a final run forgets its first weights', () => {
  assert.equal(emaDecayFor(1000), 0.99);
  assert.equal(emaDecayFor(5), 0.9);
  assert.equal(emaDecayFor(1e7), 0.9998);
  assert.ok(emaDecayFor(1000) ** 1000 < 1e-4);
});
