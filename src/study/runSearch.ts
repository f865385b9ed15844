// The search loop (Optuna's optimize, built on ask/tell):
//
//   take the study's lease (one live process per study)
//   fail stale running trials: 'interrupted (process ended)'
//   replay the settled trials through strategy.tell, in order; run strategy.prepare if any
//   until `trials` trials are complete (failed ones don't count; at most `maxFailed` may fail):
//     ask -> create a running trial -> evaluate -> complete or fail it -> tell
//
// Interrupted trials are re-asked, not retried by hand: they are not part of the history, so
// the next ask has the same index and the same history as the interrupted one had, and every
// strategy whose proposal is a function of (seed, index, history) proposes the same
// architecture again. A killed and resumed study therefore evaluates exactly the architectures an
// uninterrupted one would. An architecture whose evaluation was interrupted MAX_INTERRUPTIONS
// times (a crash it causes, say) is failed instead of being tried again.
//
// The trial cycle, the heartbeat and the replay are `TrialLoop`'s (below), which the many-worker
// form (runWorker.ts) runs too: the two loops differ only in how they get their next trial.
import { acceptsIndices, formatArch, formatIndices } from '../space/archFormat';
import { loadDataSource } from '../data/dataSource';
import { EvaluationError, type EvalJob, type EvalResult, type Evaluator } from '../evaluate/evaluator';
import { formatCost, violations, type Constraint } from '../cost/constraints';
import type { ArchCosts, CostModel } from '../cost/costModel';
import type { Space } from '../space/types';
import { rngFor } from '../random/seeds';
import { bestTrial, better } from './store';
import type { NewTrial, StudyStorage } from './studyStorage';
import { isWait, type AskContext, type Proposal, type Strategy, type StudyContext } from './strategy';
import { isInterrupted, isSettled, trialKey, type StudyRecord, type TrialRecord } from './types';
import { throttle } from './throttle';
import { newWorkerId, type WorkerId } from './worker';

export const MAX_INTERRUPTIONS = 3;
/** How often a running trial's heartbeat is written at most. */
export const HEARTBEAT_MS = 2000;

export interface SearchOptions {
  store: StudyStorage;
  study: StudyRecord;
  strategy: Strategy;
  evaluator: Evaluator;
  space: Space;
  constraints: readonly Constraint[];
  costs: CostModel;
  /** Complete trials the study should end with. */
  trials: number;
  /** Stop once this many trials have failed (default max(10, trials)); interrupted ones don't count. */
  maxFailed?: number;
  /**
   * No trial starts after this time (Date.now() milliseconds; a run's timeout): the running one
   * finishes, and the loop stops with 'timeout'. A strategy's prepare (a supernet's training) is
   * not cut: its length is its own options'.
   */
  deadline?: number;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
  /** Each settled trial, the best so far, and the study's counts after it (for progress and time-left lines). */
  onTrial?: (t: TrialRecord, best: TrialRecord | null, counts: TrialCounts) => void;
}

/** Where a study stands: its complete and failed trials, and the complete trials it ends with. */
export interface TrialCounts {
  complete: number;
  failed: number;
  target: number;
}

export interface SearchSummary {
  study: string;
  best: TrialRecord | null;
  complete: number;
  failed: number;
  /** Running trials of an earlier process found and failed at the start. */
  interrupted: number;
  /**
   * 'target': the study has its trials; 'done': the strategy had nothing more; 'failures': maxFailed
   * reached; 'timeout': the run's deadline passed.
   */
  stopped: 'target' | 'done' | 'failures' | 'timeout';
  lastError: string | null;
}

/** Whether a run's deadline (Date.now() milliseconds) has passed; never without one. */
export const pastDeadline = (deadline: number | undefined): boolean => deadline !== undefined && Date.now() >= deadline;

/** A short form of an architecture for progress lines. */
export function shortArch(space: Space, archText: string, arch?: Parameters<typeof formatIndices>[1]): string {
  if (arch && acceptsIndices(space, arch)) return formatIndices(space, arch);
  return archText.length > 48 ? `${archText.slice(0, 22)}...${archText.slice(-23)}` : archText;
}

