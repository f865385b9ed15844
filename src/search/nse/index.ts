// NSE (search-space evolution, ../shared/spec/nse.md section 3; docs/nse.md) as a plug-in ('nse'):
// options.ts, state.ts, strategy.ts (the rounds run in prepare, then the proposals), report.ts; the
// operation pool and its subsets (pool.ts); the gated supernet (gatedSupernet.ts) and the resumable
// rounds (rounds.ts) load the engine and are imported by path.
import { loadSpace } from '../../space/registry';
import { measureFinalNetwork } from '../finalNetwork';
import type { StrategyPlugin } from '../strategyPlugin';
import { WEIGHT_SHARING_FLAGS, WEIGHT_SHARING_RENAMED } from '../weightSharingFlags';
import { nseOptions, type NseOptions } from './options';
import { nseSections } from './report';
import { NSE_STATE } from './state';
import { checkNseConfig, NseSearch, roundsOf } from './strategy';

export * from './options';
export * from './pool';
export * from './report';
export * from './state';
export * from './strategy';

export const nseStrategy: StrategyPlugin<NseOptions> = {
  name: 'nse',
  description:
    'NSE: search-space evolution over an op pool, rounds of a one-shot supernet with learnable Bernoulli gates (multi-branch layers), the final network retrained',
  options: nseOptions,
  flags: {
    subsetSize: { value: 'n' },
    keep: { value: 'n' },
    rounds: { value: 'n' },
    epochs: { takesCommonFlag: true },
    cost: { value: 'kind' },
    penalty: { value: 'x' },
    threshold: { value: 'p' },
    score: { value: 'kind' },
    anglePaths: { value: 'n' },
    ...WEIGHT_SHARING_FLAGS,
    alphaLr: { value: 'lr' },
  },
  renamedOptions: WEIGHT_SHARING_RENAMED,
  create: (o, study) => new NseSearch(o, study),
  configure(config, given) {
    let c = config;
    if (c.data && given.train?.reportTest === undefined) c = { ...c, train: { ...c.train, reportTest: true } };
    if (given.trials === undefined) {
      const o = nseOptions.parse(c.options ?? {});
      c = { ...c, trials: o.roundTrials ? roundsOf(loadSpace(c.space), o) : 1 };
    }
    return c;
  },
  check: ({ config, options, space }) => checkNseConfig(config, options, space),
  finalize: (ctx) => measureFinalNetwork(ctx),
  reportSections: (ctx) => {
    const info = ctx.state(NSE_STATE.search);
    const rounds = ctx.state(NSE_STATE.rounds);
    if (!info || !rounds) return [];
    return nseSections({
      rounds,
      layers: info.layers,
      settings: info.settings,
      threshold: info.threshold,
      trials: ctx.trials,
      plannedRounds: info.plannedRounds,
    });
  },
  doneMessage: 'nse: the final network (and every round trial) has been evaluated',
};
