// tsnas train and eval end to end, as a user runs them: a real child process, synthetic data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tsnas } from '../helpers/tsnasCli';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-cli-train-'));

/** Every file under dir with its bytes' hash. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .sort()
      .map((f) => [
        f,
        crypto
          .createHash('sha1')
          .update(fs.readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );

test('train writes a checkpoint and a JSON result; eval reproduces its test accuracy; a rerun resumes only the same run', () => {
  const dir = tmp();
  try {
    const run = path.join(dir, 'run');
    const args = (epochs: number, more: string[] = []) => [
      'train',
      'fbnet-s',
      'fbnet-s-baseline',
      '--data',
      'synthetic:2',
      '--epochs',
      String(epochs),
      '--limit-train',
      '600',
      '--batch-size',
      '64',
      '-o',
      run,
      '--json',
      ...more,
    ];
    const a = tsnas(args(2));
    assert.equal(a.code, 0, a.stderr);
    const res = JSON.parse(a.last);
    assert.equal(res.status, 'complete');
    assert.equal(res.epochs.length, 2);
    for (const k of ['testAcc', 'valAcc', 'imgPerSec']) assert.ok(Number.isFinite(res[k]), `${k} is a number`);
    assert.ok(res.flops > 0 && res.params > 0);
    assert.ok(fs.existsSync(path.join(run, 'checkpoint.safetensors')) && fs.existsSync(path.join(run, 'result.json')));

    const e = tsnas(['eval', run, '--data', 'synthetic:2', '--json']);
    assert.equal(e.code, 0, e.stderr);
    const ev = JSON.parse(e.last);
    assert.equal(ev.split, 'test');
    assert.equal(ev.accuracy, res.testAcc, "eval of the checkpoint gives the run's own test accuracy");

    // The same command again resumes after epoch 2: nothing left to train, the same result.
    const again = tsnas(args(2));
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.last).epochs, res.epochs, 'finished epochs are kept, not recomputed');

    // Another recipe (3 epochs: another learning-rate schedule), data set or architecture in the same
    // directory is another run: refused before anything is loaded, the directory left as it was.
    const before = snapshot(run);
    // (Other data, architectures and subsets: test/cli/badInputs.test.ts and the trainer's tests.)
    const cases: Array<[string[], RegExp]> = [
      [args(3), /recipe\.epochs: 2 in the checkpoint, 3 now/],
      [args(2, ['--lr', '0.1']), /recipe\.lr: 0\.05 in the checkpoint, 0\.1 now/],
    ];
    for (const [a, pattern] of cases) {
      const r = tsnas(a);
      assert.equal(r.code, 1, `${a.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.match(
        r.stderr,
        new RegExp(`${run.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds the checkpoint of another run`),
      );
      assert.doesNotMatch(r.stderr, /loadStateDict/);
      assert.deepEqual(snapshot(run), before, `${a.join(' ')} changed the run directory`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('train: a diverging run exits non-zero with a clear message and keeps its run directory', () => {
  const dir = tmp();
  try {
    const run = path.join(dir, 'run');
    const r = tsnas([
      'train',
      'fbnet-s',
      'fbnet-s-baseline',
      '--data',
      'synthetic:2',
      '--epochs',
      '1',
      '--limit-train',
      '300',
      '--lr',
      '1e9',
      '-o',
      run,
      '--json',
    ]);
    assert.equal(r.code, 1);
    const res = JSON.parse(r.last);
    assert.equal(res.status, 'failed');
    assert.match(res.error, /diverged/);
    assert.ok(fs.existsSync(path.join(run, 'result.json')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('train and eval: bad input gets an error naming what is wrong', () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', 'nope-space', 'x', '--data', 'synthetic'], /unknown space 'nope-space'/],
    [['train', 'fbnet-s', 'fbnet-a', '--data', 'synthetic'], /belongs to space 'fbnet'/],
    [['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'nosuch'], /unknown data set 'nosuch'/],
    [
      ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic', '--epochs', '0'],
      /--epochs must be a positive integer/,
    ],
    [
      ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic', '--recipe', '/nonexistent.yaml'],
      /cannot read recipe file \/nonexistent.yaml/,
    ],
    [['eval', '/nonexistent-run', '--data', 'synthetic'], /nonexistent-run/],
  ];
  for (const [args, pattern] of cases) {
    const r = tsnas(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, pattern, `${args.join(' ')}: ${r.stderr}`);
  }
});
