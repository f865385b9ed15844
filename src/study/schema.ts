// The SQL schema of the study store, as numbered migrations. PRAGMA user_version holds the number
// of migrations applied; opening a store applies the missing ones in one transaction, and refuses
// a store written by a newer tsnas. Add a migration by appending to MIGRATIONS, never by editing
// one that has shipped.
//
// Finished trials never change: a trigger aborts any UPDATE or DELETE of a trial whose state is
// complete, failed or pruned. Running trials may be updated (epochs, heartbeat) and finished once.

export const MIGRATIONS: readonly string[] = [
  // 1: studies, trials, strategy state, artifacts, the worker lease.
  `
  CREATE TABLE studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    space TEXT NOT NULL,
    evaluator TEXT NOT NULL,
    data TEXT,
    objective_metric TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('maximize', 'minimize')),
    constraints TEXT NOT NULL DEFAULT '[]',
    seed INTEGER NOT NULL,
    config TEXT NOT NULL
  );

  CREATE TABLE trials (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'failed', 'pruned')),
    arch TEXT NOT NULL,
    recipe TEXT,
    source TEXT,
    flops REAL,
    params REAL,
    latency_us REAL,
    metrics TEXT NOT NULL DEFAULT '{}',
    epochs TEXT NOT NULL DEFAULT '[]',
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    heartbeat_at INTEGER,
    worker TEXT,
    error TEXT,
    UNIQUE (study_id, number)
  );
  CREATE INDEX trials_by_state ON trials (study_id, state);

  CREATE TRIGGER trials_finished_never_update BEFORE UPDATE ON trials
  WHEN OLD.state <> 'running'
  BEGIN
    SELECT RAISE(ABORT, 'trial ' || OLD.number || ' is ' || OLD.state || ': finished trials never change');
  END;

  CREATE TRIGGER trials_finished_never_delete BEFORE DELETE ON trials
  WHEN OLD.state <> 'running'
  BEGIN
    SELECT RAISE(ABORT, 'trial ' || OLD.number || ' is ' || OLD.state || ': finished trials are never deleted');
  END;

  CREATE TABLE strategy_state (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (study_id, key)
  );

  CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    trial_id INTEGER REFERENCES trials(id),
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX artifacts_by_study ON artifacts (study_id, kind);

  CREATE TABLE workers (
    study_id INTEGER PRIMARY KEY REFERENCES studies(id),
    worker TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
