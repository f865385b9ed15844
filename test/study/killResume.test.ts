// kill -9 at any moment, then `tsnas search --resume`: a real child process running a real search,
// SIGKILLed in the middle of trials and at fixed times after launch (wherever they fall), resumed
// each time. No
// finished trial may be lost or changed, the interrupted ones are marked and asked again, and the
// study ends with exactly the architectures an uninterrupted run with the same seed evaluates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { spawnTsnas, tsnas } from '../helpers/tsnasCli';

const TRIALS = 10;

interface Row {
  id: number;
  number: number;
  state: string;
  arch: string;
  error: string | null;
  [k: string]: unknown;
}

/** The trials as raw rows (every column, exactly as stored), read by a separate connection. */
function rows(db: string, study: string): Row[] {
  if (!fs.existsSync(db)) return [];
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare('SELECT t.* FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? ORDER BY t.number')
      .all(study) as Row[];
  } catch {
    return []; // the schema is not there yet
  } finally {
    conn.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the search (or its resume) and SIGKILLs it once `when` holds (or after `afterMs`). */
async function runAndKill(args: string[], db: string, when: (r: Row[]) => boolean, afterMs?: number): Promise<Row[]> {
  const child = spawnTsnas(args);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const t0 = Date.now();
  let done = false;
  void exited.then(() => {
    done = true;
  });
  for (;;) {
    if (done) assert.fail(`the search ended before it was killed:\n${stderr}`);
    if (afterMs !== undefined ? Date.now() - t0 >= afterMs : when(rows(db, 'k'))) break;
    // A guard against a hung search (10 min, far beyond any machine's pace), not a speed check.
    if (Date.now() - t0 > 600_000) assert.fail(`the moment to kill did not come in 10 minutes:\n${stderr}`);
    await sleep(20);
  }
  child.kill('SIGKILL');
  await exited; // reaped: its pid is gone
  return rows(db, 'k');
}

const finished = (r: Row[]) => r.filter((x) => x.state !== 'running');
const complete = (r: Row[]) => r.filter((x) => x.state === 'complete');

test('kill -9 at any moment, then --resume: no finished trial lost or changed, interrupted trials marked and re-asked, same architectures as an uninterrupted run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-kill-'));
  try {
    const db = path.join(dir, 'tsnas.db');
    const args = [
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--evaluator',
      'synthetic:4',
      '--trials',
      String(TRIALS),
      '--seed',
      '5',
      '--constraint',
      'flops<=6M',
      '--store',
      db,
      '--study',
      'k',
      '--eval-delay-ms',
      '250',
      '--json',
    ];
    const resume = ['search', '--resume', 'k', '--store', db, '--json'];
    const snapshots: Row[][] = [];

    // 1: killed in the middle of the very first trial.
    snapshots.push(await runAndKill(args, db, (r) => r.length === 1 && r[0]!.state === 'running'));
    // 2: resumed, killed 1.1 s after launch, wherever that falls (start-up, replay, a trial, between trials).
    snapshots.push(await runAndKill(resume, db, () => false, 1100));
    // 3: resumed, killed in the middle of a trial once 4 trials are complete.
    snapshots.push(await runAndKill(resume, db, (r) => complete(r).length >= 4 && r.at(-1)?.state === 'running'));
    const before = snapshots.at(-1)!;
    assert.ok(complete(before).length >= 4 && before.at(-1)!.state === 'running', 'killed with a trial running');
    // 4: resumed, killed 1 s after launch.
    snapshots.push(await runAndKill(resume, db, () => false, 1000));
    // 4: resumed to the end.
    const r = tsnas(resume);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /trial\(s\) of an earlier run were still running: marked failed \(interrupted\) and will be asked again/,
    );
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.study, 'k');
    assert.equal(result.trials, TRIALS);
    const after = rows(db, 'k');

    // Every row finished before a kill is byte-for-byte the same at the end (nothing lost, changed or recomputed).
    for (const snap of snapshots) {
      for (const old of finished(snap))
        assert.deepEqual(
          after.find((x) => x.id === old.id),
          old,
          `trial ${old.number} is unchanged`,
        );
    }
    // Every trial running at a kill ended as failed/interrupted; nothing is left running.
    for (const snap of snapshots) {
      for (const old of snap.filter((x) => x.state === 'running')) {
        const now = after.find((x) => x.id === old.id)!;
        assert.equal(now.state, 'failed');
        assert.equal(now.error, 'interrupted (process ended)');
      }
    }
    assert.equal(after.filter((x) => x.state === 'running').length, 0);
    assert.ok(
      after.filter((x) => x.error === 'interrupted (process ended)').length >= 2,
      'at least the two mid-trial kills were interrupted',
    );
    const done = complete(after);
    assert.equal(done.length, TRIALS, 'the study ends with its complete trials');
    assert.equal(new Set(done.map((x) => x.arch)).size, TRIALS, 'no architecture was evaluated twice');
    // Interrupted architectures were asked again: each appears among the complete trials.
    for (const x of after.filter((t) => t.error === 'interrupted (process ended)'))
      assert.ok(
        done.some((d) => d.arch === x.arch),
        `interrupted ${x.arch} was re-asked`,
      );

    // The same search, never interrupted, evaluates the same architectures in the same order with the same results.
    const u = tsnas(
      args
        .map((a) => (a === 'k' ? 'u' : a))
        .filter((a, i, all) => a !== '--eval-delay-ms' && all[i - 1] !== '--eval-delay-ms'),
    );
    assert.equal(u.code, 0, u.stderr);
    const unbroken = rows(db, 'u');
    assert.deepEqual(
      done.map((x) => [x.arch, x.metrics, x.flops, x.params, x.source]),
      unbroken.map((x) => [x.arch, x.metrics, x.flops, x.params, x.source]),
    );
    assert.equal(JSON.parse(u.stdout.trim().split('\n').at(-1)!).best.arch, result.best.arch);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
