// FBNetV3's Neural Architecture-Recipe Search as a study strategy ('nars'; spec fbnetv3.md,
// docs/fbnetv3.md): `prepare` runs stage 1 (the pool, the predictor pretrained on its free
// statistics); `ask` runs stage 2, round by round: it refits the predictor after each settled
// round (after round 1 it first picks the early-stopping epoch), plans the next round (round 1
// diverse, later rounds the best predicted of the unevaluated pool) and proposes its candidates
// one by one, with the epochs they train. The plug-in (index.ts) finalizes with `finalizeNars`,
// the last round's refit and the answers to the budgets given in `options.budgets` (stage 3);
// `tsnas study answer` answers more budgets later through `answerNarsBudgets`.
//
// Resuming: every stage writes its record to the study's state when done (state.ts), and every
// weight file is an artifact of the study; a resumed study redoes only what has no record (an
// interrupted pretraining or refit starts again; the trials of a round are re-asked, as in every
// study). Everything is seeded by the study's seed, so a killed and resumed study evaluates the
// pairs an uninterrupted one evaluates.
import * as path from 'node:path';
import { parseArch } from '../../space/archFormat';
import {
  waitFor,
  type AskContext,
  type Proposal,
  type Strategy,
  type StudyContext,
  type Wait,
} from '../../study/strategy';
import { isSettled, trialKey, type TrialRecord } from '../../study/types';
import type { Evaluator } from '../../evaluate/evaluator';
import type { Constraint } from '../../cost/constraints';
import type { SearchConfig } from '../config';
import type { AnswerContext, BudgetAnswer, FinalizeContext, PluginStudy, SetupForCheck } from '../strategyPlugin';
import { defaultRounds, roundSizes, type NarsOptions } from './options';
import { answerBudget, checkBudgets, evaluateAnswer, predictorScorer } from './stage3';
import {
  checkPool,
  latestRefit,
  planRound,
  poolFor,
  preparePool,
  pretrain,
  resolveSettings,
  settleRounds,
  storedPool,
  storedRounds,
  type NarsEnv,
} from './stages';
import { NARS_STATE, type NarsAnswerRecord, type NarsRound } from './state';
import { parseBudgets } from './window';
import type { NarsPredictor, PredictorMeta } from './predictor';
import { StudyUnfinishedError } from '../../study/store';
import { answerRange } from '../answerRange';
import { answerSource, checkEvaluations, refinedPredictor, refineAnswer } from './answerRefine';

export { NARS_STATE } from './state';

/** The stages' view of a running study. */
function envOfStudy(ctx: StudyContext, options: NarsOptions, config: SearchConfig): NarsEnv {
  return {
    space: ctx.space,
    seed: ctx.seed,
    objective: ctx.objective,
    options,
    trials: config.trials,
    costs: ctx.costs,
    constraints: ctx.constraints,
    evaluator: ctx.evaluator,
    studyDir: ctx.studyDir,
    study: `${ctx.studyDir}#${ctx.study.id}@${ctx.study.createdAt}`,
    state: ctx.state,
    addArtifact: (kind, file) => void ctx.artifacts.add(kind, file),
    listArtifacts: (kind) => ctx.artifacts.list(kind).map((a) => a.path),
    log: (line) => ctx.log(line),
    heartbeat: () => ctx.heartbeat(),
  };
}

/** The stages' view of a study read from its store (finalize, answer). */
function envOfStore(ctx: FinalizeContext<NarsOptions>): NarsEnv {
  const { store, study, config } = ctx;
  // The predictor's weights as the store holds them, when the study keeps its files there.
  store.files(study.name).pull();
  return {
    space: ctx.space,
    seed: study.seed,
    objective: study.objective,
    options: ctx.options,
    trials: config.trials,
    costs: ctx.costs,
    constraints: ctx.constraints,
    evaluator: ctx.evaluator,
    studyDir: store.studyDir(study.name),
    study: `${store.studyDir(study.name)}#${study.id}@${study.createdAt}`,
    state: { get: (k) => store.getState(study.id, k), set: (k, v) => store.setState(study.id, k, v) },
    addArtifact: (kind, file) => void store.addArtifact(study.id, null, kind, file),
    listArtifacts: (kind) => store.artifacts(study.id, { kind }).map((a) => a.path),
    log: ctx.log,
    heartbeat: () => {},
  };
}

export class NarsSearch implements Strategy {
  readonly name = 'nars';
  constructor(
    readonly options: NarsOptions,
    /** The study's configuration (its trial target as it is now), as the set-up has it. */
    readonly study: Omit<PluginStudy, 'options'>,
  ) {}

  async prepare(ctx: StudyContext): Promise<void> {
    const env = envOfStudy(ctx, this.options, this.study.config);
    preparePool(env);
    await pretrain(env);
  }

