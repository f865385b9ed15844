// The trials of an SQL store: created running with the study's next number (atomically, under
// the study's lock, or only if a number is still the next: one statement), read, finished once
// (finished trials never change), beaten, and failed when their process is gone.
import * as os from 'node:os';
import type { NewTrial } from '../studyStorage';
import { INTERRUPTED_ERROR, type Direction, type TrialRecord, type TrialState } from '../types';
import { parseWorker, pidAlive } from '../worker';
import { StorePart } from './storePart';

interface TrialRow {
  id: number;
  study_id: number;
  number: number;
  state: string;
  arch: string;
  recipe: string | null;
  source: string | null;
  flops: number | null;
  params: number | null;
  latency_us: number | null;
  metrics: string;
  epochs: string;
  started_at: number;
  finished_at: number | null;
  heartbeat_at: number | null;
  worker: string | null;
  error: string | null;
  /** Schema 2 (undefined when a schema-1 store is read without migrating it). */
  searched_recipe?: string | null;
  space?: string | null;
}

/** NaN and infinities are not JSON: store them as null and read them back as NaN. */
function metricsJson(m: Record<string, number>): string {
  return JSON.stringify(m, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}
function parseMetrics(text: string): Record<string, number> {
  return (text.includes('null') ? JSON.parse(text, (_k, v) => (v === null ? NaN : v)) : JSON.parse(text)) as Record<
    string,
    number
  >;
}

export function trialOf(r: TrialRow): TrialRecord {
  return {
    id: r.id,
    studyId: r.study_id,
    number: r.number,
    state: r.state as TrialState,
    arch: r.arch,
    recipe: r.recipe === null ? null : (JSON.parse(r.recipe) as Record<string, unknown>),
    searchedRecipe: r.searched_recipe == null ? null : (JSON.parse(r.searched_recipe) as Record<string, unknown>),
    space: r.space ?? null,
    source: r.source,
    costs: { flops: r.flops, params: r.params, latencyUs: r.latency_us },
    metrics: parseMetrics(r.metrics),
    epochs: parseMetrics(r.epochs) as unknown as Array<Record<string, number>>,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    heartbeatAt: r.heartbeat_at,
    worker: r.worker,
    error: r.error,
  };
}

/** The better of two values of an objective (NaN never wins). */
export function better(a: number, b: number, direction: Direction): boolean {
  if (!Number.isFinite(a)) return false;
  if (!Number.isFinite(b)) return true;
  return direction === 'maximize' ? a > b : a < b;
}

/** The best complete trial for an objective; ties go to the earlier trial. */
export function bestTrial(trials: readonly TrialRecord[], metric: string, direction: Direction): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    const v = t.metrics[metric];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!best || better(v, best.metrics[metric]!, direction)) best = t;
  }
  return best;
}

/** Its statements (SQL both dialects parse; a driver prepares each on first use). */
const STATEMENTS = {
  trial: 'SELECT * FROM trials WHERE id = ?',
  trials: 'SELECT * FROM trials WHERE study_id = ? ORDER BY number',
  nextNumber: 'SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE study_id = ?',
  insertTrialIfNext: `INSERT INTO trials (study_id, number, state, arch, recipe, searched_recipe, space, source, flops, params, latency_us,
    started_at, heartbeat_at, worker)
    SELECT @study, @number, 'running', @arch, @recipe, @searchedRecipe, @space, @source, @flops, @params, @latencyUs, @now, @now, @worker
    WHERE (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = @study) = @number`,
  insertTrial: `INSERT INTO trials (study_id, number, state, arch, recipe, searched_recipe, space, source, flops, params, latency_us,
    started_at, heartbeat_at, worker)
    VALUES (@study, @number, 'running', @arch, @recipe, @searchedRecipe, @space, @source, @flops, @params, @latencyUs, @now, @now, @worker)`,
  finish: `UPDATE trials SET state = @state, metrics = @metrics, epochs = COALESCE(@epochs, epochs), finished_at = @now,
    heartbeat_at = @now, error = @error WHERE id = @id AND state = 'running'`,
  epochs: "UPDATE trials SET epochs = ?, heartbeat_at = ? WHERE id = ? AND state = 'running'",
  beat: "UPDATE trials SET heartbeat_at = ? WHERE id = ? AND state = 'running'",
};

/** Trials: created, read, finished, beaten, failed when their worker is gone. */
export class TrialTable extends StorePart {
  /** Creates a running trial with the next number of the study. */
  createTrial(studyId: number, t: NewTrial): TrialRecord {
    return this.driver.transaction(() => {
      // Workers creating trials of one study at once take numbers one after the other.
      this.driver.lockStudy(studyId);
      const number = this.driver.get<{ n: number }>(STATEMENTS.nextNumber, [studyId])!.n;
      return this.trial(this.driver.insert(STATEMENTS.insertTrial, this.trialParams(studyId, number, t)));
    });
  }

  /**
   * Creates a running trial numbered `number` if that is still the study's next number, else
   * nothing (null): another worker created a trial since this one read the study, so what it
   * asked for may repeat that trial; it reads the study again and asks again.
   */
  createTrialIfNext(studyId: number, number: number, t: NewTrial): TrialRecord | null {
    // One statement, atomic by itself: the insert happens only while `number` is the next one,
    // and of two workers inserting the same number at once the unique (study, number) index lets
    // one through (PostgreSQL: the other gets unique_violation). No lock is held while workers ask.
    let changes: number;
    try {
      changes = this.driver.run(STATEMENTS.insertTrialIfNext, this.trialParams(studyId, number, t)).changes;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return null;
      throw err;
    }
    const made = this.trialByNumber(studyId, number);
    if (changes === 1) return made ?? null;
    // This worker's own insert, run again because the answer to it was lost with the connection:
    // the trial is there, its own.
    return made && t.worker != null && made.worker === t.worker && made.arch === t.arch && made.state === 'running'
      ? made
      : null;
  }

