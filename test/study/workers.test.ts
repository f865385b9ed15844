// Many workers on one study, as real processes (tsnas worker), on SQLite and on PostgreSQL: three
// workers, one killed with kill -9 in the middle of a trial. Its trial is failed as interrupted and
// queued again, another worker takes it, every trial completes exactly once, and no finished row
// changes. On PostgreSQL, the server restarted under running workers: they wait, reconnect and
// finish the study, nothing finished lost or recorded twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureSearch } from '../../src/search/setupSearch';
import { StudyStore } from '../../src/study/store';
import { INTERRUPTED_ERROR, isInterrupted, trialKey, type TrialRecord } from '../../src/study/types';
import { parseWorker } from '../../src/study/worker';
import { testDatabase } from '../helpers/postgres';
import { PACKAGE_ROOT, tsnasAsync } from '../helpers/tsnasCli';
import { startWorker as startWorker_, type WorkerProcess } from '../helpers/workerProcess';
import { studyInit } from '../../src/search/config';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeStudy(location: string, studies: string, trials: number, delayMs: number): void {
  const config = configureSearch({
    strategy: 'random',
    space: 'fbnet-s',
    evaluator: 'synthetic:4',
    trials,
    evalDelayMs: delayMs,
  });
  const store = StudyStore.open(location, { studiesRoot: studies });
  try {
    store.createStudy(studyInit('w', config));
  } finally {
    store.close();
  }
}

type Worker = WorkerProcess;

const startWorker = (location: string, studies: string): Worker =>
  startWorker_('w', location, { cwd: PACKAGE_ROOT, env: { ...process.env, TSNAS_STUDIES_DIR: studies } });

/** Every trial of the study, read through a store of this process. */
function trials(location: string, studies: string): TrialRecord[] {
  const store = StudyStore.open(location, { studiesRoot: studies });
  try {
    const s = store.getStudy('w');
    return s ? store.trials(s.id) : [];
  } finally {
    store.close();
  }
}

async function until(what: string, cond: () => boolean, workers: Worker[]): Promise<void> {
  const t0 = Date.now();
  let exited = 0;
  for (const w of workers) void w.exit.then(() => exited++);
  while (!cond()) {
    if (exited === workers.length)
      assert.fail(`${what} did not happen before the workers ended:\n${workers.map((w) => w.stderr()).join('\n')}`);
    // A guard against a hung run (10 minutes, far beyond any machine's pace), not a speed check.
    if (Date.now() - t0 > 600_000)
      assert.fail(`${what} did not happen in 10 minutes:\n${workers.map((w) => w.stderr()).join('\n')}`);
    await sleep(25);
  }
}

/** Every trial complete once: no architecture completed twice, none still running, the target reached. */
function checkExactlyOnce(all: TrialRecord[], target: number): void {
  const complete = all.filter((t) => t.state === 'complete');
  assert.equal(complete.length, target, 'the study reached its target');
  assert.equal(new Set(complete.map(trialKey)).size, complete.length, 'no architecture completed twice');
  assert.deepEqual(
    all.filter((t) => t.state === 'running'),
    [],
    'nothing left running',
  );
  assert.deepEqual(
    all.map((t) => t.number),
    all.map((_, i) => i),
    'trial numbers taken once each, in order',
  );
  for (const t of all.filter((x) => x.state === 'failed'))
    assert.ok(isInterrupted(t), `trial ${t.number} failed: ${t.error}`);
}

const finishedRows = (all: TrialRecord[]) => all.filter((t) => t.state !== 'running');

const backends: Array<{ name: string; location: () => Promise<string> }> = [
  {
    name: 'sqlite',
    location: async () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-')), 'tsnas.db'),
  },
  { name: 'postgres', location: async () => (await testDatabase()).url },
];

