// The store's guarantees on both databases it can live in, SQLite and PostgreSQL (a throwaway
// server: test/helpers/postgres.ts): the same schema after the same migrations, round trips,
// finished trials that never change, stale trials failed, queued trials taken exactly once,
// trial numbers taken once, one-off phases claimed once, and two processes creating one study at
// once: one wins, the other is told the study exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StudyStore } from '../../src/study/store';
import { stateKey } from '../../src/study/stateKey';
import { INTERRUPTED_ERROR, type StudyInit } from '../../src/study/types';
import { newWorkerId } from '../../src/study/worker';
import { testDatabase } from '../helpers/postgres';
import { PACKAGE_ROOT } from '../helpers/tsnasCli';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-backends-'));

const init = (name: string): StudyInit => ({
  name,
  strategy: 'random',
  space: 'fbnet-s',
  evaluator: 'synthetic:1',
  data: null,
  objective: { metric: 'accuracy', direction: 'maximize' },
  constraints: [],
  seed: 7,
  config: { trials: 10 },
});

interface Backend {
  name: string;
  /** A new empty store location, and a directory for its study files. */
  location(): Promise<{ location: string; studies: string }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    location: async () => {
      const dir = tmp();
      return { location: path.join(dir, 'tsnas.db'), studies: path.join(dir, 'studies') };
    },
  },
  {
    name: 'postgres',
    location: async () => ({ location: (await testDatabase()).url, studies: path.join(tmp(), 'studies') }),
  },
];