/** Subdirectories of a study directory that the loops leave to their own users (each trial pulls its checkpoint). */
export const OWN_SYNC = ['checkpoints'];

export function makeStudyContext(o: SearchOptions, heartbeat: () => void, worker: string | null = null): StudyContext {
  const { store, study } = o;
  const studyDir = store.studyDir(study.name);
  const files = store.files(study.name, worker);
  // The strategy's files as the store holds them (supernets, predictors); checkpoints per trial.
  files.pull(undefined, OWN_SYNC);
  return {
    files,
    study,
    space: o.space,
    seed: study.seed,
    objective: study.objective,
    constraints: o.constraints,
    costs: o.costs,
    evaluator: o.evaluator,
    data() {
      const own = (o.evaluator as Evaluator & { data?: ReturnType<typeof loadDataSource> }).data;
      if (own) return own;
      if (study.data) return loadDataSource(study.data);
      throw new Error(`strategy ${study.strategy} needs a data set: give \`data\` D`);
    },
    studyDir,
    state: { get: (k) => store.getState(study.id, k), set: (k, v) => store.setState(study.id, k, v) },
    artifacts: {
      add: (kind, file, trialId = null) => store.addArtifact(study.id, trialId, kind, file),
      list: (kind) => store.artifacts(study.id, kind === undefined ? {} : { kind }),
      path: (a) => store.artifactPath(a),
    },
    log: o.log ?? (() => {}),
    heartbeat,
  };
}

export async function runSearch(o: SearchOptions): Promise<SearchSummary> {
  const maxFailed = o.maxFailed ?? Math.max(10, o.trials);
  const session = await SearchSession.open(o, { prepare: (complete) => complete < o.trials });
  try {
    let stopped: SearchSummary['stopped'] = 'target';
    while (session.complete < o.trials) {
      if (session.failed >= maxFailed) {
        stopped = 'failures';
        break;
      }
      if (pastDeadline(o.deadline)) {
        stopped = 'timeout';
        break;
      }
      const asked = await session.ask();
      if (!asked) {
        stopped = 'done';
        break;
      }
      const t0 = Date.now();
      const finished = await session.evaluate(asked);
      session.settle(finished);
      session.loop.report(finished, asked.proposal.arch, session.best, t0, {
        complete: session.complete,
        failed: session.failed,
        target: o.trials,
      });
    }
    return session.summary(stopped);
  } finally {
    session.close();
  }
}

/** A trial a session asked for: created (running) in the store, not yet settled. */
export interface AskedTrial {
  trial: TrialRecord;
  proposal: Proposal;
  /** The recipe it is evaluated with (the evaluator's, with the proposal's fields). */
  recipe: Record<string, unknown> | null;
  costs: ArchCosts;
  /** Its identity (trialKey). */
  key: string;
}

/**
 * One process's hold on a study for asking and telling (Optuna's ask/tell; the search loop above
 * is built on it, and so is the library's Study): the study's lease taken, stale running trials
 * failed as interrupted, the settled trials replayed through strategy.tell, the strategy's prepare
 * run; then `ask` proposes and creates a running trial (its rng seeded by the study's seed and
 * the number of settled trials), `evaluate` runs the evaluator on it (or `finish` takes a result
 * obtained elsewhere), `settle` tells the strategy a finished one. `close` releases the lease.
 * The cycle itself is the TrialLoop that the many-worker form shares.
 */
export class SearchSession {
  /** Settled trials in number order. */
  readonly history: TrialRecord[];
  /** trialKey of every settled trial. */
  readonly seen: Set<string>;
  /** Complete trials so far. */
  complete: number;
  /** Settled trials that failed (interrupted ones do not count). */
  failed: number;
  /** The best complete trial so far. */
  best: TrialRecord | null;
  /** The error of the latest failed trial. */
  lastError: string | null;
  /** Running trials of an earlier process found and failed at the start. */
  readonly interrupted: number;
  /** Asked and not yet settled, by trial number. */
  readonly pending = new Map<number, AskedTrial>();
  private closed = false;

