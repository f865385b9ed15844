// A study from code (Optuna's create_study / load_study and its Study object): create or load a
// study in a store, then `optimize` it (a run of runStudy: the loop, the study's finalize and its
// final training), or drive it by hand with `ask` and `tell` (the same session the loop runs on:
// runSearch.ts's SearchSession), and read it back: `trials`, `bestTrial`, `paretoFront`. A study
// evaluates with an evaluator spec ('synthetic:3', 'table:FILE', 'train' with `data`, a kind
// registered with registerEvaluator), an Evaluator object, or the user's own objective function
// (functionEvaluator); a function cannot be stored, so a study that used one is given it again
// when it is loaded to be run.
import type { EvalResult, Evaluator } from '../evaluate/evaluator';
import { EvaluationError } from '../evaluate/evaluator';
import { FUNCTION_KIND, functionEvaluator, type ObjectiveFunction } from '../evaluate/functionEvaluator';
import { FieldError } from '../io/fieldError';
import { paretoFront as front } from '../report/pareto';
import type { Arch } from '../space/types';
import type { ArchCosts } from '../cost/costModel';
import { SearchSession, type AskedTrial } from '../study/runSearch';
import { DEFAULT_STORE, StudyStore, bestTrial, type StoreOptions } from '../study/store';
import type { Direction, Objective, StudyRecord, TrialRecord, TrialState } from '../study/types';
import { ConfigError, searchConfigFileSchema, type SearchConfig, type SearchConfigInput } from './config';
import { deadlineOf, runStudy, type StudyRunResult } from './runStudy';
import { answerStudyBudgets, type AnswerBudgetsOptions } from './answerStudyBudgets';
import type { BudgetAnswer } from './strategyPlugin';
import type { Constraint } from '../cost/constraints';
import { studyConfig } from './studyConfig';
import { loopParts, setupSearch } from './setupSearch';
import { runStudyWorker } from './runStudyWorker';

/** What a new study is: the fields of a study's configuration, in the terms of code. */
export interface CreateStudyOptions extends Omit<
  SearchConfigInput,
  'study' | 'store' | 'options' | 'evaluator' | 'objective' | 'strategy'
