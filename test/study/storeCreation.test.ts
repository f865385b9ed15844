// Making, migrating and removing an SQLite store while other openers race it (issue 23), each
// interleaving forced in a fixed order by the store's hooks (src/study/storeHooks.ts), not left to
// luck: two makers of one new store, a migration another opener did first, a failed maker whose
// store another opener has open or has just reached, and read-only or must-exist opens of a store
// that is not there (they make nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/study/schema';
import { StudyStore } from '../../src/study/store';
import type { StudyInit } from '../../src/study/types';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-store-creation-'));

const init = (name: string): StudyInit => ({
  name,
  strategy: 'random',
  space: 'fbnet-s',
  evaluator: 'synthetic:0',
  data: null,
  objective: { metric: 'accuracy', direction: 'maximize' },
  constraints: [],
  seed: 0,
  config: {},
});

/** The studies of a store, read by a fresh opener. */
function studiesOf(file: string): string[] {
  const s = StudyStore.open(file, { readonly: true });
  try {
    return s.studies().map((x) => x.name);
  } finally {
    s.close();
  }
}

/** A hook that runs fn the first time only. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

test('two openers make one new store: the second to link finds the first one there and opens it; nothing is migrated twice', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'new.db');
    let b: StudyStore | null = null;
    const a = StudyStore.open(file, {
      hooks: {
        // A has made and migrated its store under a temporary name; B makes its own and links it first.
        beforePublish: () => {
          assert.equal(fs.existsSync(file), false, 'no store is at the path before it is linked there whole');
          assert.throws(() => StudyStore.open(file, { readonly: true }), /no study store at/);
          b = StudyStore.open(file);
          b.createStudy(init('b'));
        },
      },
    });
    try {
      assert.ok(b);
      const bs = b as StudyStore;
      assert.equal(bs.created, true, 'B linked its store into place');
      assert.equal(a.created, false, "A's link met B's store: A opened it, and did not make it");
      a.createStudy(init('a'));
      assert.deepEqual(
        bs.studies().map((s) => s.name),
        ['b', 'a'],
        'both write the one store',
      );
      bs.close();
    } finally {
      a.close();
    }
    assert.deepEqual(studiesOf(file), ['b', 'a']);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['new.db'], 'no temporary store is left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an older store migrated by another opener between the look and the write lock is not migrated again', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'old.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.close();
    let other: StudyStore | null = null;
    const a = StudyStore.open(file, {
      hooks: {
        beforeMigrate: once(() => {
          other = StudyStore.open(file);
        }),
      },
    });
    try {
      assert.ok(other, 'the other opener ran while this one was about to migrate');
      assert.equal(a.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(a.created, false);
      a.createStudy(init('a'));
    } finally {
      a.close();
      (other as StudyStore | null)?.close();
    }
    assert.deepEqual(studiesOf(file), ['a']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed maker never removes a store that another opener has open, or that holds a study', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'new.db');
    // Another opener has it open (and writes it after the maker gave up).
    const a = StudyStore.open(file);
    assert.equal(a.created, true);
    const b = StudyStore.open(file);
    assert.equal(b.created, false);
    assert.equal(a.closeAndRemoveIfUnused(), false, 'B has the store open: it stays');
    assert.ok(fs.existsSync(file));
    b.createStudy(init('b'));
    b.close();
    assert.deepEqual(studiesOf(file), ['b']);

    // Another opener made its study and left: the store holds a study.
    const file2 = path.join(dir, 'new2.db');
    const c = StudyStore.open(file2);
    const d = StudyStore.open(file2);
    d.createStudy(init('d'));
    d.close();
    assert.equal(c.closeAndRemoveIfUnused(), false, 'the store holds a study: it stays');
    assert.deepEqual(studiesOf(file2), ['d']);

    // A store it did not make is never removed, empty or not.
    const e = StudyStore.open(file2);
    assert.equal(e.closeAndRemoveIfUnused(), false);
    assert.ok(fs.existsSync(file2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed maker removes its unused store; an opener that had just reached it opens the store at the path instead', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'new.db');
    // Alone: the store, and its WAL files, go.
    const a = StudyStore.open(file);
    assert.equal(a.closeAndRemoveIfUnused(), true);
    assert.deepEqual(fs.readdirSync(dir), []);

    // B opened the file and read nothing yet when A removed it: B makes a new store (and knows it made it).
    const m = StudyStore.open(file);
    let removed: boolean | null = null;
    const b = StudyStore.open(file, {
      hooks: {
        afterOpenFile: once(() => {
          removed = m.closeAndRemoveIfUnused();
        }),
      },
    });
    try {
      assert.equal(removed, true, 'nothing held the store: its maker removed it');
      assert.equal(b.created, true, 'B found the store removed and made one');
      b.createStudy(init('b'));
    } finally {
      b.close();
    }
    assert.deepEqual(studiesOf(file), ['b'], "B's study is in the store at the path");

    // A reader in the same place is told there is no store (and makes none).
    const file2 = path.join(dir, 'other.db');
    const n = StudyStore.open(file2);
    assert.throws(
      () =>
        StudyStore.open(file2, {
          readonly: true,
          hooks: {
            afterOpenFile: once(() => {
              assert.equal(n.closeAndRemoveIfUnused(), true);
            }),
          },
        }),
      (err: Error) => err.message.includes(`no study store at ${file2}`),
    );
    assert.equal(fs.existsSync(file2), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('read-only and must-exist opens of a missing store name it and make nothing', () => {
  const dir = tmp();
  try {
    for (const o of [{ readonly: true }, { mustExist: true }]) {
      const file = path.join(dir, 'sub', 'missing.db');
      assert.throws(
        () => StudyStore.open(file, o),
        (err: Error) => err.message.includes(`no study store at ${file}`),
      );
      assert.throws(
        () => StudyStore.open(`sqlite:${file}`, o),
        (err: Error) => err.message.includes(`no study store at ${file}`),
      );
      assert.deepEqual(fs.readdirSync(dir), [], `${JSON.stringify(o)}: nothing made`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