  private constructor(
    readonly o: SearchOptions,
    readonly me: WorkerId,
    readonly loop: TrialLoop,
    private readonly all: TrialRecord[],
    stale: number,
  ) {
    this.history = all.filter(isSettled);
    this.seen = new Set(this.history.map(trialKey));
    this.complete = this.history.filter((t) => t.state === 'complete').length;
    this.failed = this.history.length - this.complete;
    this.best = bestTrial(this.history, o.study.objective.metric, o.study.objective.direction);
    this.lastError = [...this.history].reverse().find((t) => t.error)?.error ?? null;
    this.interrupted = stale;
  }

  /** The strategy's study context. */
  get ctx(): StudyContext {
    return this.loop.ctx;
  }

  /**
   * Takes the study (its lease: one live process at a time), fails the running trials an earlier
   * process left, replays the settled trials through the strategy, and runs its prepare when
   * `prepare` says so for the number of complete trials (default: always).
   */
  static async open(o: SearchOptions, w: { prepare?: (complete: number) => boolean } = {}): Promise<SearchSession> {
    const { store, study, strategy } = o;
    const log = o.log ?? (() => {});
    const me = newWorkerId();
    store.acquireLease(study.id, me);
    try {
      const stale = store.failStaleTrials(study.id, me.id);
      if (stale.length) {
        log(
          `${stale.length} trial(s) of an earlier run were still running: marked failed (interrupted) and will be asked again: ${stale.map((t) => t.number).join(', ')}`,
        );
      }
      const loop = new TrialLoop(o, me);
      const all = store.trials(study.id);
      const session = new SearchSession(o, me, loop, all, stale.length);
      loop.replay(all);
      if (strategy.prepare && (w.prepare?.(session.complete) ?? true)) {
        await strategy.prepare(loop.ctx);
        loop.pushFiles();
      }
      const { complete, failed, best } = session;
      const metric = study.objective.metric;
      if (session.history.length)
        log(
          `resuming study '${study.name}': ${complete} complete, ${failed} failed trial(s) so far${best ? `; best ${metric} ${fmt(best.metrics[metric])} (trial ${best.number})` : ''}`,
        );
      return session;
    } catch (err) {
      store.releaseLease(study.id, me);
      throw err;
    }
  }

  /**
   * The strategy's next proposal, created as a running trial; null when the strategy has nothing
   * more to propose. Trials asked and not yet settled are pending: the strategy sees them in
   * `seen` and `pending`, as a worker's ask sees the trials other workers run.
   */
  async ask(): Promise<AskedTrial | null> {
    const { store, study, strategy } = this.o;
    const pending = [...this.pending.values()].map((a) => a.trial);
    const seen = pending.length ? new Set([...this.seen, ...[...this.pending.values()].map((a) => a.key)]) : this.seen;
    const proposal = await strategy.ask(
      this.loop.askContext(this.history.length, this.history, seen, pending.length ? pending : undefined),
    );
    if (!proposal) return null;
    if (isWait(proposal)) {
      // One process runs one trial at a time: when it asks, nothing is pending to wait for.
      if (!pending.length)
        throw new Error(
          `the ${strategy.name} strategy asked to wait (${proposal.wait}) with no trial pending: a bug of the strategy`,
        );
      throw new Error(
        `the ${strategy.name} strategy has nothing to propose until the pending trial(s) ${pending.map((t) => t.number).join(', ')} are told (${proposal.wait})`,
      );
    }
    const made = this.loop.newTrial(proposal);
    const trial = store.createTrial(study.id, made.trial);
    const asked: AskedTrial = { trial, proposal, recipe: made.recipe, costs: made.costs, key: trialKey(made.trial) };
    this.pending.set(trial.number, asked);
    return asked;
  }

  /** Evaluates an asked trial with the study's evaluator and finishes it (complete or failed); settle it next. */
  evaluate(a: AskedTrial): Promise<TrialRecord> {
    return this.loop.run(a.trial, a.proposal, { recipe: a.recipe, costs: a.costs, all: this.all });
  }