  async ask(ctx: AskContext): Promise<Proposal | Wait | null> {
    const env = envOfStudy(ctx, this.options, this.study.config);
    let rounds: NarsRound[] = await settleRounds(env, ctx.history);
    for (;;) {
      const current = rounds.at(-1);
      const next = current?.candidates.find((c) => !ctx.seen.has(c.arch));
      if (current && next)
        return {
          arch: parseArch(ctx.space, next.arch),
          source: `nars-round-${current.round}`,
          stopAfterEpochs: current.stopAfterEpochs,
        };
      if (current && !current.refit) {
        rounds = await settleRounds(env, ctx.history);
        // Every candidate is seen but some still run on other workers: the next round is planned
        // on this one's results, so it waits for them.
        if (!rounds.at(-1)!.refit) {
          const settled = new Set(ctx.history.map(trialKey));
          const open = current.candidates.filter((c) => !settled.has(c.arch)).length;
          return waitFor(
            `round ${current.round + 1} is planned on round ${current.round}'s results (${open} of its candidates still running)`,
          );
        }
      }
      const planned = await planRound(env, ctx.history, rounds);
      if (!planned) return null;
    }
  }

  tell(): void {}
}

/** Checks a NARS study before any work (and on resume): the mode, window, rounds, pool and budgets. */
export function checkNarsSetup({
  config,
  options,
  space,
  evaluator,
  costs,
  constraints,
}: SetupForCheck<NarsOptions>): void {
  const rounds = options.rounds ?? defaultRounds(options.mode);
  if (options.perRound !== null && roundSizes(config.trials, rounds, options.perRound).length !== rounds)
    throw new Error(
      `\`options.perRound\` ${options.perRound} x \`options.rounds\` ${rounds} does not make \`trials\` ${config.trials}: give two of the three ` +
        `(e.g. \`options.perRound\` ${options.perRound} \`options.rounds\` ${rounds} alone evaluates ${options.perRound * rounds})`,
    );
  const o = { ...options, rounds };
  const r = resolveSettings(space, o, config.trials);
  // A window on latency needs latencies: without a table no pair would be inside it.
  const onLatency = r.window.filter((b) => b.kind === 'latency');
  if (onLatency.length && !costs.hasLatency)
    throw new Error(
      `nars: the window bounds latency (${onLatency.map((b) => b.text).join(', ')}), and the study has no latency table ` +
        `to know the pairs' latencies from: give the study a latency table (lut), or bound flops or params instead`,
    );
  if (o.budgets !== null)
    checkBudgets({ space, options: o, trials: config.trials, costs, seed: config.seed }, parseBudgets(o.budgets));
  const pool = poolFor(r, { options: o, seed: config.seed, costs, constraints, evaluator });
  checkPool(pool, r, config.trials, space.name);
}

/** A stored answer as the hook returns it. */
function budgetAnswer(
  a: NarsAnswerRecord,
  cached: boolean,
  metric: string,
  range: BudgetAnswer['range'],
  evaluations: number,
): BudgetAnswer {
  const s = a.stage2;
  return {
    budget: a.budget,
    arch: a.arch,
    predicted: a.predicted,
    costs: a.costs,
    cpuSeconds: a.cpuSeconds,
    metrics: a.metrics,
    detail:
      (a.stopped === 'exhausted' && a.seeds === 0 && a.generations === 1
        ? `the best predicted of the table's ${a.scored} architectures within the budget`
        : `genetic algorithm: ${a.generations} generations, ${a.scored} pairs scored, stopped by ${a.stopped}, ${a.seeds} stage-2 seed(s)`) +
      `; predictor of round ${a.round}` +
      (a.refined
        ? `, refit on ${a.refined.evaluations} evaluation(s) within the budget (its round ${a.refined.round})`
        : '') +
      (s
        ? `; the best evaluated trial within the budget: trial ${s.trial}, ${metric} ${s.measured.toPrecision(4)} (predicted ${s.predicted.toPrecision(4)})`
        : '; no evaluated trial within the budget') +
      (a.error ? `; its evaluation failed: ${a.error}` : ''),
    cached,
    range,
    evaluations,
  };
}

