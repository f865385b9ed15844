// tsnas train and eval end to end, as a user runs them: a real child process, synthetic data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tsnas } from '../helpers/tsnasCli';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-cli-train-'));

test('train writes a checkpoint and a JSON result; eval reproduces its test accuracy; a rerun resumes', () => {
  const dir = tmp();
  try {
    const run = path.join(dir, 'run');
    const a = tsnas([
      'train',
      'fbnet-s',
      'fbnet-s-baseline',
      '--data',
      'synthetic:2',
      '--epochs',
      '2',
      '--limit-train',
      '600',
      '--batch-size',
      '64',
      '-o',
      run,
      '--json',
    ]);
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

    // Asking for 3 epochs in the same directory continues from epoch 2.
    const c = tsnas([
      'train',
      'fbnet-s',
      'fbnet-s-baseline',
      '--data',
      'synthetic:2',
      '--epochs',
      '3',
      '--limit-train',
      '600',
      '--batch-size',
      '64',
      '-o',
      run,
      '--json',
    ]);
    assert.equal(c.code, 0, c.stderr);
    const cont = JSON.parse(c.last);
    assert.equal(cont.epochs.length, 3);
    assert.deepEqual(cont.epochs[0], res.epochs[0], 'finished epochs are kept, not recomputed');
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
