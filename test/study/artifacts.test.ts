// A study's files where every worker reaches them (issue 23, item 6). Workers that share only the
// database (each in its own working directory, with its own HOME and TMPDIR, nothing else in
// common): one is killed with kill -9 after at least one epoch of a trial, its directory is
// removed (its machine is gone), and a worker elsewhere continues that trial from its last
// finished epoch, from the checkpoint the store holds. A worker that cannot reach a study's files
// says so, naming the study, the file and where it looked, and trains nothing over from epoch 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureSearch } from '../../src/search/setupSearch';
import { studyInit } from '../../src/search/config';
import { StudyStore } from '../../src/study/store';
import { INTERRUPTED_ERROR, isInterrupted, trialKey, type TrialRecord } from '../../src/study/types';
import { parseWorker } from '../../src/study/worker';
import { testDatabase } from '../helpers/postgres';
import { startWorker as startWorker_, type WorkerProcess } from '../helpers/workerProcess';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EPOCHS = 4;

/** A machine of its own: a working directory, HOME and TMPDIR that no other worker sees. */
function machine(name: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsnas-machine-${name}-`));
  for (const d of ['home', 'tmp']) fs.mkdirSync(path.join(dir, d));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(dir, 'home'), TMPDIR: path.join(dir, 'tmp') };
  delete env.TSNAS_STUDIES_DIR;
  return { dir, env };
}

type Worker = WorkerProcess;

const startWorker = (location: string, m: { dir: string; env: NodeJS.ProcessEnv }): Worker =>
  startWorker_('far', location, { cwd: m.dir, env: m.env });

/**
 * A study whose trials train EPOCHS epochs on synthetic data, created from machine A (a study of a
 * PostgreSQL store names no folder of A's: its files go to the store).
 */
function makeStudy(location: string, studiesRoot: string, trials: number, files?: string): void {
  const config = configureSearch({
    strategy: 'random',
    space: 'fbnet-s',
    data: 'synthetic:1',
    trials,
    seed: 3,
    train: { epochs: EPOCHS, limitTrain: 2000, threads: 1, recipe: { batchSize: 32 } },
    ...(files ? { files } : {}),
  });
  const store = StudyStore.open(location, { studiesRoot });
  try {
    store.createStudy(studyInit('far', config));
  } finally {
    store.close();
  }
}

/** Runs a worker on machine A and kills it (kill -9) once a trial of it has finished an epoch or more, not all. */
async function killAfterAnEpoch(location: string, a: Worker): Promise<TrialRecord> {
  const watch = StudyStore.open(location, { readonly: true });
  let exited = false;
  void a.exit.then(() => (exited = true));
  try {
    const mine = () => {
      const s = watch.getStudy('far');
      return s
        ? watch
            .trials(s.id)
            .find(
              (t) =>
                t.state === 'running' &&
                parseWorker(t.worker ?? '')?.pid === a.child.pid &&
                t.epochs.length >= 1 &&
                t.epochs.length < EPOCHS,
            )
        : undefined;
    };
    const t0 = Date.now();
    for (;;) {
      if (exited) assert.fail(`worker A ended before it could be killed mid-trial:\n${a.stderr()}`);
      // A guard against a hung run, not a speed check.
      if (Date.now() - t0 > 600_000)
        assert.fail(`no trial of worker A finished an epoch in 10 minutes:\n${a.stderr()}`);
      if (mine()) {
        // Stopped while the store is read, so that what is read is still true at the kill.
        a.child.kill('SIGSTOP');
        await sleep(300);
        const t = mine();
        if (t) {
          a.child.kill('SIGKILL');
          await a.exit;
          return t;
        }
        a.child.kill('SIGCONT');
      }
      await sleep(25);
    }
  } finally {
    watch.close();
  }
}

function trials(location: string): TrialRecord[] {
  const store = StudyStore.open(location, { readonly: true });
  try {
    return store.trials(store.requireStudy('far').id);
  } finally {
    store.close();
  }
}

test('postgres: workers that share only the database: one killed with kill -9 after an epoch, its machine gone; a worker elsewhere continues the trial from its last finished epoch, and the study completes', async () => {
  const { url } = await testDatabase();
  const a = machine('a');
  const b = machine('b');
  makeStudy(url, path.join(a.dir, 'runs', 'studies'), 2);
  const wa = startWorker(url, a);
  const killed = await killAfterAnEpoch(url, wa);
  // Machine A is gone, and its disk with it.
  fs.rmSync(a.dir, { recursive: true, force: true });

  const wb = startWorker(url, b);
  const code = await wb.exit;
  assert.equal(code, 0, wb.stderr());
  const all = trials(url);
  const lost = all.find((t) => t.id === killed.id)!;
  assert.equal(lost.state, 'failed');
  assert.equal(lost.error, INTERRUPTED_ERROR);
  const redone = all.find((t) => t.state === 'complete' && trialKey(t) === trialKey(lost));
  assert.ok(redone, `the interrupted architecture completed later:\n${wb.stderr()}`);
  // Continued, not started over: from the checkpoint of the last epoch the killed worker finished.
  const from = wb
    .stderr()
    .match(new RegExp(`trial ${redone.number}: continued from the checkpoint after epoch (\\d+)`));
  assert.ok(from, `trial ${redone.number} continued from a checkpoint:\n${wb.stderr()}`);
  assert.ok(Number(from[1]) >= killed.epochs.length, `from epoch ${from[1]}, killed after ${killed.epochs.length}`);
  assert.equal(redone.epochs.length, EPOCHS, 'every epoch in the record, the earlier ones included');
  assert.deepEqual(
    redone.epochs.slice(0, killed.epochs.length),
    killed.epochs,
    "the killed worker's epochs are the continued trial's first ones",
  );
  assert.equal(all.filter((t) => t.state === 'complete').length, 2, 'the study completed');
  assert.ok(!fs.existsSync(a.dir), "nothing recreated machine A's directory");
  fs.rmSync(b.dir, { recursive: true, force: true });
});

test("postgres: a worker that cannot reach an interrupted trial's checkpoint says so (the study, the file, where it looked) and does not train it again from epoch 0", async () => {
  const { url } = await testDatabase();
  const a = machine('a');
  const b = machine('b');
  makeStudy(url, path.join(a.dir, 'runs', 'studies'), 1);
  const killed = await killAfterAnEpoch(url, startWorker(url, a));
  fs.rmSync(a.dir, { recursive: true, force: true });
  // The store lost the study's files too (someone cleared them).
  const store = StudyStore.open(url);
  try {
    store.driver.run('DELETE FROM artifact_files');
  } finally {
    store.close();
  }
  const wb = startWorker(url, b);
  assert.equal(await wb.exit, 0, wb.stderr());
  const all = trials(url);
  const retried = all.filter((t) => t.number > killed.number && trialKey(t) === trialKey(killed));
  assert.equal(retried.length, 1, wb.stderr());
  const t = retried[0]!;
  assert.equal(t.state, 'failed');
  assert.match(
    t.error!,
    /^study 'far': the checkpoint of trial \d+ \(.*\) after epoch \d+, where an interrupted trial/,
  );
  assert.match(
    t.error!,
    /looked in the store postgres:\/\/.* \(its artifact_files table, as 'checkpoints\/[0-9a-f]+\/checkpoint\.safetensors'\)/,
  );
  assert.ok(t.error!.includes(path.join(b.dir, 'runs', 'studies', 'far', 'checkpoints')), t.error!);
  assert.match(t.error!, /not training it again from epoch 0/);
  assert.deepEqual(t.epochs, [], 'nothing trained');
  assert.ok(
    all.some((x) => x.state === 'complete'),
    'the study went on with other trials',
  );
  assert.ok(!all.some((x) => x.state === 'failed' && !isInterrupted(x) && x.id !== t.id));
  fs.rmSync(b.dir, { recursive: true, force: true });
});

test('a study whose files live in a folder it names: a worker on a machine without that folder says so and starts nothing', async () => {
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-shared-'));
  const store = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-artifacts-')), 'tsnas.db');
  makeStudy(store, path.join(path.dirname(store), 'studies'), 1, shared);
  assert.ok(fs.existsSync(path.join(shared, 'far', '.tsnas-study.json')), 'the creator made the folder, with its note');
  // The folder is not mounted on this machine.
  fs.rmSync(shared, { recursive: true, force: true });
  const b = machine('b');
  const w = startWorker(store, b);
  assert.equal(await w.exit, 1, w.stderr());
  assert.match(
    w.stderr(),
    new RegExp(
      `study 'far' of .* keeps its files in ${path.join(shared, 'far').replace(/[/.]/g, '\\$&')} \\(recorded when it was created\\), and this machine has no such directory`,
    ),
  );
  assert.ok(!fs.existsSync(shared), 'the folder was not made here');
  assert.deepEqual(trials(store), [], 'no trial started');
  fs.rmSync(b.dir, { recursive: true, force: true });
});

test("the store keeps a study's files: put, get and list; pull and push sync a cache, and a stale cache never overwrites the store", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-artifacts-'));
  const location = path.join(root, 'tsnas.db');
  const config = configureSearch({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic:1', trials: 1 });
  const a = StudyStore.open(location, { studiesRoot: path.join(root, 'a') });
  const b = StudyStore.open(location, { studiesRoot: path.join(root, 'b') });
  try {
    a.createStudy({ ...studyInit('s', config), files: 'store' });
    const fa = a.files('s');
    const fb = b.files('s');
    assert.notEqual(fa.dir, fb.dir);
    assert.equal(fa.put('x/one.bin', Buffer.from('first')).size, 5);
    assert.deepEqual(fa.get('x/one.bin')!.data, Buffer.from('first'));
    assert.equal(fa.get('nope'), null);
    assert.deepEqual(
      fa.list('x/').map((f) => [f.name, f.size]),
      [['x/one.bin', 5]],
    );
    // b pulls into its cache; a writes a newer version; b's old cache is not pushed over it.
    assert.deepEqual(fb.pull(), ['x/one.bin']);
    assert.equal(fs.readFileSync(path.join(fb.dir, 'x', 'one.bin'), 'utf8'), 'first');
    fs.mkdirSync(path.join(fa.dir, 'x'), { recursive: true });
    fs.writeFileSync(path.join(fa.dir, 'x', 'two.bin'), 'a wrote this');
    assert.deepEqual(fa.push(), ['x/two.bin']);
    fa.put('x/one.bin', Buffer.from('second'));
    assert.deepEqual(fb.push(), [], 'a cache that did not change sends nothing');
    assert.deepEqual(fb.pull().sort(), ['x/one.bin', 'x/two.bin']);
    assert.equal(fs.readFileSync(path.join(fb.dir, 'x', 'one.bin'), 'utf8'), 'second');
    // A file b changes goes to the store.
    fs.writeFileSync(path.join(fb.dir, 'x', 'one.bin'), 'third');
    assert.deepEqual(fb.push(), ['x/one.bin']);
    assert.equal(fa.get('x/one.bin')!.data.toString(), 'third');
    // Too large for the store: said, naming the file and the way out.
    process.env.TSNAS_ARTIFACT_MAX_MB = '0.000001';
    try {
      assert.throws(
        () => fa.put('big.bin', Buffer.alloc(10)),
        /study 's': big\.bin is 0\.0 MiB, more than the store .* \(`files` DIR\)/,
      );
    } finally {
      delete process.env.TSNAS_ARTIFACT_MAX_MB;
    }
  } finally {
    a.close();
    b.close();
  }
});