for (const b of backends) {
  test(`${b.name}: three workers, one killed with kill -9 mid-trial: its trial is re-asked and taken by another, every trial completes once, finished rows unchanged`, async () => {
    const TRIALS = 12;
    const location = await b.location();
    const studies = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-files-')), 'studies');
    makeStudy(location, studies, TRIALS, 600);
    const workers = [0, 1, 2].map(() => startWorker(location, studies));
    const victim = workers[0]!;
    // Mid-trial: the victim runs a trial, and others have finished some already. The victim is
    // stopped (SIGSTOP) while the store is read, so that what is read is still true at the kill.
    let killed: TrialRecord | undefined;
    // One store of this process watches (reopening one per look would be slow on PostgreSQL).
    const watch = StudyStore.open(location, { studiesRoot: studies });
    const watched = () => {
      const s = watch.getStudy('w');
      return s ? watch.trials(s.id) : [];
    };
    const victimsTrial = () =>
      watched().find((t) => t.state === 'running' && parseWorker(t.worker ?? '')?.pid === victim.child.pid);
    for (;;) {
      await until(
        'a trial of the first worker while two trials are finished',
        () => watched().filter((t) => t.state === 'complete').length >= 2 && victimsTrial() !== undefined,
        workers,
      );
      victim.child.kill('SIGSTOP');
      // A statement the victim sent before it stopped still runs on a PostgreSQL server: look
      // again once it has surely landed.
      await sleep(300);
      killed = victimsTrial();
      if (killed) break;
      victim.child.kill('SIGCONT');
    }
    victim.child.kill('SIGKILL');
    await victim.exit;
    watch.close();
    const before = finishedRows(trials(location, studies));
    const codes = await Promise.all(workers.slice(1).map((w) => w.exit));
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.stderr()).join('\n'));
    const all = trials(location, studies);
    checkExactlyOnce(all, TRIALS);
    // The killed trial: failed as interrupted, and its architecture completed by a surviving worker.
    const lost = all.find((t) => t.id === killed!.id)!;
    assert.equal(lost.state, 'failed');
    assert.equal(lost.error, INTERRUPTED_ERROR);
    const redone = all.filter((t) => t.state === 'complete' && trialKey(t) === trialKey(lost));
    assert.equal(redone.length, 1, 'the interrupted architecture completed once, later');
    assert.ok(redone[0]!.number > lost.number);
    assert.notEqual(parseWorker(redone[0]!.worker!)?.pid, victim.child.pid);
    assert.match(
      workers
        .slice(1)
        .map((w) => w.stderr())
        .join('\n'),
      new RegExp(`took trial ${redone[0]!.number} from the queue \\(trial ${lost.number} interrupted\\)`),
    );
    // Finished rows never change.
    for (const t of before)
      assert.deepEqual(
        all.find((x) => x.id === t.id),
        t,
        `trial ${t.number}`,
      );
  });
}

test('postgres: the server restarted under two running workers: they reconnect and finish, nothing finished lost or recorded twice', async () => {
  const TRIALS = 24;
  const { url, ctl } = await testDatabase();
  assert.ok(ctl, 'the test server says how to restart it (TSNAS_TEST_POSTGRES_CTL; scripts/with-postgres.sh sets it)');
  const studies = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-files-')), 'studies');
  makeStudy(url, studies, TRIALS, 300);
  const workers = [0, 1].map(() => startWorker(url, studies));
  await until(
    'three complete trials',
    () => trials(url, studies).filter((t) => t.state === 'complete').length >= 3,
    workers,
  );
  // The workers are frozen across the restart, so that on a loaded machine they cannot finish the
  // study before it (the restart then tested nothing): they wake to dead connections, mid-study.
  for (const w of workers) w.child.kill('SIGSTOP');
  const before = finishedRows(trials(url, studies));
  assert.ok(before.length < TRIALS, 'work is left for after the restart');
  execSync(`${ctl} -m fast -w restart`, { stdio: 'ignore' });
  for (const w of workers) w.child.kill('SIGCONT');
  const codes = await Promise.all(workers.map((w) => w.exit));
  const stderr = workers.map((w) => w.stderr()).join('\n');
  assert.deepEqual(codes, [0, 0], stderr);
  assert.match(stderr, /lost the connection to PostgreSQL/);
  const all = trials(url, studies);
  checkExactlyOnce(all, TRIALS);
  for (const t of before)
    assert.deepEqual(
      all.find((x) => x.id === t.id),
      t,
      `trial ${t.number}`,
    );
});