for (const b of backends) {
  test(`${b.name}: round trip, finished trials never change, stale trials failed, state and artifacts`, async () => {
    const { location, studies } = await b.location();
    let store = StudyStore.open(location, { studiesRoot: studies });
    const s = store.createStudy(init('s1'));
    const t0 = store.createTrial(s.id, {
      arch: 'a0',
      recipe: { lr: 0.1 },
      source: 'random',
      costs: { flops: 3.25e6, params: 5e4, latencyUs: 812.5 },
    });
    store.recordEpochs(t0.id, [{ epoch: 1, valAcc: 0.5 }]);
    const c0 = store.completeTrial(t0.id, { accuracy: 0.75, valLoss: NaN }, [{ epoch: 1, valAcc: 0.5 }]);
    const t1 = store.createTrial(s.id, { arch: 'a1', worker: 'gone' });
    const key = stateKey<{ epoch: number }>('k');
    store.setState(s.id, key, { epoch: 3 });
    store.setState(s.id, key, { epoch: 4 });
    const file = path.join(store.studyDir(s.name), 'w.bin');
    fs.writeFileSync(file, 'x');
    store.addArtifact(s.id, t0.id, 'weights', file);
    store.close();

    store = StudyStore.open(location, { studiesRoot: studies });
    try {
      const again = store.requireStudy('s1');
      assert.deepEqual(again, s);
      assert.deepEqual(store.trial(t0.id), c0);
      assert.ok(Number.isNaN(store.trial(t0.id).metrics.valLoss!));
      assert.deepEqual(store.trial(t0.id).costs, { flops: 3.25e6, params: 5e4, latencyUs: 812.5 });
      assert.deepEqual(store.getState(s.id, key), { epoch: 4 });
      assert.equal(store.artifactPath(store.artifacts(s.id, { kind: 'weights' })[0]!), file);
      // Finished trials never change, whoever writes (the database refuses, not only the store).
      assert.throws(
        () => store.driver.run("UPDATE trials SET arch = 'z' WHERE id = ?", [t0.id]),
        /never change: this trial is complete/,
      );
      assert.throws(
        () => store.driver.run('DELETE FROM trials WHERE id = ?', [t0.id]),
        /never deleted: this trial is complete/,
      );
      assert.throws(() => store.completeTrial(t0.id, { accuracy: 1 }), /cannot be finished again/);
      assert.deepEqual(store.trial(t0.id), c0);
      // The running trial of an ended process is failed as interrupted.
      const stale = store.failStaleTrials(s.id, 'me');
      assert.deepEqual(
        stale.map((t) => [t.id, t.state, t.error]),
        [[t1.id, 'failed', INTERRUPTED_ERROR]],
      );
    } finally {
      store.close();
    }
  });

  test(`${b.name}: trial numbers, queued trials and one-off phases are each taken once`, async () => {
    const { location, studies } = await b.location();
    const store = StudyStore.open(location, { studiesRoot: studies });
    try {
      const s = store.createStudy(init('q'));
      // A worker that read the study before another created trial 0 may not create it again.
      const first = store.createTrialIfNext(s.id, 0, { arch: 'x' });
      assert.equal(first?.number, 0);
      assert.equal(store.createTrialIfNext(s.id, 0, { arch: 'y' }), null);
      assert.equal(store.createTrialIfNext(s.id, 1, { arch: 'y' })?.number, 1);
      store.enqueueTrial(s.id, { arch: 'q1', source: 'random' }, 'test');
      store.enqueueTrial(
        s.id,
        { arch: 'q2', searchedRecipe: { lr: 0.5 }, source: 'random', stopAfterEpochs: 2 },
        'test',
      );
      const a = store.takeQueuedTrial(s.id, (q) => ({ arch: q.arch, searchedRecipe: q.searchedRecipe }));
      const c = store.takeQueuedTrial(s.id, (q) => ({ arch: q.arch, searchedRecipe: q.searchedRecipe }));
      assert.equal(
        store.takeQueuedTrial(s.id, (q) => ({ arch: q.arch })),
        null,
      );
      assert.deepEqual([a?.trial.arch, c?.trial.arch], ['q1', 'q2']);
      assert.deepEqual(c?.trial.searchedRecipe, { lr: 0.5 });
      assert.equal(c?.queued.stopAfterEpochs, 2);
      assert.deepEqual(store.queuedTrials(s.id), []);
      const w1 = newWorkerId();
      const w2 = newWorkerId();
      assert.equal(store.claimPhase(s.id, 'prepare', w1, 60_000), 'mine');
      assert.equal(store.claimPhase(s.id, 'prepare', w2, 60_000), 'busy');
      store.finishPhase(s.id, 'prepare', w1);
      assert.equal(store.claimPhase(s.id, 'prepare', w2, 60_000), 'done');
      // A trial whose worker is a process of this host that ended is failed and queued again.
      const orphan = store.createTrial(s.id, { arch: 'o', worker: `${os.hostname()}:999999999:00ff` });
      const dead = store.failDeadWorkersTrials(s.id, 60_000);
      assert.deepEqual(
        dead.map((t) => [t.id, t.error]),
        [[orphan.id, INTERRUPTED_ERROR]],
      );
      assert.deepEqual(
        store.queuedTrials(s.id).map((q) => q.arch),
        ['o'],
      );
      // A live worker's trial stays.
      const mine = store.createTrial(s.id, { arch: 'm', worker: newWorkerId().id });
      assert.deepEqual(store.failDeadWorkersTrials(s.id, 60_000), []);
      assert.equal(store.trial(mine.id).state, 'running');
    } finally {
      store.close();
    }
  });

  test(`${b.name}: processes creating the same study at once: one wins, the others are told it exists`, async () => {
    const { location, studies } = await b.location();
    // The store exists (migrated) first, so that the race is over the study, not the schema.
    StudyStore.open(location, { studiesRoot: studies }).close();
    const script = `
      const { StudyStore } = require(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'src', 'study', 'store.js'))});
      const store = StudyStore.open(process.argv[1], { studiesRoot: process.argv[2] });
      try {
        store.createStudy(${JSON.stringify(init('race'))});
        console.log('created');
      } catch (e) {
        console.log(e.constructor.name + ': ' + e.message);
      } finally { store.close(); }`;
    const outs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<string>((resolve, reject) => {
            const c = spawn(process.execPath, ['-e', script, location, studies], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let out = '';
            c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
            c.on('error', reject);
            c.on('close', () => resolve(out.trim()));
          }),
      ),
    );
    assert.equal(outs.filter((o) => o === 'created').length, 1, outs.join('\n'));
    for (const o of outs.filter((x) => x !== 'created')) {
      assert.match(o, /^StudyExistsError: study 'race' already exists in /);
      // The library says what to do in its words; the CLI adds the command line (errorText.ts).
      assert.match(o, /resume it, or choose another `study` name/);
    }
    const store = StudyStore.open(location, { studiesRoot: studies, readonly: true });
    try {
      assert.equal(store.studies().length, 1);
    } finally {
      store.close();
    }
  });
}

test('SQLite and PostgreSQL stores have the same tables and columns after the same migrations', async () => {
  const { location: sqliteFile, studies } = await backends[0]!.location();
  const { location: pgUrl } = await backends[1]!.location();
  const lite = StudyStore.open(sqliteFile, { studiesRoot: studies });
  const pgStore = StudyStore.open(pgUrl, { studiesRoot: studies });
  try {
    const liteTables = lite.driver
      .all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .map((r) => r.name);
    const columns = (t: string) =>
      lite.driver
        .all<{ name: string }>(`PRAGMA table_info(${t})`)
        .map((r) => r.name)
        .sort();
    const pgTables = pgStore.driver
      .all<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'tsnas_schema' ORDER BY table_name",
      )
      .map((r) => r.table_name);
    assert.deepEqual(pgTables, liteTables);
    for (const t of liteTables) {
      const pgColumns = pgStore.driver
        .all<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = ?', [t])
        .map((r) => r.column_name)
        .sort();
      assert.deepEqual(pgColumns, columns(t), `table ${t}`);
    }
  } finally {
    lite.close();
    pgStore.close();
  }
});