  private trialParams(studyId: number, number: number, t: NewTrial): Record<string, unknown> {
    return {
      study: studyId,
      number,
      arch: t.arch,
      recipe: t.recipe == null ? null : JSON.stringify(t.recipe),
      searchedRecipe: t.searchedRecipe == null ? null : JSON.stringify(t.searchedRecipe),
      space: t.space ?? null,
      source: t.source ?? null,
      flops: t.costs?.flops ?? null,
      params: t.costs?.params ?? null,
      latencyUs: t.costs?.latencyUs ?? null,
      now: Date.now(),
      worker: t.worker ?? null,
    };
  }

  trial(id: number): TrialRecord {
    const r = this.driver.get<TrialRow>(STATEMENTS.trial, [id]);
    if (!r) throw new Error(`no trial with id ${id} in ${this.file}`);
    return trialOf(r);
  }

  trialByNumber(studyId: number, number: number): TrialRecord | undefined {
    const r = this.driver.get<TrialRow>('SELECT * FROM trials WHERE study_id = ? AND number = ?', [studyId, number]);
    return r && trialOf(r);
  }

  /** Every trial of a study in number order (optionally only some states). */
  trials(studyId: number, states?: readonly TrialState[]): TrialRecord[] {
    if (!states) return this.driver.all<TrialRow>(STATEMENTS.trials, [studyId]).map(trialOf);
    const rows = this.driver.all<TrialRow>(
      `SELECT * FROM trials WHERE study_id = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY number`,
      [studyId, ...states],
    );
    return rows.map(trialOf);
  }

  private finish(
    id: number,
    state: Exclude<TrialState, 'running'>,
    metrics: Record<string, number>,
    epochs: Array<Record<string, number>> | undefined,
    error: string | null,
  ): TrialRecord {
    const metricsText = metricsJson(metrics);
    const r = this.driver.run(STATEMENTS.finish, {
      id,
      state,
      metrics: metricsText,
      epochs: epochs === undefined ? null : metricsJson(epochs as never),
      now: Date.now(),
      error,
    });
    if (r.changes !== 1) {
      const t = this.trial(id);
      // The same finish again (a PostgreSQL transaction redone after its connection was lost
      // while it committed): it is recorded once, and that record is the answer.
      if (t.state === state && t.error === error && metricsJson(t.metrics) === metricsText) return t;
      throw new Error(
        `trial ${t.number} is ${t.state}, not running: it cannot be finished again (finished trials never change)`,
      );
    }
    return this.trial(id);
  }

  completeTrial(id: number, metrics: Record<string, number>, epochs?: Array<Record<string, number>>): TrialRecord {
    return this.finish(id, 'complete', metrics, epochs, null);
  }

  failTrial(
    id: number,
    error: string,
    o: { metrics?: Record<string, number>; epochs?: Array<Record<string, number>>; state?: 'failed' | 'pruned' } = {},
  ): TrialRecord {
    return this.finish(id, o.state ?? 'failed', o.metrics ?? {}, o.epochs, error);
  }

  /** Records a running trial's finished epochs so far (and beats its heart). */
  recordEpochs(id: number, epochs: Array<Record<string, number>>): void {
    this.driver.run(STATEMENTS.epochs, [metricsJson(epochs as never), Date.now(), id]);
  }

  heartbeat(id: number): void {
    this.driver.run(STATEMENTS.beat, [Date.now(), id]);
  }

  /**
   * Fails every running trial of the study not run by `except` (call it holding the study's
   * lease: then no other live process runs trials of it) with 'interrupted (process ended)'.
   */
  failStaleTrials(studyId: number, except: string | null = null, error = INTERRUPTED_ERROR): TrialRecord[] {
    return this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      const stale = this.trials(studyId, ['running']).filter((t) => t.worker !== except || except === null);
      for (const t of stale) this.finish(t.id, 'failed', t.metrics, undefined, error);
      return stale.map((t) => this.trial(t.id));
    });
  }

  /**
   * Many workers on one study: fails the running trials whose worker is gone (a process of this
   * host that ended, or a heartbeat older than staleMs) as interrupted, and queues each one's
   * architecture again, so that the next worker free continues it (from its checkpoint, for a
   * training evaluator). Optuna's fail_stale_trials with a retry callback.
   */
  failDeadWorkersTrials(studyId: number, staleMs: number, now = Date.now()): TrialRecord[] {
    // A look without a transaction first: almost always every worker is alive.
    if (this.trials(studyId, ['running']).every((t) => trialWorkerAlive(t, staleMs, now))) return [];
    return this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      const dead = this.trials(studyId, ['running']).filter((t) => !trialWorkerAlive(t, staleMs, now));
      for (const t of dead) {
        this.finish(t.id, 'failed', t.metrics, undefined, INTERRUPTED_ERROR);
        this.store.enqueueTrial(studyId, t, `trial ${t.number} interrupted`);
      }
      return dead.map((t) => this.trial(t.id));
    });
  }
}

/** Whether the worker running a trial is alive: a process of this host that exists, else a recent heartbeat. */
export function trialWorkerAlive(t: TrialRecord, staleMs: number, now: number): boolean {
  const w = t.worker === null ? null : parseWorker(t.worker);
  const beat = t.heartbeatAt ?? t.startedAt;
  if (w && w.host === os.hostname()) return (w.pid === process.pid || pidAlive(w.pid)) && now - beat < staleMs;
  return now - beat < staleMs;
}