test('tsnas search --workers 2: the study runs in worker processes and ends with its trials, each architecture once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-cli-'));
  const store = path.join(dir, 'tsnas.db');
  const run = await tsnasAsync([
    'search',
    'random',
    '--space',
    'fbnet-s',
    '--evaluator',
    'synthetic:2',
    '--trials',
    '6',
    '--study',
    'cli',
    '--store',
    store,
    '--workers',
    '2',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /2 worker process\(es\), 1 thread\(s\) each/);
  // The study's progress, read from the store while the workers run it, ends with where they left it.
  assert.match(run.stderr, /\nprogress: 6 of 6 complete, 0 failed, \d+s elapsed, done\n/);
  const out = JSON.parse(run.last) as { trials: number; best: { number: number } };
  assert.equal(out.trials, 6);
  const s = StudyStore.open(store, { readonly: true });
  try {
    const all = s.trials(s.requireStudy('cli').id);
    checkExactlyOnce(all, 6);
    // The trials were run by the workers (their progress comes through prefixed), each its own process.
    assert.match(run.stderr, /\[worker [12]\] trial +\d/);
    for (const t of all) assert.notEqual(parseWorker(t.worker!)?.pid, process.pid);
  } finally {
    s.close();
  }
});

test('tsnas search --workers 2 with a final training: the final lines come once, as the last lines, not also from the worker that trained', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-final-'));
  try {
    const space = path.join(dir, 'tiny.yaml');
    fs.writeFileSync(space, `${TINY_SPACE_YAML}architectures:\n  tiny-base: ir_k3_e3/ir_k3_e3-ir_k3_e3\n`);
    const run = await tsnasAsync(
      [
        ...['search', 'random', '--space', space, '--data', 'synthetic:0', '--trials', '2'],
        ...['--train-epochs', '1', '--limit-train', '100', '--final-epochs', '1', '--final-limit-train', '100'],
        ...['--reference', 'tiny-base', '--study', 'fin', '--store', path.join(dir, 'tsnas.db'), '--workers', '2'],
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trimEnd().split('\n');
    // A worker trained the final networks (its progress lines come through prefixed)...
    assert.ok(
      lines.some((l) => /^\[worker [12]\] final training: searched #\d+ \(run 1, seed \d+\): test accuracy/.test(l)),
      run.stderr,
    );
    // ...and the final lines, each once: the result's, the reference's, the two statements.
    const finals = lines.filter((l) => /^(\[worker \d\] )?final: /.test(l));
    assert.equal(finals.length, 4, run.stderr);
    assert.equal(new Set(finals).size, 4, run.stderr);
    assert.ok(
      finals.every((l) => l.startsWith('final: ')),
      `only the search prints them:\n${finals.join('\n')}`,
    );
    assert.deepEqual(lines.slice(-4), finals, 'they are the last lines');
    assert.match(finals[2]!, /^final: searched #\d+ .* tiny-base/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tsnas search --timeout: alone and with --workers 2, no trial starts after it; the run says so and the study resumes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-timeout-cli-'));
  const store = path.join(dir, 'tsnas.db');
  // 100 ms a trial: 400 trials would take 40 s, far past the 1 s timeout.
  const search = (study: string, more: string[]) =>
    tsnasAsync([
      ...['search', 'random', '--space', 'fbnet-s', '--evaluator', 'synthetic:2', '--eval-delay-ms', '100'],
      ...['--trials', '400', '--study', study, '--store', store, '--timeout', '1', ...more],
    ]);
  try {
    for (const [study, more] of [
      ['alone', []],
      ['shared', ['--workers', '2']],
    ] as const) {
      const run = await search(study, [...more]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /stopped: the run's --timeout of 1 s passed; the study has \d+ of its 400 trials/);
      const s = StudyStore.open(store, { readonly: true });
      try {
        const all = s.trials(s.requireStudy(study).id);
        assert.ok(all.length >= 1 && all.length < 400, `${study}: ${all.length} trials`);
        assert.ok(
          all.every((t) => t.state === 'complete'),
          `${study}: the running trials finished`,
        );
      } finally {
        s.close();
      }
    }
    const bad = await tsnasAsync(['search', 'random', '--space', 'fbnet-s', '--timeout', '0', '--store', store]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--timeout/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
