// The SQL schema of the study store, as numbered migrations. PRAGMA user_version holds the number
// of migrations applied; opening a store applies the missing ones in one transaction, and refuses
// a store written by a newer tsnas. Add a migration by appending to MIGRATIONS, never by editing
// one that has shipped.
//
// Finished trials never change: a trigger aborts any UPDATE or DELETE of a trial whose state is
// complete, failed or pruned. Running trials may be updated (epochs, heartbeat) and finished once.
// Every statement here must parse in any SQLite still in wide use (3.40 and older), so that
// stores open in the sqlite3 command line, Python and pandas: a trigger's RAISE message is a
// string literal, never an expression.

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
  // 2: what a trial was drawn from besides its architecture: the recipe fields a strategy searched
  // (joint architecture-recipe searches; part of the trial's identity) and the space it was drawn
  // from when not the study's own (search-space evolution). Triggers whose RAISE message was an
  // expression (accepted by SQLite only since 2024) are replaced by one pair per finished state,
  // whose literal messages name the state.
  `
  DROP TRIGGER trials_finished_never_update;
  DROP TRIGGER trials_finished_never_delete;

  ALTER TABLE trials ADD COLUMN searched_recipe TEXT;
  ALTER TABLE trials ADD COLUMN space TEXT;

  CREATE TRIGGER trials_complete_never_update BEFORE UPDATE ON trials
  WHEN OLD.state = 'complete'
  BEGIN
    SELECT RAISE(ABORT, 'finished trials never change: this trial is complete');
  END;

  CREATE TRIGGER trials_complete_never_delete BEFORE DELETE ON trials
  WHEN OLD.state = 'complete'
  BEGIN
    SELECT RAISE(ABORT, 'finished trials are never deleted: this trial is complete');
  END;
  CREATE TRIGGER trials_failed_never_update BEFORE UPDATE ON trials
  WHEN OLD.state = 'failed'
  BEGIN
    SELECT RAISE(ABORT, 'finished trials never change: this trial is failed');
  END;

  CREATE TRIGGER trials_failed_never_delete BEFORE DELETE ON trials
  WHEN OLD.state = 'failed'
  BEGIN
    SELECT RAISE(ABORT, 'finished trials are never deleted: this trial is failed');
  END;
  CREATE TRIGGER trials_pruned_never_update BEFORE UPDATE ON trials
  WHEN OLD.state = 'pruned'
  BEGIN
    SELECT RAISE(ABORT, 'finished trials never change: this trial is pruned');
  END;

  CREATE TRIGGER trials_pruned_never_delete BEFORE DELETE ON trials
  WHEN OLD.state = 'pruned'
  BEGIN
    SELECT RAISE(ABORT, 'finished trials are never deleted: this trial is pruned');
  END;
  `,
  // 3: many workers on one study (issue 16). The directory of a study's files when it is not the
  // one beside the store (a PostgreSQL store's studies name a directory every worker shares); the
  // workers taking trials of a study (each beats its own heart); queued trials, taken by exactly
  // one worker (an interrupted trial's architecture, to be continued from its checkpoint); and
  // one-off phases of a study (a supernet's training), run by exactly one worker.
  `
  ALTER TABLE studies ADD COLUMN files_dir TEXT;

  CREATE TABLE study_workers (
    worker TEXT PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  CREATE INDEX study_workers_by_study ON study_workers (study_id);

  CREATE TABLE trial_queue (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    arch TEXT NOT NULL,
    searched_recipe TEXT,
    space TEXT,
    source TEXT,
    stop_after_epochs INTEGER,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    trial_id INTEGER REFERENCES trials(id)
  );
  CREATE INDEX trial_queue_waiting ON trial_queue (study_id, trial_id);

  CREATE TABLE study_phases (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    worker TEXT NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    PRIMARY KEY (study_id, name)
  );
  `,
  // 4: a study's files in the store itself (issue 23), for workers on machines that share only the
  // database: one row per file of the study directory (its path inside it), the bytes, their size
  // and SHA-256, the trial that wrote it last (null: the study's own, a supernet's). The key is
  // (study, name), not the trial: a trial lost with its worker is continued by another trial of the
  // same architecture, from the same checkpoint. How a study keeps its files: 'store' (these rows;
  // a worker's study directory is a cache of them), 'dir' (files_dir, a folder the study names,
  // which every worker must mount), or null (as before: beside an SQLite store, files_dir on
  // PostgreSQL).
  `
  ALTER TABLE studies ADD COLUMN files_in TEXT;

  CREATE TABLE artifact_files (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    name TEXT NOT NULL,
    trial_id INTEGER,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    worker TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (study_id, name)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The same migrations in PostgreSQL's dialect: the same tables, columns and numbering (a
 * PostgreSQL store records the count in tsnas_schema), ids as BIGSERIAL, times as BIGINT
 * milliseconds, floats as DOUBLE PRECISION, and one trigger function keeping finished trials as
 * they are with the same messages as SQLite's triggers.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE studies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    strategy TEXT NOT NULL,
    space TEXT NOT NULL,
    evaluator TEXT NOT NULL,
    data TEXT,
    objective_metric TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('maximize', 'minimize')),
    constraints TEXT NOT NULL DEFAULT '[]',
    seed BIGINT NOT NULL,
    config TEXT NOT NULL
  );

  CREATE TABLE trials (
    id BIGSERIAL PRIMARY KEY,
    study_id BIGINT NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'failed', 'pruned')),
    arch TEXT NOT NULL,
    recipe TEXT,
    source TEXT,
    flops DOUBLE PRECISION,
    params DOUBLE PRECISION,
    latency_us DOUBLE PRECISION,
    metrics TEXT NOT NULL DEFAULT '{}',
    epochs TEXT NOT NULL DEFAULT '[]',
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    heartbeat_at BIGINT,
    worker TEXT,
    error TEXT,
    UNIQUE (study_id, number)
  );
  CREATE INDEX trials_by_state ON trials (study_id, state);

  CREATE FUNCTION tsnas_finished_trials_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' THEN
      RAISE EXCEPTION 'finished trials are never deleted: this trial is %', OLD.state;
    END IF;
    RAISE EXCEPTION 'finished trials never change: this trial is %', OLD.state;
  END $$;
  CREATE TRIGGER trials_finished_never_change BEFORE UPDATE OR DELETE ON trials
    FOR EACH ROW WHEN (OLD.state <> 'running') EXECUTE FUNCTION tsnas_finished_trials_never_change();

  CREATE TABLE strategy_state (
    study_id BIGINT NOT NULL REFERENCES studies(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (study_id, key)
  );

  CREATE TABLE artifacts (
    id BIGSERIAL PRIMARY KEY,
    study_id BIGINT NOT NULL REFERENCES studies(id),
    trial_id BIGINT REFERENCES trials(id),
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX artifacts_by_study ON artifacts (study_id, kind);

  CREATE TABLE workers (
    study_id BIGINT PRIMARY KEY REFERENCES studies(id),
    worker TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
  );
  `,
  `
  ALTER TABLE trials ADD COLUMN searched_recipe TEXT;
  ALTER TABLE trials ADD COLUMN space TEXT;
  `,
  `
  ALTER TABLE studies ADD COLUMN files_dir TEXT;

  CREATE TABLE study_workers (
    worker TEXT PRIMARY KEY,
    study_id BIGINT NOT NULL REFERENCES studies(id),
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
  );
  CREATE INDEX study_workers_by_study ON study_workers (study_id);

  CREATE TABLE trial_queue (
    id BIGSERIAL PRIMARY KEY,
    study_id BIGINT NOT NULL REFERENCES studies(id),
    arch TEXT NOT NULL,
    searched_recipe TEXT,
    space TEXT,
    source TEXT,
    stop_after_epochs INTEGER,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    trial_id BIGINT REFERENCES trials(id)
  );
  CREATE INDEX trial_queue_waiting ON trial_queue (study_id, trial_id);

  CREATE TABLE study_phases (
    study_id BIGINT NOT NULL REFERENCES studies(id),
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    worker TEXT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    PRIMARY KEY (study_id, name)
  );
  `,
  `
  ALTER TABLE studies ADD COLUMN files_in TEXT;

  CREATE TABLE artifact_files (
    study_id BIGINT NOT NULL REFERENCES studies(id),
    name TEXT NOT NULL,
    trial_id BIGINT,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    worker TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (study_id, name)
  );
  `,
];