  /**
   * Finishes an asked trial with a result obtained elsewhere (tell): its metrics (failed when the
   * objective is missing or not finite), or the error it failed with. Settle it next.
   */
  finish(a: AskedTrial, outcome: EvalResult | Error): TrialRecord {
    const broken = violations(this.o.constraints, a.costs);
    if (broken.length)
      return this.o.store.failTrial(
        a.trial.id,
        `the ${this.o.strategy.name} strategy proposed an architecture outside the constraints: ${broken.join(', ')}`,
      );
    return finishTrial(this.o.store, a.trial, this.o.study.objective.metric, outcome);
  }

  /** Takes a finished trial into the history: the strategy told, the counts and the best updated. */
  settle(finished: TrialRecord): void {
    const { study } = this.o;
    const metric = study.objective.metric;
    const asked = this.pending.get(finished.number);
    this.pending.delete(finished.number);
    this.history.push(finished);
    this.seen.add(asked?.key ?? trialKey(finished));
    this.loop.settle(finished);
    if (finished.state === 'complete') {
      this.complete++;
      if (!this.best || better(finished.metrics[metric]!, this.best.metrics[metric]!, study.objective.direction))
        this.best = finished;
    } else {
      this.failed++;
      this.lastError = finished.error;
    }
  }

  /** The session's counts as a loop's summary, with why it stopped. */
  summary(stopped: SearchSummary['stopped']): SearchSummary {
    const { complete, failed, best, lastError, interrupted } = this;
    return { study: this.o.study.name, best, complete, failed, interrupted, stopped, lastError };
  }

  /** Releases the study's lease; trials asked and not told stay running (the next session fails them as interrupted). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.o.store.releaseLease(this.o.study.id, this.me);
  }
}

/**
 * Finishes a running trial with an evaluation's outcome: complete with its metrics, failed when
 * the objective's metric is missing or not finite, or failed with the error (and what an
 * EvaluationError measured before it).
 */
export function finishTrial(
  store: StudyStorage,
  trial: TrialRecord,
  metric: string,
  outcome: EvalResult | Error,
): TrialRecord {
  if (outcome instanceof Error) {
    const partial = outcome instanceof EvaluationError ? outcome.partial : {};
    return store.failTrial(trial.id, outcome.message, partial);
  }
  const v = outcome.metrics[metric];
  if (v === undefined || !Number.isFinite(v))
    return store.failTrial(
      trial.id,
      `the evaluator reported no finite '${metric}' (the objective); metrics: ${JSON.stringify(outcome.metrics)}`,
      { metrics: outcome.metrics, epochs: outcome.epochs },
    );
  return store.completeTrial(trial.id, outcome.metrics, outcome.epochs);
}

/**
 * What the search loop and its many-worker form (runWorker.ts) share: the strategy's study
 * context, one heartbeat (for the trial being evaluated, a phase held, the process's lease or
 * membership, and the files written meanwhile), the replay of settled trials into strategy.tell
 * (each once, in number order), an ask's context, a proposal made a trial, and the cycle
 * evaluate -> finish -> tell -> push files -> report. How each form gets its next trial (one
 * process asking; workers taking queued trials, asking under a lock, waiting) stays its own.
 */
export class TrialLoop {
  readonly ctx: StudyContext;
  /** Beats at most every HEARTBEAT_MS, however often it is called. */
  readonly heartbeat: () => void;
  /** A one-off phase of the study this process holds (its claim beats with the loop). */
  phase: string | null = null;
  private current: TrialRecord | null = null;
  private files: StudyContext['files'];
  private readonly told = new Set<number>();

  constructor(
    private readonly o: SearchOptions,
    private readonly me: WorkerId,
    onHeartbeat?: () => void,
  ) {
    const { store, study } = o;
    this.heartbeat = throttle(() => {
      onHeartbeat?.();
      if (this.current) store.heartbeat(this.current.id);
      if (this.phase) store.beatPhase(study.id, this.phase, me);
      store.beatLease(study.id, me);
      // What a long phase wrote (a supernet's epoch checkpoint) goes to the store as it goes.
      this.pushFiles();
    }, HEARTBEAT_MS);
    this.ctx = makeStudyContext(o, this.heartbeat, me.id);
    this.files = this.ctx.files;
  }

