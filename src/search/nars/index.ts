// FBNetV3's Neural Architecture-Recipe Search (NARS, spec fbnetv3.md; docs/fbnetv3.md) as a plug-in
// ('nars'): the predictor (an architecture encoder, a proxy head for free statistics, an accuracy
// head reading [embedding, recipe]), stage 1 (a Sobol pool inside a constraint window,
// pretraining), stage 2 (rounds of candidates with early stopping and refits), stage 3 (a genetic
// search per budget scored by the predictor), the study strategy (strategy.ts) and its report.
// predictor.ts loads the engine and is imported dynamically; the rest does not.
import type { StrategyPlugin } from '../strategyPlugin';
import { defaultRounds, narsOptions, type NarsOptions } from './options';
import { narsReportSections } from './report';
import { answerNarsBudgets, checkNarsSetup, finalizeNars, NarsSearch } from './strategy';

export * from './options';
export * from './window';
export * from './searchSpace';
export * from './pool';
export * from './earlyStop';
export * from './encoding';
export * from './state';
export * from './stages';
export * from './stage3';
export * from './report';
export { NarsSearch, checkNarsSetup } from './strategy';

export const narsStrategy: StrategyPlugin<NarsOptions> = {
  name: 'nars',
  description:
    'FBNetV3 NARS: a predictor pretrained on free statistics, constrained iterative optimisation in rounds with early stopping, then a genetic search per budget',
  options: narsOptions,
  flags: {
    fixed: { value: 'arch' },
    pool: { value: 'n' },
    window: { value: 'bounds' },
    rounds: { value: 't' },
    perRound: { value: 'm' },
    earlyStopThreshold: { value: 'r' },
    earlyStopCorrelation: { value: 'kendall|spearman' },
    pretrainLr: { value: 'lr' },
    headLr: { value: 'lr' },
    fineLr: { value: 'lr' },
    budgets: { value: 'list' },
    batchSize: { name: 'predictor-batch-size' },
  },
  create: (o, study) => new NarsSearch(o, study),
  configure(config, given) {
    const o = narsOptions.parse(config.options);
    // Every round evaluates at least one candidate: rounds asked for beyond the trials would
    // silently be fewer (and the stored configuration would say otherwise). Refused for a new
    // study; a resume only raises the trials.
    if (o.rounds !== null && o.perRound === null && o.rounds > config.trials)
      throw new Error(
        `nars: rounds ${o.rounds} cannot fit trials ${config.trials}: every round evaluates at least one candidate, ` +
          `so ${config.trials} trial(s) make at most ${config.trials} round(s); set rounds to ${config.trials} or fewer, or trials to ${o.rounds} or more`,
      );
    // The default T, where the trials are fewer, is as many rounds as trials (stored as such).
    const rounds =
      o.rounds ??
      (o.perRound !== null && given.trials !== undefined
        ? Math.ceil(config.trials / o.perRound)
        : o.perRound !== null
          ? defaultRounds(o.mode)
          : Math.min(defaultRounds(o.mode), config.trials));
    const trials = given.trials === undefined && o.perRound !== null ? o.perRound * rounds : config.trials;
    return { ...config, trials, options: { ...config.options, rounds } };
  },
  check: checkNarsSetup,
  finalize: finalizeNars,
  answerBudgets: answerNarsBudgets,
  reportSections: (ctx) => narsReportSections(ctx),
  doneMessage: 'nars: every pair of the pool has been evaluated',
};