> {
  /** The store: an SQLite file, sqlite:FILE or a postgres:// URL (default runs/tsnas.db), or an open store (the caller closes it). */
  store?: string | StudyStore;
  /** Options of a store opened here. */
  storeOptions?: StoreOptions;
  /** The study's name (default <strategy>-<space>-<time>). */
  name?: string;
  /** The search strategy (a registered one: strategyNames()); default 'random'. */
  strategy?: string;
  /** The strategy's own options (e.g. evolution's { population, sampleSize }). */
  strategyOptions?: Record<string, unknown>;
  /**
   * How trials are evaluated: a spec ('synthetic:3', 'table:FILE', 'train' with `data`, a
   * registered kind), an Evaluator (functionEvaluator(fn, ...)), or an objective function. Default:
   * 'train' with `data`; without data, the trials are evaluated by code (`optimize(fn)`, or ask and tell).
   */
  evaluator?: string | Evaluator | ObjectiveFunction;
  /** The metric to optimize and its direction (default: maximize 'accuracy'); a string names the metric, maximized. */
  objective?: string | { metric?: string; direction?: Direction };
  /** When a study of this name exists: load it (its configuration is then the stored one) instead of failing. */
  loadIfExists?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** Which study to load, and the evaluator it cannot store. */
export interface LoadStudyOptions {
  /** The store the study is in (default runs/tsnas.db), or an open store (the caller closes it). */
  store?: string | StudyStore;
  /** Options of a store opened here. */
  storeOptions?: StoreOptions;
  /** The study's name. */
  name: string;
  /** The study's evaluator when it evaluated with code: the same function (or functionEvaluator) again. */
  evaluator?: Evaluator | ObjectiveFunction;
  /** Progress lines of its runs and sessions (default: none). */
  log?: (line: string) => void;
}

/** One optimize call. */
export interface OptimizeOptions {
  /** Run until this many more trials are complete (default: until the study has its `trials`). */
  trials?: number;
  /** Progress lines (default: the study's log). */
  log?: (line: string) => void;
  /** Each settled trial, with the best so far. */
  onTrial?: (t: TrialRecord, best: TrialRecord | null) => void;
  /**
   * Run as one of many workers of the study (Optuna's model: the same script in several processes,
   * on one machine or many sharing a PostgreSQL store): this process takes trials beside the
   * others until the study has its `trials`, and the last worker to end runs the study's finalize
   * and final training, once. Every process on the study must run as a worker then (a run
   * without `worker` holds the study alone). A worker's running trial that stops beating (its
   * process killed) is asked again by another. Default false.
   */
  worker?: boolean;
  /**
   * Seconds after which no trial starts (Optuna's timeout): the running one finishes and the run
   * stops with 'timeout', then the study is finalized with what it has. A strategy's prepare (a
   * supernet's training) is not cut. Default: none.
   */
  timeout?: number;
  /** A worker's intra-op threads (default: the study's). */
  threads?: number;
  /** A worker: seconds without a heartbeat after which another worker's running trial counts as lost (default 60). */
  staleAfterSeconds?: number;
}

/** A trial handed out by `ask`: evaluate it, then `tell` its metrics (or the error it failed with). */
export interface TrialHandle {
  /** The trial's number in the study. */
  readonly number: number;
  /** The architecture to evaluate. */
  readonly arch: Arch;
  /** Its canonical compact string, as the study records it. */
  readonly archText: string;
  /** The recipe the study's evaluator gives it (with the strategy's proposed fields), or null. */
  readonly recipe: Record<string, unknown> | null;
  /** Its costs (FLOPs, parameters, latency when the study has a table). */
  readonly costs: ArchCosts;
  /** Who proposed it ('random', 'mutation', ...). */
  readonly source: string;
  /** Train only this many epochs (the strategy's early stopping), or null. */
  readonly stopAfterEpochs: number | null;
}

/** What a Pareto front is taken over. */
export interface ParetoFrontOptions {
  /** The quality (default: the study's objective metric). */
  metric?: string;
  /** Its direction (default: the objective's, for the objective's metric; else maximize). */
  direction?: Direction;
  /** The cost, minimized (default 'flops'). */
  cost?: keyof ArchCosts;
}

/** An objective function given where an evaluator is: a functionEvaluator reporting the objective's metric. */
function asEvaluator(
  e: Evaluator | ObjectiveFunction | undefined,
  name: string,
  metric: string,
): Evaluator | undefined {
  return typeof e === 'function' ? functionEvaluator(e, { name, metrics: [metric] }) : e;
}

const functionName = (spec: string): string | null =>
  spec.startsWith(`${FUNCTION_KIND}:`) ? spec.slice(FUNCTION_KIND.length + 1) : null;

/**
 * Creates a study in a store (Optuna's create_study): its configuration completed and checked
 * (an unknown strategy or evaluator, a space that fails its schema: FieldErrors naming the
 * field) before anything is written. An existing name is a StudyExistsError unless `loadIfExists`.
 */
export async function createStudy(o: CreateStudyOptions): Promise<Study> {
  const { store, storeOptions, name, strategyOptions, evaluator, objective, loadIfExists, log, strategy, ...fields } =
    o;
  const obj = typeof objective === 'string' ? { metric: objective } : objective;
  const metric = obj?.metric ?? 'accuracy';
  // Without an evaluator or data, trials are evaluated by code: a function named 'objective'.
  const given =
    evaluator === undefined && fields.data === undefined
      ? functionEvaluator(
          () => {
            throw new Error('no objective: give it to optimize(fn), or evaluate by ask and tell');
          },
          { metrics: [metric] },
        )
      : evaluator;
  const evaluatorObject = typeof given === 'string' ? undefined : asEvaluator(given, 'objective', metric);
  // The stand-in above only creates the study: optimize() without a function is then the error
  // that asks for one, not trials failed by the stand-in.
  const own = typeof evaluator === 'string' ? undefined : asEvaluator(evaluator, 'objective', metric);
  const location = store ?? DEFAULT_STORE;
  if (loadIfExists && name !== undefined) {
    const existing = withStore<StudyRecord | undefined>(location, storeOptions, (s) => s.getStudy(name), undefined);
    if (existing) return loadStudy({ store: location, storeOptions, name, ...(own ? { evaluator: own } : {}), log });
  }
  const config: SearchConfigInput = {
    ...fields,
    strategy: strategy ?? 'random',
    ...(name !== undefined ? { study: name } : {}),
    ...(strategyOptions ? { options: strategyOptions } : {}),
    ...(typeof given === 'string' ? { evaluator: given } : {}),
    ...(obj ? { objective: { metric, direction: obj.direction ?? 'maximize' } } : {}),
  };
  checkInput(config);
  // The study is created by the one run of a study, with nothing to run: every check and the
  // clean-up of a failed creation are runStudy's. Its lines are not logged: optimize() logs the
  // study's line (and any warning of its set-up) when it runs, and would repeat them.
  const r = await runStudy({
    config,
    store: location,
    ...(storeOptions ? { storeOptions } : {}),
    ...(evaluatorObject ? { evaluator: evaluatorObject } : {}),
    trials: 0,
  });
  return openStudy(location, storeOptions, r.study, own, log);
}

/** The names of createStudy's options where the configuration's differ. */
const OPTION_NAMES: Record<string, string> = { options: 'strategyOptions', study: 'name' };

/**
 * Checks what code gave against the configuration's schema (a config file's is checked when read):
 * a wrong type is a FieldError naming createStudy's option (`trials`, `train.epochs`, `strategyOptions`).
 */
function checkInput(config: SearchConfigInput): void {
  const r = searchConfigFileSchema.safeParse(config);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const at = issue.path.map(String);
  const value = at.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    config,
  );
  if (at.length) at[0] = OPTION_NAMES[at[0]!] ?? at[0]!;
  const field = at.join('.') || 'options';
  throw new ConfigError(
    field,
    value,
    `invalid \`${field}\`: ${issue.message} (got ${JSON.stringify(value) ?? String(value)})`,
  );
}

