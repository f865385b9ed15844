// The study store: round trips, the immutability of finished trials (an SQL trigger), stale running
// trials failed on reopen, the worker lease, strategy state, artifacts, schema versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { STUDY_DIR_OWNER, StoreError, StudyStore, bestTrial, explainStoreError } from '../../src/study/store';
import { throwsWith } from '../data/fixtures';
import { SCHEMA_VERSION } from '../../src/study/schema';
import { INTERRUPTED_ERROR, isInterrupted, type StudyInit } from '../../src/study/types';
import { newWorkerId } from '../../src/study/worker';
import { stateKey } from '../../src/study/stateKey';

const SUPERNET = stateKey<{ epoch: number; temps: number[] }>('supernet');

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-store-'));

const init = (name = 's1'): StudyInit => ({
  name,
  strategy: 'random',
  space: 'fbnet-s',
  evaluator: 'synthetic:1',
  data: null,
  objective: { metric: 'accuracy', direction: 'maximize' },
  constraints: ['flops<=5M'],
  seed: 7,
  config: { trials: 10, nested: { a: [1, 2, 3] } },
});

test('store round trip: studies, trials, metrics, epochs, costs, state, artifacts survive closing and reopening', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'runs', 'tsnas.db');
    let store = StudyStore.open(file);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.ok((store.db.pragma('busy_timeout', { simple: true }) as number) >= 1000);
    const s = store.createStudy(init());
    const t0 = store.createTrial(s.id, {
      arch: 'a0',
      recipe: { lr: 0.1, epochs: 2 },
      source: 'random',
      costs: { flops: 3e6, params: 5e4, latencyUs: 812.5 },
      worker: 'w',
    });
    assert.equal(t0.number, 0);
    assert.equal(t0.state, 'running');
    store.recordEpochs(t0.id, [{ epoch: 1, valAcc: 0.5 }]);
    const c0 = store.completeTrial(t0.id, { accuracy: 0.75, testAcc: 0.7, valLoss: NaN }, [
      { epoch: 1, valAcc: 0.5 },
      { epoch: 2, valAcc: 0.75 },
    ]);
    const t1 = store.createTrial(s.id, { arch: 'a1', source: 'mutation' });
    store.failTrial(t1.id, 'diverged', { epochs: [{ epoch: 1, valAcc: 0.1 }] });
    const t2 = store.createTrial(s.id, { arch: 'a2', source: 'random' });
    store.completeTrial(t2.id, { accuracy: 0.8 });
    store.setState(s.id, SUPERNET, { epoch: 3, temps: [5, 4.8] });
    fs.mkdirSync(store.studyDir(s.name), { recursive: true });
    const ckpt = path.join(store.studyDir(s.name), 'supernet.safetensors');
    fs.writeFileSync(ckpt, 'x');
    store.addArtifact(s.id, null, 'supernet', ckpt);
    store.addArtifact(s.id, t0.id, 'checkpoint', '/elsewhere/ck');
    store.close();

    store = StudyStore.open(file);
    const s2 = store.requireStudy('s1');
    assert.deepEqual(s2, s);
    assert.equal(s2.createdAt > 0, true);
    const trials = store.trials(s2.id);
    assert.deepEqual(
      trials.map((t) => [t.number, t.state, t.arch, t.source]),
      [
        [0, 'complete', 'a0', 'random'],
        [1, 'failed', 'a1', 'mutation'],
        [2, 'complete', 'a2', 'random'],
      ],
    );
    assert.deepEqual(trials[0], c0);
    assert.deepEqual(trials[0]!.recipe, { lr: 0.1, epochs: 2 });
    assert.deepEqual(trials[0]!.costs, { flops: 3e6, params: 5e4, latencyUs: 812.5 });
    assert.equal(trials[0]!.metrics.accuracy, 0.75);
    assert.ok(Number.isNaN(trials[0]!.metrics.valLoss), 'NaN metrics come back as NaN');
    assert.equal(trials[0]!.epochs.length, 2);
    assert.ok(trials[0]!.finishedAt! >= trials[0]!.startedAt);
    assert.equal(trials[1]!.error, 'diverged');
    assert.deepEqual(trials[1]!.epochs, [{ epoch: 1, valAcc: 0.1 }], 'a failed trial keeps the epochs it finished');
    assert.equal(bestTrial(trials, 'accuracy', 'maximize')!.number, 2);
    assert.equal(bestTrial(trials, 'accuracy', 'minimize')!.number, 0);
    assert.deepEqual(store.getState(s2.id, SUPERNET), { epoch: 3, temps: [5, 4.8] });
    assert.equal(store.getState(s2.id, stateKey('nothing')), undefined);
    const arts = store.artifacts(s2.id);
    assert.deepEqual(
      arts.map((a) => [a.kind, a.path, a.trialId]),
      [
        ['supernet', 'supernet.safetensors', null],
        ['checkpoint', '/elsewhere/ck', t0.id],
      ],
    );
    assert.equal(store.artifactPath(arts[0]!), ckpt);
    assert.equal(store.studyDir('s1'), path.join(dir, 'runs', 'studies', 's1'));
    const sum = store.summary(s2);
    assert.deepEqual(sum.counts, { running: 0, complete: 2, failed: 1, pruned: 0 });
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('finished trials never change: the trigger aborts UPDATE and DELETE of complete, failed and pruned rows', () => {
  const store = StudyStore.open(':memory:');
  try {
    const s = store.createStudy(init());
    const done = store.completeTrial(store.createTrial(s.id, { arch: 'a' }).id, { accuracy: 0.5 });
    const failed = store.failTrial(store.createTrial(s.id, { arch: 'b' }).id, 'boom');
    const pruned = store.failTrial(store.createTrial(s.id, { arch: 'c' }).id, 'pruned at epoch 1', { state: 'pruned' });
    for (const t of [done, failed, pruned]) {
      // Straight SQL, bypassing the store's API: the database itself refuses.
      assert.throws(
        () => store.db.prepare('UPDATE trials SET metrics = \'{"accuracy": 1}\' WHERE id = ?').run(t.id),
        /finished trials never change/,
      );
      assert.throws(
        () => store.db.prepare("UPDATE trials SET state = 'running' WHERE id = ?").run(t.id),
        new RegExp(`this trial is ${t.state}`),
      );
      assert.throws(() => store.db.prepare('DELETE FROM trials WHERE id = ?').run(t.id), /never deleted/);
      assert.deepEqual(store.trial(t.id), t);
    }
    // Through the API: finishing twice is an error, and heartbeats/epochs of finished trials are no-ops.
    assert.throws(() => store.completeTrial(done.id, { accuracy: 0.9 }), /trial 0 is complete, not running/);
    assert.throws(() => store.failTrial(done.id, 'late'), /finished trials never change/);
    store.heartbeat(done.id);
    store.recordEpochs(done.id, [{ epoch: 9 }]);
    assert.deepEqual(store.trial(done.id), done);
    // A running trial may change (epochs, heartbeat) until it finishes.
    const run = store.createTrial(s.id, { arch: 'd' });
    store.recordEpochs(run.id, [{ epoch: 1, valAcc: 0.2 }]);
    assert.deepEqual(store.trial(run.id).epochs, [{ epoch: 1, valAcc: 0.2 }]);
  } finally {
    store.close();
  }
});

