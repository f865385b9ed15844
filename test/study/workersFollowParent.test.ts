// The local workers of `tsnas search --workers N` follow the command that started them (issue 23):
// kill -9 of that command while both workers are in a trial of a slow evaluator, and they stop
// too, in that trial, instead of going on alone (before, a worker finished its trial and went on
// until a write to its dead parent's pipe failed); the trials they leave running are asked again
// by `search --resume`, which finishes the study with every trial complete, each architecture once.
// The polls have bounds far beyond any machine's pace: hang guards, not timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StudyStore } from '../../src/study/store';
import { isInterrupted, type TrialRecord } from '../../src/study/types';
import { parseWorker, pidAlive } from '../../src/study/worker';
import { spawnTsnas, tsnasAsync } from '../helpers/tsnasCli';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TRIALS = 2;

function trials(db: string): TrialRecord[] {
  if (!fs.existsSync(db)) return [];
  try {
    const store = StudyStore.open(db, { readonly: true });
    try {
      const s = store.getStudy('follow');
      return s ? store.trials(s.id) : [];
    } finally {
      store.close();
    }
  } catch {
    return []; // the store is being created
  }
}

async function until(what: string, cond: () => boolean, log: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > 300_000) assert.fail(`${what} did not happen in 5 minutes:\n${log()}`);
    await sleep(50);
  }
}

test(
  'search --workers 2: kill -9 of the command stops its workers; --resume finishes the study',
  { timeout: 900_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-follow-'));
    const db = path.join(dir, 'tsnas.db');
    const configFile = path.join(dir, 'slow.json');
    // A slow evaluator: each trial waits 8 s (a worker that follows its parent stops inside it).
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        strategy: 'random',
        space: 'fbnet-s',
        evaluator: 'synthetic:4',
        trials: TRIALS,
        evalDelayMs: 8000,
      }),
    );
    const workers = new Set<number>();
    try {
      const parent = spawnTsnas([
        'search',
        '--config',
        configFile,
        '--workers',
        '2',
        '--study',
        'follow',
        '--store',
        db,
      ]);
      let stderr = '';
      parent.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      let parentEnded = false;
      const parentExit = new Promise<void>((resolve) =>
        parent.on('exit', () => {
          parentEnded = true;
          resolve();
        }),
      );
      // Both workers inside a trial.
      await until(
        'two workers running trials',
        () => {
          for (const t of trials(db)) {
            const w = t.state === 'running' && t.worker ? parseWorker(t.worker) : null;
            if (w) workers.add(w.pid);
          }
          if (parentEnded) assert.fail(`the search ended before it was killed:\n${stderr}`);
          return workers.size >= 2;
        },
        () => stderr,
      );
      const running = trials(db).filter((t) => t.state === 'running');
      parent.kill('SIGKILL');
      await parentExit;
      await until(
        'the workers stopping',
        () => [...workers].every((pid) => !pidAlive(pid)),
        () => stderr,
      );
      const finished = trials(db).filter((t) => t.state === 'complete' && running.some((r) => r.id === t.id));
      assert.deepEqual(
        finished.map((t) => t.number),
        [],
        'the workers went on with their trials after the command that started them was killed',
      );
      // What they left running is asked again, and the study finishes.
      const resumed = await tsnasAsync(['search', '--resume', 'follow', '--store', db], { timeoutMs: 600_000 });
      assert.equal(resumed.code, 0, resumed.stderr);
      const all = trials(db);
      const done = all.filter((t) => t.state === 'complete');
      assert.equal(done.length, TRIALS, resumed.stderr);
      assert.equal(all.filter((t) => t.state === 'running').length, 0);
      assert.ok(
        all.every((t) => t.state === 'complete' || isInterrupted(t)),
        'nothing failed but interruptions',
      );
      assert.equal(new Set(done.map((t) => t.arch)).size, TRIALS, 'each architecture complete once');
    } finally {
      for (const pid of workers)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