/** Loads a study from a store (Optuna's load_study): to read it, optimize it further, or ask and tell. */
export async function loadStudy(o: LoadStudyOptions): Promise<Study> {
  return openStudy(o.store ?? DEFAULT_STORE, o.storeOptions, o.name, o.evaluator, o.log);
}

function openStudy(
  location: string | StudyStore,
  storeOptions: StoreOptions | undefined,
  name: string,
  evaluator: Evaluator | ObjectiveFunction | undefined,
  log: ((line: string) => void) | undefined,
): Study {
  const owned = !(location instanceof StudyStore);
  const store =
    location instanceof StudyStore ? location : StudyStore.open(location, { ...storeOptions, mustExist: true });
  try {
    const record = store.requireStudy(name);
    const fn = functionName(record.evaluator);
    const e = asEvaluator(evaluator, fn ?? 'objective', record.objective.metric);
    return new Study(store, owned, record, e, log ?? (() => {}));
  } catch (err) {
    if (owned) store.close();
    throw err;
  }
}

function withStore<T>(
  location: string | StudyStore,
  o: StoreOptions | undefined,
  f: (s: StudyStore) => T,
  orElse: T,
): T {
  if (location instanceof StudyStore) return f(location);
  let s: StudyStore;
  try {
    s = StudyStore.open(location, { ...o, mustExist: true });
  } catch {
    return orElse; // no store yet: no study in it
  }
  try {
    return f(s);
  } finally {
    s.close();
  }
}

/**
 * A study in a store: a handle, the data stays in the store (Optuna's Study). Close it when done
 * (it holds the study while asking and telling, and the store when it opened it).
 */
export class Study {
  private session: SearchSession | null = null;
  private closed = false;

