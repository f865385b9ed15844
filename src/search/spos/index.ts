// SPOS (single-path one-shot, Guo et al. 2020) and ABS (angle-based search-space shrinking, Hu et
// al. 2020) as plug-ins ('spos', 'abs'): options.ts, state.ts, strategy.ts (the one-shot search
// run in prepare, then its best paths), report.ts; runOneShotSearch.ts loads the engine and is
// imported by path. The parts any one-shot method shares (path sampling, path-only training,
// one-shot accuracy, the angle, op scoring and shrinking) are in src/supernet. docs/nse.md describes them.
import { measureFinalNetwork } from '../finalNetwork';
import type { StrategyPlugin } from '../strategyPlugin';
import { WEIGHT_SHARING_FLAGS } from '../weightSharingFlags';
import { absOptions, sposOptions, type OneShotSearchOptions } from './options';
import { oneShotVsStandaloneSection } from './report';
import { ONE_SHOT_STATE } from './state';
import { checkOneShotConfig, OneShotSearch } from './strategy';

export * from './options';
export * from './state';
export * from './report';
export * from './strategy';

function plugin(
  name: 'spos' | 'abs',
  options: typeof sposOptions,
  description: string,
): StrategyPlugin<OneShotSearchOptions> {
  return {
    name,
    description,
    options: options,
    flags: {
      epochs: { takesCommonFlag: true },
      ...WEIGHT_SHARING_FLAGS,
      weightDecay: { name: 'supernet-weight-decay' },
      mutationRate: { value: 'p' },
    },
    create: (o, study) => new OneShotSearch(name, o, study),
    configure(config, given) {
      let c = config;
      // The retrained networks' test accuracy is measured unless told otherwise (never selected on).
      if (c.data && given.train?.reportTest === undefined) c = { ...c, train: { ...c.train, reportTest: true } };
      if (given.trials === undefined) c = { ...c, trials: options.parse(c.options).retrain };
      return c;
    },
    check: ({ config, options: o, space }) => checkOneShotConfig(config, o, space),
    finalize: (ctx) => measureFinalNetwork(ctx),
    reportSections: (ctx) => {
      const s = oneShotVsStandaloneSection(ctx.state(ONE_SHOT_STATE.proposals), ctx.trials);
      return s ? [s] : [];
    },
    doneMessage: `${name}: every path chosen by the evolution has been retrained`,
  };
}

export const sposStrategy = plugin(
  'spos',
  sposOptions,
  'SPOS: a single-path one-shot supernet trained on uniform paths, evolutionary search on its one-shot accuracy, the best path retrained',
);
export const absStrategy = plugin(
  'abs',
  absOptions,
  'ABS: SPOS after shrinking the space by the angle metric (the lowest-scoring ops dropped round by round)',
);
