// FBNet's DNAS as a plug-in ('dnas'): options.ts, state.ts, strategy.ts (the supernet search and
// its proposals), report.ts; the search itself (dnas.ts, supernet.ts, mixedOp.ts, loss.ts,
// temperature.ts) loads the engine and is imported by path. docs/fbnet.md describes it.
import { FINAL_NETWORK, measureFinalNetwork } from '../finalNetwork';
import type { StrategyPlugin } from '../strategyPlugin';
import { WEIGHT_SHARING_FLAGS, WEIGHT_SHARING_RENAMED } from '../weightSharingFlags';
import { dnasOptions, type DnasStrategyOptions } from './options';
import { dnasResultSection } from './report';
import { DNAS_STATE } from './state';
import { checkDnasSetup, DnasSearch, parseMicroseconds } from './strategy';

export * from './options';
export * from './state';
export * from './strategy';
export * from './report';
export * from './temperature';

export const dnasStrategy: StrategyPlugin<DnasStrategyOptions> = {
  name: 'dnas',
  description:
    'FBNet DNAS: a latency-aware stochastic supernet (Gumbel-softmax), then K samples + the argmax trained from scratch',
  options: dnasOptions,
  flags: {
    cost: { value: 'kind' },
    alpha: { value: 'a' },
    beta: { value: 'b' },
    epochs: { takesCommonFlag: true },
    samples: { value: 'k' },
    targetLatency: { value: 'us', parse: parseMicroseconds },
    ...WEIGHT_SHARING_FLAGS,
    thetaLr: { value: 'lr' },
    tau0: { value: 't' },
    tauDecay: { value: 'd' },
  },
  renamedOptions: WEIGHT_SHARING_RENAMED,
  create: (o, study) => new DnasSearch(o, study),
  configure(config, given) {
    let c = config;
    // DNAS ends with trained networks: measure their test accuracy unless told otherwise (never selected on).
    if (c.data && given.train?.reportTest === undefined) c = { ...c, train: { ...c.train, reportTest: true } };
    // It trains its K samples + the argmax: that is its number of trials unless told otherwise.
    if (given.trials === undefined) c = { ...c, trials: dnasOptions.parse(c.options).samples + 1 };
    return c;
  },
  check: checkDnasSetup,
  finalize: (ctx) => measureFinalNetwork(ctx),
  reportSections: (ctx) => [
    dnasResultSection({
      trials: ctx.trials,
      baseline: ctx.baseline,
      objective: ctx.study.objective.metric,
      direction: ctx.study.objective.direction,
      proposals: ctx.state(DNAS_STATE.proposals),
      final: ctx.state(FINAL_NETWORK),
    }),
  ],
  doneMessage: 'dnas: every proposal has been evaluated',
};