  /** What this process wrote in the study directory goes where the study keeps its files (artifacts.ts). */
  pushFiles(): void {
    this.files?.push(undefined, { except: OWN_SYNC });
  }

  /** Tells the strategy every settled trial of `all` it was not told yet (on start: the whole history). */
  replay(all: readonly TrialRecord[]): void {
    for (const t of all)
      if (isSettled(t) && !this.told.has(t.id)) {
        this.told.add(t.id);
        this.o.strategy.tell(t, this.ctx);
      }
  }

  /** The context of the ask for trial `index` (its rng derived from the study's seed and the index). */
  askContext(index: number, history: TrialRecord[], seen: Set<string>, pending?: readonly TrialRecord[]): AskContext {
    const ask: AskContext = { ...this.ctx, index, rng: rngFor(this.o.study.seed, index), history, seen };
    if (pending) ask.pending = pending;
    return ask;
  }

  /** A proposal as the trial to create (this process's), with the recipe and costs it is evaluated with. */
  newTrial(proposal: Proposal): { trial: NewTrial; recipe: Record<string, unknown> | null; costs: ArchCosts } {
    const recipe = this.o.evaluator.recipeFor(proposal.arch, proposal.recipe);
    const costs = this.o.costs.costs(proposal.arch);
    return {
      trial: {
        arch: formatArch(this.o.space, proposal.arch),
        searchedRecipe: proposal.recipe ?? null,
        space: proposal.space ?? null,
        recipe,
        source: proposal.source,
        costs,
        worker: this.me.id,
      },
      recipe,
      costs,
    };
  }

  /**
   * Evaluates a created (running) trial, its heart beating with the loop's, and finishes it
   * (evaluateTrial). `all`: the study's trials the interruptions of the same identity are counted in.
   */
  async run(
    trial: TrialRecord,
    proposal: Pick<Proposal, 'arch' | 'stopAfterEpochs'>,
    w: { recipe: Record<string, unknown> | null; costs: ArchCosts; all: readonly TrialRecord[] },
  ): Promise<TrialRecord> {
    const key = trialKey(trial);
    this.current = trial;
    const finished = await evaluateTrial(this.o, this.ctx, trial, proposal, {
      recipe: w.recipe,
      costs: w.costs,
      interruptions: w.all.filter((t) => isInterrupted(t) && trialKey(t) === key).length,
      resumeEpochs: resumeEpochs(w.all, key),
      heartbeat: this.heartbeat,
    });
    this.current = null;
    return finished;
  }

  /** Tells the strategy a trial this process finished, and pushes the files its evaluation wrote. */
  settle(finished: TrialRecord): void {
    this.told.add(finished.id);
    if (isSettled(finished)) this.o.strategy.tell(finished, this.ctx);
    this.pushFiles();
  }

