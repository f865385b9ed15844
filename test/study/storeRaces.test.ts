// `tsnas search` processes racing on a store that does not exist yet (issue 23): distinct study
// names, the same name, and a search that fails after making the store, started together on a new
// SQLite file and on a fresh PostgreSQL database. Every valid search ends 0 with its study and
// trials in the store; of those of one name, one wins and the others are told the study exists;
// the failing one removes nothing another uses. The starts are lined up by pausing every process
// at the same point of making the store (TSNAS_TEST_STORE_PAUSE, src/study/storeHooks.ts) and
// releasing them at once, and once more without pauses; a failing search is held just before its
// clean-up while another search runs to the end, and while another runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StudyStore } from '../../src/study/store';
import { testDatabase } from '../helpers/postgres';
import { PACKAGE_ROOT, TSNAS_BIN, tsnasAsync, type CliRun } from '../helpers/tsnasCli';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-store-races-'));
/** A hang guard only, not a timing assertion. */
const HANG_MS = 300_000;

const search = (study: string, store: string, extra: string[] = []) => [
  'search',
  'random',
  '--space',
  'fbnet-s',
  '--evaluator',
  'synthetic',
  '--trials',
  '20',
  '--study',
  study,
  '--store',
  store,
  ...extra,
];

/** Waits until n processes have reached a pause point (DIR/POINT.PID files). */
async function reached(dir: string, point: string, n = 1): Promise<void> {
  const until = Date.now() + HANG_MS;
  while (fs.readdirSync(dir).filter((f) => f.startsWith(`${point}.`) && !f.endsWith('.go')).length < n) {
    if (Date.now() > until) throw new Error(`fewer than ${n} processes reached ${point}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const release = (dir: string, point: string) => fs.writeFileSync(path.join(dir, `${point}.go`), '');

/** Every study of a store with its complete trials. */
function contents(location: string): Record<string, number> {
  const s = StudyStore.open(location, { readonly: true });
  try {
    return Object.fromEntries(s.studies().map((x) => [x.name, s.summary(x).counts.complete]));
  } finally {
    s.close();
  }
}

interface Racer {
  study: string;
  /** A search that fails after making the store (its study directory holds another's file). */
  fails?: boolean;
}

/** Checks the racers' ends and the store they leave. */
function checkRace(racers: Racer[], runs: CliRun[], location: string, round: string): void {
  const byName = new Map<string, CliRun[]>();
  racers.forEach((r, i) => {
    const run = runs[i]!;
    if (r.fails) {
      assert.equal(run.code, 1, `${round}: the failing search: ${run.stderr}`);
      assert.match(run.stderr, /study 'taken' of .* cannot use/, round);
    } else byName.set(r.study, [...(byName.get(r.study) ?? []), run]);
  });
  const expected: Record<string, number> = {};
  for (const [name, list] of byName) {
    const won = list.filter((r) => r.code === 0);
    assert.equal(
      won.length,
      1,
      `${round}: study '${name}': ${won.length} searches of ${list.length} ended 0:\n${list.map((r) => r.stderr).join('\n')}`,
    );
    for (const r of list)
      if (r.code !== 0) {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`study '${name}' already exists in`), `${round}: ${r.stderr}`);
      }
    assert.match(won[0]!.stderr, /20 complete/, round);
    expected[name] = 20;
  }
  for (const r of runs)
    assert.doesNotMatch(r.stderr, /disk I\/O error|already exists \(SQLITE_ERROR\)|relation "/, round);
  assert.deepEqual(
    Object.fromEntries(Object.entries(contents(location)).sort()),
    Object.fromEntries(Object.entries(expected).sort()),
    `${round}: the store holds every valid study with its trials`,
  );
}

const RACERS: Racer[] = [
  { study: 's1' },
  { study: 's2' },
  { study: 's3' },
  { study: 's4' },
  { study: 'dup' },
  { study: 'dup' },
  { study: 'dup' },
  { study: 'taken', fails: true },
];

test('SQLite: searches started together on a new store all end as they should, none loses its study', async () => {
  for (const paused of [true, false]) {
    const dir = tmp();
    try {
      const store = path.join(dir, 'new.db');
      fs.mkdirSync(path.join(dir, 'studies', 'taken'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'studies', 'taken', 'weights.bin'), 'not yours');
      const pause = path.join(dir, 'pause');
      fs.mkdirSync(pause);
      const env = paused ? { TSNAS_TEST_STORE_PAUSE: `beforePublish@${pause}` } : undefined;
      const runs = RACERS.map((r) => tsnasAsync(search(r.study, store), { env, timeoutMs: HANG_MS }));
      if (paused) {
        // Every one has made and migrated its store under a temporary name: all link at once.
        await reached(pause, 'beforePublish', RACERS.length);
        release(pause, 'beforePublish');
      }
      checkRace(RACERS, await Promise.all(runs), store, paused ? 'lined up at the link' : 'started together');
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.endsWith('.new')),
        [],
        'no temporary store is left',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('SQLite: a failing search that made the store never removes it under a search that used it or uses it', async () => {
  const dir = tmp();
  try {
    fs.mkdirSync(path.join(dir, 'studies', 'taken'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'studies', 'taken', 'weights.bin'), 'not yours');
    const pause = path.join(dir, 'pause');
    fs.mkdirSync(pause);
    const env = { TSNAS_TEST_STORE_PAUSE: `beforeRemove@${pause}` };

    // Another search runs to its end between the failure and the clean-up.
    const store = path.join(dir, 'one.db');
    const a = tsnasAsync(search('taken', store), { env, timeoutMs: HANG_MS });
    await reached(pause, 'beforeRemove');
    const b = await tsnasAsync(search('b', store), { timeoutMs: HANG_MS });
    assert.equal(b.code, 0, b.stderr);
    release(pause, 'beforeRemove');
    const ra = await a;
    assert.equal(ra.code, 1, ra.stderr);
    assert.deepEqual(contents(store), { b: 20 }, "the winner's study is there after the loser's clean-up");
    fs.rmSync(path.join(pause, 'beforeRemove.go'));
    for (const f of fs.readdirSync(pause)) fs.rmSync(path.join(pause, f));

    // Another search has the store open (it is between trials) while the failing one cleans up.
    const store2 = path.join(dir, 'two.db');
    const a2 = tsnasAsync(search('taken', store2), { env, timeoutMs: HANG_MS });
    await reached(pause, 'beforeRemove');
    const b2 = spawn(process.execPath, [TSNAS_BIN, ...search('c', store2, ['--eval-delay-ms', '50'])], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: HANG_MS,
    });
    let err2 = '';
    const started = new Promise<void>((resolve) =>
      b2.stderr.setEncoding('utf8').on('data', (d: string) => {
        err2 += d;
        if (/study 'c' \(/.test(err2)) resolve();
      }),
    );
    const ended = new Promise<number | null>((resolve) => b2.on('close', resolve));
    await Promise.race([started, ended]);
    release(pause, 'beforeRemove');
    const ra2 = await a2;
    assert.equal(ra2.code, 1, ra2.stderr);
    assert.equal(await ended, 0, err2);
    assert.deepEqual(contents(store2), { c: 20 });
  } finally {
    fs.rmSync(path.join(dir), { recursive: true, force: true });
  }
});

test('PostgreSQL: searches started together on a fresh database all end as they should, none loses its study', async () => {
  for (const paused of [true, false]) {
    const { url } = await testDatabase();
    const dir = tmp();
    try {
      const studies = path.join(dir, 'studies');
      fs.mkdirSync(path.join(studies, 'taken'), { recursive: true });
      fs.writeFileSync(path.join(studies, 'taken', 'weights.bin'), 'not yours');
      const pause = path.join(dir, 'pause');
      fs.mkdirSync(pause);
      const env: NodeJS.ProcessEnv = { TSNAS_STUDIES_DIR: studies };
      if (paused) env.TSNAS_TEST_STORE_PAUSE = `beforeMigrationLock@${pause}`;
      const racers = RACERS.filter((r) => r.study !== 's4');
      const runs = racers.map((r) => tsnasAsync(search(r.study, url), { env, timeoutMs: HANG_MS }));
      if (paused) {
        // Every one has found no tables and begun the migration's transaction: all take the lock at once.
        await reached(pause, 'beforeMigrationLock', racers.length);
        release(pause, 'beforeMigrationLock');
      }
      checkRace(racers, await Promise.all(runs), url, paused ? 'lined up at the lock' : 'started together');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