/** Answers budgets with the latest refit (stored per budget and refit; see stage3.ts). */
async function answerAll(
  env: NarsEnv,
  evaluator: Evaluator,
  budgets: readonly Constraint[],
  evaluate: boolean,
  history: readonly TrialRecord[],
): Promise<BudgetAnswer[]> {
  const latest = latestRefit(storedRounds(env));
  if (!latest)
    throw new Error('nars: the study has no refit predictor yet (stage 2 has not finished a round): resume the search');
  const answers = env.state.get(NARS_STATE.answers) ?? {};
  const out: BudgetAnswer[] = [];
  const loaded = new Map<string, { P: typeof import('./predictor'); model: NarsPredictor; meta: PredictorMeta }>();
  try {
    for (const budget of budgets) {
      // A budget refit on evaluations within it (`evaluate`) is answered by that refit.
      const refined = refinedPredictor(env, budget);
      const weights = refined?.refit.weights ?? latest.weights;
      const key = `${budget.text} @ round ${latest.round}${refined ? `, answer round ${refined.round}` : ''}`;
      let a = answers[key];
      const cached = !!a;
      if (!a) {
        let p = loaded.get(weights);
        if (!p) {
          const P = await import('./predictor');
          const { model, meta } = P.loadPredictor(path.join(env.studyDir, weights));
          loaded.set(weights, (p = { P, model, meta }));
        }
        a = answerBudget({
          env,
          budget,
          round: latest.round,
          score: predictorScorer(p.P, env, p.model, p.meta),
          history,
        });
        if (refined)
          a.refined = {
            round: refined.round,
            evaluations: history.filter((t) => t.source === answerSource(budget)).length,
          };
        answers[key] = a;
        env.state.set(NARS_STATE.answers, answers);
      }
      if (evaluate && !a.metrics) {
        env.log(`nars: evaluating the answer to ${budget.text} with ${evaluator.description}: ${a.arch}`);
        const e = await evaluateAnswer(env, evaluator, a);
        a.metrics = e.metrics;
        a.error = e.error;
        env.state.set(NARS_STATE.answers, answers);
      }
      // The trials its predictor learnt from: the refit's own, or stage 2's (every trial but the answers').
      const learnt = history.filter(
        (t) =>
          t.state === 'complete' &&
          Number.isFinite(t.metrics[env.objective.metric]) &&
          (refined ? refined.learnt.includes(t.number) : !t.source?.startsWith('answer:')),
      );
      const range = answerRange({
        space: env.space,
        budget,
        answer: parseArch(env.space, a.arch),
        costs: a.costs,
        learnt,
      });
      const b = budgetAnswer(
        a,
        cached,
        env.objective.metric,
        range,
        history.filter((t) => t.source === answerSource(budget)).length,
      );
      env.log(
        `nars: stage 3: ${b.budget}: predicted ${env.objective.metric} ${a.predicted.toPrecision(4)}` +
          `${a.metrics && Number.isFinite(a.metrics[env.objective.metric]) ? `, measured ${a.metrics[env.objective.metric]!.toPrecision(4)}` : ''}` +
          ` in ${a.cpuSeconds.toFixed(2)} CPU s${cached ? ' (answered earlier)' : ''}: ${a.arch} (${b.detail})`,
      );
      out.push(b);
    }
  } finally {
    for (const p of loaded.values()) p.model.dispose();
  }
  return out;
}

/** Whether stage 2 has ended: the target reached, or the pool used up. */
function stage2Done(env: NarsEnv, history: readonly TrialRecord[], rounds: readonly NarsRound[]): string | null {
  const last = rounds.at(-1);
  const complete = history.filter((t) => t.state === 'complete').length;
  if (!last || !last.refit)
    return `stage 2 has not finished${last ? ` (round ${last.round} is not refit yet)` : ' (no round yet)'}`;
  if (complete >= env.trials) return null;
  const seen = new Set(history.map(trialKey));
  if (storedPool(env).keys.every((k) => seen.has(k))) return null;
  return `stage 2 has ${complete} of its ${env.trials} complete trials`;
}

/** The finalize hook: the last round's refit, then the budgets of `options.budgets` answered (stage 3). */
export async function finalizeNars(ctx: FinalizeContext<NarsOptions>): Promise<null> {
  const env = envOfStore(ctx);
  const history = ctx.store.trials(ctx.study.id).filter(isSettled);
  const rounds = await settleRounds(env, history);
  if (env.options.budgets !== null && !stage2Done(env, history, rounds))
    await answerAll(env, ctx.evaluator, parseBudgets(env.options.budgets), env.options.trainAnswers, history);
  return null;
}

/** The answerBudgets hook: new budgets answered from a finished study (refit on evaluations within each first, when asked). */
export async function answerNarsBudgets(ctx: AnswerContext<NarsOptions>): Promise<BudgetAnswer[]> {
  const evaluations = ctx.evaluate === undefined ? null : checkEvaluations(ctx.evaluate);
  const env = envOfStore(ctx);
  checkBudgets(env, ctx.budgets);
  let history = ctx.store.trials(ctx.study.id).filter(isSettled);
  const rounds = await settleRounds(env, history);
  const unfinished = stage2Done(env, history, rounds);
  if (unfinished)
    throw new StudyUnfinishedError(`study '${ctx.study.name}' cannot answer budgets yet: ${unfinished}`, {
      hint: 'resume it to finish it',
      study: ctx.study.name,
      store: ctx.store.file,
    });
  if (evaluations !== null) {
    // The constrained iterative optimisation run for each budget (answerRefine.ts).
    const stage2Weights = latestRefit(rounds)!.weights;
    for (const budget of ctx.budgets)
      await refineAnswer({
        env,
        store: ctx.store,
        study: ctx.study,
        evaluator: ctx.evaluator,
        budget,
        evaluations,
        stage2Weights,
      });
    history = ctx.store.trials(ctx.study.id).filter(isSettled);
  }
  return answerAll(env, ctx.evaluator, ctx.budgets, ctx.train, history);
}