test('stale running trials are failed as interrupted when the study is reopened by a new process; live leases are respected', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'tsnas.db');
    let store = StudyStore.open(file);
    const s = store.createStudy(init());
    store.completeTrial(store.createTrial(s.id, { arch: 'a' }).id, { accuracy: 0.5 });
    store.close();
    // Another process takes the lease, starts a trial and dies without finishing it.
    const script = `
      const { StudyStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/study/store.js'))});
      const { newWorkerId } = require(${JSON.stringify(path.resolve(__dirname, '../../src/study/worker.js'))});
      const store = StudyStore.open(${JSON.stringify(file)});
      const me = newWorkerId();
      store.acquireLease(1, me);
      store.createTrial(1, { arch: 'b', worker: me.id });
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);

    store = StudyStore.open(file);
    assert.equal(store.trials(s.id, ['running']).length, 1);
    assert.equal(store.activeWorker(s.id), null, 'the dead process holds no live lease');
    const me = newWorkerId();
    store.acquireLease(s.id, me);
    const stale = store.failStaleTrials(s.id, me.id);
    assert.equal(stale.length, 1);
    assert.equal(stale[0]!.arch, 'b');
    assert.equal(stale[0]!.state, 'failed');
    assert.equal(stale[0]!.error, INTERRUPTED_ERROR);
    assert.ok(isInterrupted(stale[0]!));
    assert.equal(store.trials(s.id, ['running']).length, 0);
    assert.equal(store.trials(s.id, ['complete']).length, 1, 'the complete trial is untouched');

    // While this process holds the lease, another live process cannot take the study.
    const other = spawnSync(
      process.execPath,
      [
        '-e',
        `
      const { StudyStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/study/store.js'))});
      const { newWorkerId } = require(${JSON.stringify(path.resolve(__dirname, '../../src/study/worker.js'))});
      try { StudyStore.open(${JSON.stringify(file)}).acquireLease(1, newWorkerId()); console.log('taken'); } catch (e) { console.log(e.message); }`,
      ],
      { encoding: 'utf8' },
    );
    assert.match(other.stdout, new RegExp(`study 's1' is being searched by process ${process.pid}`));
    store.releaseLease(s.id, me);
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('store: unique study names, clear errors for missing studies and stores, refuses a newer schema', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'x.db');
    const store = StudyStore.open(file);
    store.createStudy(init('one'));
    assert.throws(
      () => store.createStudy(init('one')),
      /study 'one' already exists .*resume it, or choose another `study` name/,
    );
    assert.throws(() => store.createStudy(init('bad name/x')), /invalid study name/);
    assert.throws(() => store.requireStudy('two'), /no study 'two' in .*studies: one/);
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    store.close();
    assert.throws(() => StudyStore.open(path.join(dir, 'none.db'), { readonly: true }), /no study store at/);
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => StudyStore.open(file), /written by a newer tsnas/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("two stores in one directory: a study's files are its own, a study of the same name in the other store is refused them", () => {
  const dir = tmp();
  try {
    const a = StudyStore.open(path.join(dir, 'a.db'));
    const b = StudyStore.open(path.join(dir, 'b.db'));
    try {
      assert.equal(a.studiesRoot, b.studiesRoot, 'both put study directories in <dir>/studies');
      const sa = a.createStudy(init('same'));
      const own = a.studyDir(sa.name);
      fs.writeFileSync(path.join(own, 'weights.bin'), 'a');
      const note = JSON.parse(fs.readFileSync(path.join(own, STUDY_DIR_OWNER), 'utf8'));
      assert.deepEqual([note.store, note.study, note.id], [path.join(dir, 'a.db'), 'same', sa.id]);
      // Creating it in b is refused before anything is written to b.
      throwsWith(
        () => b.createStudy(init('same')),
        [
          "study 'same' of",
          'b.db cannot use',
          `the files of study 'same' of store ${path.join(dir, 'a.db')}`,
          'choose another `study` name',
        ],
      );
      assert.equal(b.getStudy('same'), undefined);
      // A study of that name already in b (made before a claimed the directory) is refused it at first use.
      const b2 = StudyStore.open(path.join(dir, 'c.db'));
      try {
        const sc = b2.db
          .prepare(
            `INSERT INTO studies (name, created_at, strategy, space, evaluator, data, objective_metric, direction, constraints, seed, config)
            VALUES ('same', 5, 'random', 'fbnet', 'synthetic:0', NULL, 'accuracy', 'maximize', '[]', 0, '{}')`,
          )
          .run();
        assert.ok(sc.changes === 1);
        throwsWith(() => b2.studyDir('same'), ['cannot use', "the files of study 'same' of store"]);
      } finally {
        b2.close();
      }
      // a's own study keeps using it, files intact.
      assert.equal(a.studyDir('same'), own);
      assert.equal(fs.readFileSync(path.join(own, 'weights.bin'), 'utf8'), 'a');
      // A directory left without a note (by a store since removed) is not handed to a new study either.
      fs.mkdirSync(path.join(a.studiesRoot, 'left'));
      fs.writeFileSync(path.join(a.studiesRoot, 'left', 'old.bin'), 'x');
      throwsWith(
        () => b.createStudy(init('left')),
        ['files of unknown origin', `remove ${path.join(a.studiesRoot, 'left')}`],
      );
    } finally {
      a.close();
      b.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('store errors name the file and say what to do: a text file, a directory, SQLite codes in words', () => {
  const dir = tmp();
  try {
    const text = path.join(dir, 'notes.db');
    fs.writeFileSync(text, 'not a database\n');
    for (const readonly of [true, false])
      throwsWith(
        () => StudyStore.open(text, { readonly }),
        [`${text} is not a study store: it is not an SQLite database`, 'SQLITE_NOTADB', '`store` FILE'],
      );
    assert.equal(fs.readFileSync(text, 'utf8'), 'not a database\n', 'the file is left as it was');
    for (const readonly of [true, false])
      throwsWith(() => StudyStore.open(dir, { readonly }), [`${dir} is a directory, not a study store`, '`store`']);
    const sqlite = (code: string, message: string) => Object.assign(new Error(message), { code });
    const cases: Array<[string, string[]]> = [
      [
        'SQLITE_IOERR_FSYNC',
        ['disk I/O error on the study store /s/t.db', 'disk I/O error, SQLITE_IOERR_FSYNC', 'local disk'],
      ],
      ['SQLITE_FULL', ['the disk holding the study store /s/t.db is full', 'free some space']],
      ['SQLITE_READONLY_DIRECTORY', ['cannot write the study store /s/t.db', 'read-only', 'Reading works read-only']],
      ['SQLITE_CORRUPT', ['the study store /s/t.db is damaged']],
      ['SQLITE_BUSY', ['stayed locked by another process']],
    ];
    for (const [code, parts] of cases) {
      const e = explainStoreError('/s/t.db', sqlite(code, code === 'SQLITE_IOERR_FSYNC' ? 'disk I/O error' : 'x'));
      assert.ok(e instanceof StoreError, code);
      for (const p of parts)
        assert.ok((e as Error).message.includes(p), `${code}: ${(e as Error).message} lacks '${p}'`);
    }
    const other = new Error('not SQLite');
    assert.equal(explainStoreError('/s/t.db', other), other, 'other errors pass unchanged');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a study that recorded nothing is removed with its directory; one with trials, state or artifact files stays', () => {
  const dir = tmp();
  try {
    const store = StudyStore.open(path.join(dir, 'x.db'));
    try {
      const empty = store.createStudy(init('empty'));
      const d = store.studyDir(empty.name);
      fs.mkdirSync(path.join(d, 'checkpoints'));
      assert.equal(store.removeUnusedStudy('empty'), true);
      assert.equal(store.getStudy('empty'), undefined);
      assert.equal(fs.existsSync(d), false);
      store.createStudy(init('empty')); // the same command can run again
      const withTrial = store.createStudy(init('t'));
      store.createTrial(withTrial.id, { arch: 'a' });
      const withState = store.createStudy(init('s'));
      store.setState(withState.id, SUPERNET, { epoch: 1, temps: [] });
      const withFile = store.createStudy(init('f'));
      const f = path.join(store.studyDir('f'), 'supernet.safetensors');
      fs.writeFileSync(f, 'w');
      store.addArtifact(withFile.id, null, 'supernet', f);
      for (const name of ['t', 's', 'f']) {
        assert.equal(store.removeUnusedStudy(name), false, name);
        assert.ok(store.getStudy(name), name);
      }
      assert.ok(fs.existsSync(f));
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a store replaced by a new one: the old study directory of the same name is not taken over', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'tsnas.db');
    let store = StudyStore.open(file);
    store.createStudy(init('evo'));
    const d = store.studyDir('evo');
    fs.writeFileSync(path.join(d, 'checkpoint.bin'), 'old');
    store.close();
    fs.rmSync(file);
    store = StudyStore.open(file);
    try {
      throwsWith(
        () => store.createStudy(init('evo')),
        [
          `cannot use ${d}`,
          "the files of an earlier study 'evo' of this store that it no longer has",
          `or remove ${d}`,
        ],
      );
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
