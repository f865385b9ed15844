// One run of a study, the whole sequence in one call (Optuna's `optimize`, NNI's experiment `run`):
//
//   the configuration completed (configureSearch: defaults, the strategy's options and its
//   configure hook) and checked (setupSearch), before the store is touched
//   -> the store opened (or the caller's) -> the study created, or resumed (its stored
//   configuration, with what a resume may change)
//   -> the search loop, in this process (runSearch) or in N worker processes (the caller's
//   `runWorkers`: the CLI's spawns `tsnas worker`)
//   -> the study's finalize: the plug-in's hook, or the final network measured in the latency
//   table's runtime, and the final training (finalizeStudy.ts; under workers it runs once)
//   -> the result, typed.
//
// `tsnas search` is a client of it (flags -> options -> runStudy -> printing), as are the benches
// and tests that run studies. Errors are thrown; a run that fails having recorded nothing removes
// the study it created, and the store it created when no one else uses it, so that the same call
// can simply be made again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPostgresUrl, StoreError } from '../study/storeLocation';
import { FieldError } from '../io/fieldError';
import { runSearch, type SearchSummary, type TrialCounts } from '../study/runSearch';
import {
  DEFAULT_STORE,
  STUDY_NAME_PATTERN,
  StudyExistsError,
  StudyStore,
  explainStoreError,
  type StoreOptions,
} from '../study/store';
import type { StudyRecord, TrialRecord } from '../study/types';
import type { Evaluator } from '../evaluate/evaluator';
import { applyResumeOverrides, studyInit, type SearchConfig, type SearchConfigInput } from './config';
import type { FinalNetwork } from './finalNetwork';
import type { FinalTrainingState } from './finalTraining';
import { finalizeStudy } from './finalizeStudy';
import { getStrategy } from './registry';
import { studyConfig } from './studyConfig';
import { configureSearch, loopParts, setupSearch, type SearchSetup } from './setupSearch';

/** What runs a study's loop in worker processes (the CLI gives `runLocalWorkers`: N `tsnas worker` processes). */
export type WorkersRunner = (
  store: StudyStore,
  study: StudyRecord,
  o: {
    /** The store as the workers open it (a path or a URL). */
    store: string;
    workers: number;
    /** The study's intra-op threads in all (each worker gets its share). */
    threads: number;
    trials: number;
    maxFailed: number;
    /** No trial starts after this time (Date.now() milliseconds): the run's `timeout`. */
    deadline?: number;
    log: (line: string) => void;
  },
) => Promise<SearchSummary>;

export interface RunStudyOptions {
  /**
   * A new study: its configuration as data (a config file's fields; relative paths are taken as
   * given, from the working directory). Its `study` names it (default <strategy>-<space>-<time>);
   * its `store` is where, unless `store` below says.
   */
  config?: SearchConfigInput;
  /** Or continue the study of this name: its stored configuration, with `overrides`. */
  resume?: string;
  /**
   * On resume: what may change (trials, maxFailed, threads, ...: applyResumeOverrides), or a
   * function of the stored study that gives it (the CLI parses flags against its strategy).
   */
  overrides?: SearchConfigInput | ((study: StudyRecord) => SearchConfigInput);
  /** On resume: the strategy the caller expects; another one is an error. */
  strategy?: string;
  /**
   * The store: a location (an SQLite file, sqlite:FILE, or a postgres:// URL; default
   * config.store, else runs/tsnas.db), or an open store, which the caller keeps (never closed or
   * removed here).
   */
  store?: string | StudyStore;
  /** Options of a store opened here (its studies root, durability). */
  storeOptions?: StoreOptions;
  /**
   * The evaluator itself, in place of the one the spec names (a user's function: functionEvaluator).
   * A new study records its spec as its `evaluator`; a resumed one must have been created with it.
   */
  evaluator?: Evaluator;
  /**
   * Complete trials this run ends with, when not the study's target (`trials`, which is stored and
   * which strategies plan with): the library's `optimize` runs N more. In-process runs only.
   */
  trials?: number;
  /**
   * Seconds from this call after which no trial starts (Optuna's optimize timeout): running trials
   * finish, the run stops with 'timeout', and the study is finalized with what it has. A
   * strategy's prepare (a supernet's training) is not cut; its length is the strategy's options'.
   */
  timeout?: number;
  /** Run the loop in this many worker processes through `runWorkers` (default: in this process). */
  workers?: number;
  runWorkers?: WorkersRunner;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Each settled trial of an in-process loop, with the best so far and the study's counts after it. */
  onTrial?: (t: TrialRecord, best: TrialRecord | null, counts: TrialCounts) => void;
}