  /** @internal created by createStudy and loadStudy */
  constructor(
    /** The store the study is in. */
    readonly store: StudyStore,
    private readonly ownsStore: boolean,
    private readonly created: StudyRecord,
    private readonly evaluator: Evaluator | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The study's name. */
  get name(): string {
    return this.created.name;
  }

  /** The study as stored (its configuration with what later runs changed). */
  get record(): StudyRecord {
    return this.store.requireStudy(this.created.name);
  }

  /** The study's complete configuration. */
  get config(): SearchConfig {
    return studyConfig(this.record);
  }

  /** The metric optimized and its direction. */
  get objective(): Objective {
    return this.created.objective;
  }

  /** The study's trials in number order; `state` keeps those in that state (or those states). */
  trials(filter: { state?: TrialState | readonly TrialState[] } = {}): TrialRecord[] {
    const states =
      filter.state === undefined ? undefined : typeof filter.state === 'string' ? [filter.state] : filter.state;
    return this.store.trials(this.created.id, states);
  }

  /** The complete trial best in the objective (the earliest of equals), or null before any completes. */
  get bestTrial(): TrialRecord | null {
    return bestTrial(this.trials({ state: 'complete' }), this.objective.metric, this.objective.direction);
  }

  /**
   * The complete trials no other beats in both the metric and the cost (report/pareto.ts), in
   * ascending cost.
   */
  paretoFront(o: ParetoFrontOptions = {}): TrialRecord[] {
    const metric = o.metric ?? this.objective.metric;
    const direction = o.direction ?? (metric === this.objective.metric ? this.objective.direction : 'maximize');
    const cost = o.cost ?? 'flops';
    return front(this.trials({ state: 'complete' }), {
      x: (t) => t.costs[cost] ?? NaN,
      y: (t) => t.metrics[metric] ?? NaN,
      xDirection: 'minimize',
      yDirection: direction,
    });
  }

  /**
   * Runs the study's search (Optuna's optimize) through runStudy: trials evaluated by `objective`
   * (a function or an Evaluator; default the study's own evaluator), until `trials` more are
   * complete, then the study's finalize and final training. A trial the objective fails (it
   * throws, returns NaN or lacks a metric) is a failed trial; the run stops after the study's
   * `maxFailed` failures.
   */
  async optimize(objective?: ObjectiveFunction | Evaluator, o: OptimizeOptions = {}): Promise<StudyRunResult> {
    this.checkOpen();
    // The loop takes the study itself; trials asked and not told are then interrupted, and asked again.
    this.endSession();
    const record = this.record;
    const evaluator = asEvaluator(objective, functionName(record.evaluator) ?? 'objective', this.objective.metric);
    if (o.trials !== undefined && !(Number.isInteger(o.trials) && o.trials > 0))
      throw new FieldError('trials', o.trials, `\`trials\` must be a positive integer, got ${String(o.trials)}`);
    if (o.worker) {
      if (o.trials !== undefined)
        throw new FieldError(
          'trials',
          o.trials,
          'a worker runs until the study has its `trials`; `trials` more is an option of a run that holds the study alone (worker: false)',
        );
      return this.optimizeAsWorker(evaluator ?? this.evaluator, o);
    }
    const complete = this.trials({ state: 'complete' }).length;
    return runStudy({
      resume: this.name,
      store: this.store,
      ...((evaluator ?? this.evaluator) ? { evaluator: evaluator ?? this.evaluator } : {}),
      ...(o.trials !== undefined ? { trials: complete + o.trials } : {}),
      ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
      log: o.log ?? this.log,
      ...(o.onTrial ? { onTrial: o.onTrial } : {}),
    });
  }

  /** One worker of many (OptimizeOptions.worker): the loop of `tsnas worker`, with this study's evaluator. */
  private async optimizeAsWorker(evaluator: Evaluator | undefined, o: OptimizeOptions): Promise<StudyRunResult> {
    if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads > 0))
      throw new FieldError('threads', o.threads, `\`threads\` must be a positive integer, got ${String(o.threads)}`);
    if (o.staleAfterSeconds !== undefined && !(o.staleAfterSeconds > 0))
      throw new FieldError(
        'staleAfterSeconds',
        o.staleAfterSeconds,
        `\`staleAfterSeconds\` must be a number of seconds above 0, got ${String(o.staleAfterSeconds)}`,
      );
    const deadline = deadlineOf(o.timeout);
    const { config, setup, summary, finalized } = await runStudyWorker({
      store: this.store,
      study: this.record,
      log: o.log ?? this.log,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(evaluator ? { evaluator } : {}),
      ...(deadline !== undefined ? { deadline } : {}),
      ...(o.staleAfterSeconds !== undefined ? { staleAfterMs: o.staleAfterSeconds * 1000 } : {}),
      ...(o.onTrial ? { onTrial: o.onTrial } : {}),
    });
    return {
      study: this.name,
      store: this.store.file,
      config,
      created: false,
      setup,
      summary,
      best: summary.best,
      final: finalized.final,
      finalTraining: finalized.finalTraining,
      stopped: summary.stopped,
    };
  }

  /**
   * The strategy's next trial (Optuna's ask), recorded as running; null when the strategy has
   * nothing more to propose. Its randomness is seeded by the study's seed and the number of
   * trials told before it, as in optimize: asking and telling by hand proposes what the loop would.
   */
  async ask(): Promise<TrialHandle | null> {
    const s = await this.openSession();
    const a = await s.ask();
    return a ? handle(a) : null;
  }

  /**
   * Finishes an asked trial (Optuna's tell) with its metrics (a number is the objective's metric),
   * or the error it failed with, and tells the strategy. Metrics that lack the objective or hold a
   * value that is not a finite number fail the trial, saying why. Returns the trial as stored.
   */
  async tell(trial: TrialHandle | number, result: Record<string, number> | number | Error): Promise<TrialRecord> {
    const s = await this.openSession();
    const n = typeof trial === 'number' ? trial : trial.number;
    const a = s.pending.get(n);
    if (!a) {
      const t = this.store.trialByNumber(this.created.id, n);
      throw new Error(
        t
          ? `trial ${n} of study '${this.name}' is ${t.state}${t.error ? ` (${t.error})` : ''}, not asked and waiting: ` +
              'only a trial asked since the study was loaded is told (finished trials never change; one asked before is asked again)'
          : `study '${this.name}' has no trial ${n}`,
      );
    }
    const finished = s.finish(a, outcomeOf(result, this.objective.metric));
    s.settle(finished);
    return finished;
  }

  /**
   * Answers new resource budgets from the finished study without searching again (FBNetV3's
   * predictor: `answerStudyBudgets`), one answer per budget; each says how far it extrapolates
   * what the study evaluated. `evaluate: K` first evaluates K candidates within each budget as
   * trials of the study and refits on them (resumable). A strategy that cannot answer is a
   * FieldError on `strategy`.
   */
  async answer(
    budgets: ReadonlyArray<string | Constraint>,
    o: Omit<AnswerBudgetsOptions, 'store' | 'study' | 'budgets' | 'evaluator'> = {},
  ): Promise<BudgetAnswer[]> {
    this.checkOpen();
    this.endSession(); // the answer holds the study itself
    return answerStudyBudgets({
      store: this.store,
      study: this.record,
      budgets,
      ...(this.evaluator ? { evaluator: this.evaluator } : {}),
      log: this.log,
      ...o,
    });
  }

  /** Ends asking and telling (trials asked and not told stay running, and are asked again later) and closes the store if this opened it. */
  close(): void {
    if (this.closed) return;
    this.endSession();
    this.closed = true;
    if (this.ownsStore) this.store.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`study '${this.name}' is closed: load it again`);
  }

  private endSession(): void {
    this.session?.close();
    this.session = null;
  }

  private async openSession(): Promise<SearchSession> {
    this.checkOpen();
    if (this.session) return this.session;
    const record = this.record;
    const config = studyConfig(record);
    // Asking and telling never runs the evaluator: a study of a function needs no function for it.
    const fn = functionName(record.evaluator);
    const evaluator =
      this.evaluator ??
      (fn
        ? functionEvaluator(
            () => {
              throw new Error('trials of a study asked by hand are told, not evaluated here');
            },
            { name: fn, metrics: [record.objective.metric] },
          )
        : undefined);
    const setup = setupSearch(config, evaluator ? { evaluator } : {});
    this.session = await SearchSession.open({
      store: this.store,
      study: record,
      ...loopParts(setup),
      trials: config.trials,
      log: this.log,
    });
    return this.session;
  }
}

function handle(a: AskedTrial): TrialHandle {
  return {
    number: a.trial.number,
    arch: a.proposal.arch,
    archText: a.trial.arch,
    recipe: a.recipe,
    costs: a.costs,
    source: a.proposal.source,
    stopAfterEpochs: a.proposal.stopAfterEpochs ?? null,
  };
}

/** What a tell says, as an evaluation's outcome: metrics checked to be finite numbers. */
function outcomeOf(result: Record<string, number> | number | Error, metric: string): EvalResult | Error {
  if (result instanceof Error) return result;
  const metrics = typeof result === 'number' ? { [metric]: result } : result;
  if (metrics === null || typeof metrics !== 'object')
    return new EvaluationError(`told ${String(metrics)}, not metrics (an object of numbers, or a number)`);
  for (const [k, v] of Object.entries(metrics))
    if (typeof v !== 'number' || !Number.isFinite(v))
      return new EvaluationError(`told ${k} = ${typeof v === 'number' ? v : JSON.stringify(v)}, not a finite number`);
  return { metrics };
}
