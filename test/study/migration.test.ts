// Stores written before schema 2 still open: read-only without migrating (older rows read with the
// new fields null), and for writing after migrating in place, finished trials untouched and still
// immutable. The schema's statements parse in SQLite releases still in wide use: no RAISE message
// is an expression (SQLite 3.40 refuses the whole schema otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/study/schema';
import { StudyStore } from '../../src/study/store';

function schema1Store(file: string): void {
  const db = new Database(file);
  db.exec(MIGRATIONS[0]!);
  db.pragma('user_version = 1');
  db.prepare(
    `INSERT INTO studies (name, created_at, strategy, space, evaluator, data, objective_metric, direction, constraints, seed, config)
    VALUES ('old', 1, 'random', 'fbnet-s', 'synthetic:0', NULL, 'accuracy', 'maximize', '[]', 0, '{}')`,
  ).run();
  db.prepare(
    `INSERT INTO trials (study_id, number, state, arch, recipe, source, metrics, epochs, started_at, finished_at)
    VALUES (1, 0, 'complete', 'arch-0', '{"lr":0.1}', 'random', '{"accuracy":0.5}', '[]', 1, 2)`,
  ).run();
  db.close();
}

test('a schema-1 store reads without migrating and migrates when opened for writing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-migrate-'));
  try {
    const file = path.join(dir, 'old.db');
    schema1Store(file);
    const ro = StudyStore.open(file, { readonly: true });
    try {
      const [t] = ro.trials(ro.requireStudy('old').id);
      assert.equal(t!.arch, 'arch-0');
      assert.deepEqual(t!.recipe, { lr: 0.1 });
      assert.equal(t!.searchedRecipe, null);
      assert.equal(t!.space, null);
      assert.equal(ro.db.pragma('user_version', { simple: true }), 1, 'reading changes nothing');
    } finally {
      ro.close();
    }
    const rw = StudyStore.open(file);
    try {
      assert.equal(rw.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const s = rw.requireStudy('old');
      const [t] = rw.trials(s.id);
      assert.deepEqual(
        [t!.arch, t!.state, t!.metrics, t!.searchedRecipe, t!.space],
        ['arch-0', 'complete', { accuracy: 0.5 }, null, null],
      );
      assert.throws(
        () => rw.db.prepare("UPDATE trials SET arch = 'x' WHERE id = ?").run(t!.id),
        /finished trials never change: this trial is complete/,
      );
      const n = rw.createTrial(s.id, { arch: 'arch-1', searchedRecipe: { lr: 0.2 }, space: 'round-1' });
      assert.deepEqual([n.searchedRecipe, n.space], [{ lr: 0.2 }, 'round-1']);
    } finally {
      rw.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no trigger of the final schema raises an expression (only string literals)', () => {
  const store = StudyStore.open(':memory:');
  try {
    const triggers = store.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as Array<{
      name: string;
      sql: string;
    }>;
    assert.equal(triggers.length, 6, 'an update and a delete trigger per finished state');
    for (const t of triggers) assert.match(t.sql, /RAISE\(ABORT, '[^'|]*'\)/, `${t.name}: ${t.sql}`);
  } finally {
    store.close();
  }
});

test("a store opens in the system's sqlite3 command line (Debian's, not the SQLite better-sqlite3 bundles)", () => {
  const which = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  assert.ok(
    !which.error && which.status === 0,
    `the sqlite3 command line is missing (${which.error?.message ?? which.stderr}): install it with bash scripts/setup.sh (Debian's sqlite3)`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-sqlite3-'));
  try {
    const file = path.join(dir, 'tsnas.db');
    const store = StudyStore.open(file);
    try {
      const s = store.createStudy({
        name: 'cli',
        strategy: 'random',
        space: 'fbnet-s',
        evaluator: 'synthetic:0',
        data: null,
        objective: { metric: 'accuracy', direction: 'maximize' },
        constraints: [],
        seed: 0,
        config: {},
      });
      const t = store.createTrial(s.id, { arch: 'arch-0', source: 'random' });
      store.completeTrial(t.id, { accuracy: 0.75 });
    } finally {
      store.close();
    }
    // Every statement of the schema is parsed when the first query runs: a trigger SQLite 3.40 cannot
    // parse fails the whole query with 'malformed database schema'.
    const q = spawnSync(
      'sqlite3',
      [
        file,
        "SELECT s.name, t.number, t.state, json_extract(t.metrics, '$.accuracy') FROM trials t JOIN studies s ON s.id = t.study_id;",
      ],
      { encoding: 'utf8' },
    );
    assert.equal(q.status, 0, `sqlite3 ${which.stdout.trim()} could not read the store: ${q.stderr}`);
    assert.equal(q.stdout.trim(), 'cli|0|complete|0.75');
    const check = spawnSync('sqlite3', [file, 'PRAGMA integrity_check;'], { encoding: 'utf8' });
    assert.equal(check.stdout.trim(), 'ok', check.stderr);
    // The triggers work there too: a finished trial cannot be changed by another tool either.
    const upd = spawnSync('sqlite3', [file, "UPDATE trials SET arch = 'x';"], { encoding: 'utf8' });
    assert.notEqual(upd.status, 0);
    assert.match(upd.stderr, /finished trials never change: this trial is complete/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