  /** The finished trial's progress line (timed from t0), and the caller's onTrial with the study's counts. */
  report(
    finished: TrialRecord,
    arch: Proposal['arch'],
    best: TrialRecord | null,
    t0: number,
    counts: TrialCounts,
  ): void {
    (this.o.log ?? (() => {}))(
      trialLine(this.o.space, finished, arch, this.o.study.objective.metric, best, this.o.constraints, Date.now() - t0),
    );
    this.o.onTrial?.(finished, best, counts);
  }
}

/**
 * Evaluates a created (running) trial and finishes it: failed without evaluating when its costs
 * break a constraint or it was interrupted MAX_INTERRUPTIONS times, else complete with the
 * evaluator's metrics, or failed with its error. Every search loop's one way to run a trial.
 */
export async function evaluateTrial(
  o: SearchOptions,
  ctx: StudyContext,
  trial: TrialRecord,
  proposal: Pick<Proposal, 'arch' | 'stopAfterEpochs'>,
  w: {
    recipe: Record<string, unknown> | null;
    costs: ArchCosts;
    interruptions: number;
    /** Epochs an interrupted trial of the same identity had finished (its checkpoint must be found). */
    resumeEpochs?: number;
    heartbeat: () => void;
  },
): Promise<TrialRecord> {
  const { store, study, strategy, evaluator } = o;
  const log = o.log ?? (() => {});
  const metric = study.objective.metric;
  const costs = w.costs;
  const recipe = w.recipe;
  const times = w.interruptions;
  const heartbeat = w.heartbeat;
  const archText = trial.arch;
  let finished: TrialRecord;
  const broken = violations(o.constraints, costs);
  if (broken.length) {
    finished = store.failTrial(
      trial.id,
      `the ${strategy.name} strategy proposed an architecture outside the constraints: ${broken.join(', ')}`,
    );
  } else if (times >= MAX_INTERRUPTIONS) {
    finished = store.failTrial(
      trial.id,
      `not evaluated: its evaluation was interrupted ${times} times (the process ended each time; it may crash on this architecture)`,
    );
  } else {
    const job: EvalJob = {
      arch: proposal.arch,
      archText,
      trialNumber: trial.number,
      space: o.space,
      seed: study.seed,
      recipe,
      ...(proposal.stopAfterEpochs ? { stopAfterEpochs: proposal.stopAfterEpochs } : {}),
      studyDir: ctx.studyDir,
      heartbeat,
      onEpoch: (epochs) => store.recordEpochs(trial.id, epochs),
      addArtifact: (kind, file) => store.addArtifact(study.id, trial.id, kind, file),
      ...(ctx.files?.inStore
        ? {
            files: {
              pull: (dir: string) => void ctx.files!.pull(dir),
              push: (dir: string) => void ctx.files!.push(dir, { trialId: trial.id }),
              missing: (file: string, what: string, instead: string) => ctx.files!.missing(file, what, instead),
            },
          }
        : {}),
      ...(w.resumeEpochs ? { resumeEpochs: w.resumeEpochs } : {}),
      log,
    };
    let outcome: EvalResult | Error;
    try {
      outcome = await evaluator.evaluate(job);
    } catch (err) {
      outcome = err instanceof Error ? err : new Error(String(err));
    }
    finished = finishTrial(store, trial, metric, outcome);
  }
  return finished;
}

/**
 * The most epochs an interrupted trial of this identity finished (recorded only once its
 * checkpoint was saved where the study keeps its files): a trial continuing it must start there.
 */
export function resumeEpochs(all: readonly TrialRecord[], key: string): number {
  let n = 0;
  for (const t of all) if (isInterrupted(t) && trialKey(t) === key) n = Math.max(n, t.epochs.length);
  return n;
}

export const fmt = (v: number | undefined) =>
  v === undefined ? '?' : Math.abs(v) < 10 ? v.toFixed(4) : v.toPrecision(5);

export function trialLine(
  space: Space,
  t: TrialRecord,
  arch: Parameters<typeof formatIndices>[1],
  metric: string,
  best: TrialRecord | null,
  constraints: readonly Constraint[],
  ms: number,
): string {
  const shown = new Set<string>(['flops', 'params', ...constraints.map((c) => c.kind)]);
  const costs = [...shown]
    .map(
      (k) => `${k} ${formatCost(k as 'flops', k === 'latency' ? t.costs.latencyUs : t.costs[k as 'flops' | 'params'])}`,
    )
    .join(' ');
  const result = t.state === 'complete' ? `${metric} ${fmt(t.metrics[metric])}` : `${t.state}: ${t.error}`;
  const b = best ? `best ${fmt(best.metrics[metric])} (#${best.number})` : 'best -';
  return `trial ${String(t.number).padStart(3)} ${(t.source ?? '').padEnd(9)} ${shortArch(space, t.arch, arch)}  ${result}  ${costs}  | ${b}  ${(ms / 1000).toFixed(1)}s`;
}