export interface StudyRunResult {
  /** The study's name. */
  study: string;
  /** The store's location (an open store's own). */
  store: string;
  /** The study's configuration as it ran (a resume's overrides applied). */
  config: SearchConfig;
  /** Whether this call created the study (else it resumed it). */
  created: boolean;
  /** What the run searched with: the strategy (as the loop left it), space, evaluator, cost model, constraints. */
  setup: SearchSetup;
  summary: SearchSummary;
  best: TrialRecord | null;
  /** The final network (the plug-in's finalize, or the latency table's measurement), or null. */
  final: FinalNetwork | null;
  finalTraining: FinalTrainingState | null;
  stopped: SearchSummary['stopped'];
}

/** A run's `timeout` (seconds from now) as a deadline in Date.now() milliseconds; checked. */
export function deadlineOf(timeout: number | undefined, field = 'timeout'): number | undefined {
  if (timeout === undefined) return undefined;
  if (!(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0))
    throw new FieldError(field, timeout, `\`${field}\` must be a number of seconds above 0, got ${String(timeout)}`);
  return Date.now() + timeout * 1000;
}

/** A new study's default name: <strategy>-<space>-<time>. */
export function defaultStudyName(c: SearchConfig): string {
  const space = path
    .basename(c.space)
    .replace(/\.(ya?ml|json)$/, '')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${c.strategy}-${space}-${t}`;
}

/** The directories of `dir` that do not exist yet, outermost first (what creating it would make). */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    out.unshift(d);
    if (path.dirname(d) === d) break;
  }
  return out;
}

/** After a failed run removed the store it made: the studies/ and directories it made, when empty. */
function removeMadeDirs(file: string, madeStudies: boolean, madeDirs: readonly string[]): void {
  const studies = path.join(path.dirname(path.resolve(file)), 'studies');
  if (madeStudies && fs.existsSync(studies) && fs.readdirSync(studies).length === 0) fs.rmdirSync(studies);
  for (const d of [...madeDirs].reverse()) if (fs.existsSync(d) && fs.readdirSync(d).length === 0) fs.rmdirSync(d);
}

/** Creates or resumes a study, runs its search, its finalize and its final training, and returns the result. */
export async function runStudy(o: RunStudyOptions): Promise<StudyRunResult> {
  const log = o.log ?? (() => {});
  if ((o.config === undefined) === (o.resume === undefined))
    throw new Error('runStudy: give either `config` (a new study) or `resume` (the name of a study to continue)');
  const deadline = deadlineOf(o.timeout);
  const given = o.config ?? {};
  const openStore = o.store instanceof StudyStore ? o.store : null;
  const storeFile = openStore ? openStore.file : ((o.store as string | undefined) ?? given.store ?? DEFAULT_STORE);
  const postgres = isPostgresUrl(storeFile);
  let config!: SearchConfig;
  let setup!: SearchSetup;
  let studyName: string;
  if (o.resume !== undefined) {
    studyName = o.resume;
    // Resuming never makes a store: a missing one is an error, not a new empty file.
    if (!openStore && !postgres && !fs.existsSync(storeFile))
      throw new StoreError(
        `no study store at ${storeFile} to resume '${studyName}' from (give the \`store\` the study is in)`,
        {
          value: storeFile,
        },
      );
  } else {
    config = configureSearch(o.evaluator && !given.evaluator ? { ...given, evaluator: o.evaluator.spec } : given);
    setup = setupSearch(config, { evaluator: o.evaluator }); // every check before the store is touched
    studyName = given.study ?? defaultStudyName(config);
    if (!STUDY_NAME_PATTERN.test(studyName))
      throw new FieldError(
        'study',
        studyName,
        `invalid study name '${studyName}' (\`study\`): letters, digits, '.', '_' and '-' (it names a directory too), at most 100 characters`,
      );
  }
  // What this run makes (the store file, its directory) is removed again if it fails having
  // recorded nothing, so that the same run can simply be made again. Whether it made the store
  // is the store's to say (another search may make it at the same moment), and so is whether no
  // one else uses it; the directories were made by this run, or by one beside it, and go only
  // with its store, and only when empty.
  const madeDirs = postgres || openStore ? [] : missingDirs(path.dirname(path.resolve(storeFile)));
  const madeStudies =
    !postgres && !openStore && !fs.existsSync(path.join(path.dirname(path.resolve(storeFile)), 'studies'));
  let createdStudy = false;
  let store: StudyStore | null = openStore;
  try {
    store ??= StudyStore.open(storeFile, { ...o.storeOptions, mustExist: o.resume !== undefined });
    let study: StudyRecord;
    if (o.resume !== undefined) {
      study = store.requireStudy(studyName);
      if (o.strategy && o.strategy !== study.strategy) {
        throw new FieldError(
          'strategy',
          o.strategy,
          `study '${studyName}' searches with ${study.strategy}, not ${o.strategy}`,
          {
            hint: `resume it with its own strategy (\`resume\` '${studyName}' alone)`,
          },
        );
      }
      const overrides = typeof o.overrides === 'function' ? o.overrides(study) : (o.overrides ?? {});
      const stored = studyConfig(study);
      config = applyResumeOverrides(stored, { ...overrides, strategy: undefined }, studyName);
      setup = setupSearch(config, { evaluator: o.evaluator });
      if (
        config.trials !== stored.trials ||
        config.maxFailed !== stored.maxFailed ||
        config.final?.seeds !== stored.final?.seeds
      ) {
        store.updateStudyConfig(study.id, config as unknown as Record<string, unknown>);
        // Strategies read the study's target from its record: the one just stored.
        study = { ...study, config: config as unknown as Record<string, unknown> };
      }
    } else {
      const existing = store.getStudy(studyName);
      if (existing) {
        throw new StudyExistsError(
          `study '${studyName}' already exists in ${storeFile} (${existing.strategy} on ${existing.space})`,
          {
            hint: 'resume it, or choose another `study` name',
            study: studyName,
            store: storeFile,
          },
        );
      }
      study = store.createStudy(studyInit(studyName, config));
      createdStudy = true;
    }
    log(
      `study '${study.name}' (${storeFile}): ${config.strategy} on ${setup.space.name}, ${setup.evaluator.description}, ` +
        `${config.trials} trials, ${config.objective.direction} ${config.objective.metric}` +
        `${setup.constraints.length ? `, ${setup.constraints.map((c) => c.text).join(' ')}` : ''}; seed ${config.seed}`,
    );
    let summary: SearchSummary;
    if (o.workers) {
      if (!o.runWorkers)
        throw new Error(
          `runStudy: workers: ${o.workers} needs runWorkers (what starts the worker processes, e.g. the CLI's runLocalWorkers)`,
        );
      summary = await o.runWorkers(store, study, {
        store: storeFile,
        workers: o.workers,
        threads: config.train.threads,
        trials: config.trials,
        maxFailed: config.maxFailed ?? Math.max(10, config.trials),
        ...(deadline !== undefined ? { deadline } : {}),
        log,
      });
    } else {
      summary = await runSearch({
        store,
        study,
        ...loopParts(setup),
        trials: o.trials ?? config.trials,
        maxFailed: config.maxFailed ?? undefined,
        ...(deadline !== undefined ? { deadline } : {}),
        log,
        ...(o.onTrial ? { onTrial: o.onTrial } : {}),
      });
    }
    // Under workers, the last of them finalized (or is finalizing) the study: this waits for it,
    // and finalizes itself when none did (a worker that failed there, or was killed).
    const { final, finalTraining } = summary.best
      ? await finalizeStudy({ store, study, setup, log, mode: o.workers ? 'shared' : 'single', wait: true })
      : { final: null, finalTraining: null };
    if (!openStore) store.close();
    return {
      study: summary.study,
      store: storeFile,
      config,
      created: createdStudy,
      setup,
      summary,
      best: summary.best,
      final,
      finalTraining,
      stopped: summary.stopped,
    };
  } catch (err) {
    // A study this run created that recorded nothing, and a store it created that holds no study
    // and no one else has open, are removed: a failed run leaves nothing to block making it
    // again, and never takes a store another run uses. Cleaning up is best effort; the error
    // that matters is the run's.
    try {
      if (store && createdStudy) store.removeUnusedStudy(studyName);
    } catch {
      // kept: a study that cannot be removed is resumed or removed by hand
    }
    try {
      if (!openStore && store?.driver.open && store.closeAndRemoveIfUnused())
        removeMadeDirs(storeFile, madeStudies, madeDirs);
    } catch {
      // kept: an empty store blocks nothing
    }
    throw explainStoreError(storeFile, err);
  }
}

/** Whether a study's result carries a final network (`final` in the CLI's JSON result): a finalize hook or a latency table. */
export function finalizesNetwork(config: SearchConfig): boolean {
  return !!(getStrategy(config.strategy).finalize || config.lut);
}
