// SPOS and ABS as study strategies ('spos', 'abs'): `prepare` trains the one-shot supernet (with
// ABS, shrinking the space by the angle metric round by round first), runs SPOS's evolutionary
// search over its paths with the one-shot fitness, and stores the best paths once; `ask` proposes
// them, and the study's training evaluator retrains each from scratch with the recipe (the
// chosen network, as the other methods'); `finalize` times the best end to end
// (measureFinalNetwork). The engine loads only in prepare (a dynamic import).
import type { z } from 'zod';
import { parseArch } from '../../space/archFormat';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../study/strategy';
import { supernetLayout } from '../../supernet/layout';
import { pathCount, allOps } from '../../supernet/activeOps';
import { measureFinalNetwork } from '../finalNetwork';
import type { SearchConfig } from '../config';
import type { SetupForCheck, StrategyPlugin } from '../strategyPlugin';
import { absOptions, sposOptions, type OneShotSearchOptions } from './options';
import { oneShotVsStandaloneSection } from './report';
import { ONE_SHOT_STATE } from './state';

export class OneShotSearch implements Strategy {
  constructor(
    readonly name: 'spos' | 'abs',
    readonly options: OneShotSearchOptions,
  ) {}

  async prepare(ctx: StudyContext): Promise<void> {
    if (ctx.state.get(ONE_SHOT_STATE.proposals)) return; // searched already
    const config = ctx.study.config as unknown as SearchConfig;
    checkOneShotConfig(config, this.options, ctx.space);
    const { runOneShotSearch } = await import('./runOneShotSearch');
    await runOneShotSearch(ctx, this.options, {
      threads: config.train?.threads ?? undefined,
      limitTrain: config.train?.limitTrain ?? undefined,
    });
  }

  ask(ctx: AskContext): Proposal | null {
    const p = ctx.state.get(ONE_SHOT_STATE.proposals);
    if (!p) throw new Error(`${this.name}: no proposals in the study state (the one-shot search has not finished)`);
    for (const q of p)
      if (!ctx.seen.has(q.arch)) return { arch: parseArch(ctx.space, q.arch), source: `${this.name}-best` };
    return null;
  }

  tell(): void {}
}

/** Checks a one-shot study's configuration before any work; throws with what to change. */
export function checkOneShotConfig(
  config: Pick<SearchConfig, 'evaluator' | 'data' | 'space' | 'train'>,
  o: OneShotSearchOptions,
  space: SetupForCheck['space'],
): void {
  if (config.evaluator !== 'train' || !config.data)
    throw new Error(
      `a one-shot search trains a supernet on the data and retrains its best path: give \`data\` D (the training evaluator), not \`evaluator\` ${config.evaluator}`,
    );
  const layout = supernetLayout(space); // refuses stage-wise spaces and candidates that do not fit their layer
  if (!layout.layers.some((l) => l.searchable))
    throw new Error(`space '${space.name}' has no layer with more than one candidate: nothing to search`);
  if (o.shrink && pathCount(allOps(layout)) <= o.targetPaths)
    throw new Error(
      `\`options.targetPaths\` ${o.targetPaths}: the space '${space.name}' has only ${pathCount(allOps(layout))} paths, so ABS would drop nothing; ` +
        'give a smaller `options.targetPaths`, or search with spos',
    );
}

function plugin(
  name: 'spos' | 'abs',
  options: typeof sposOptions,
  description: string,
): StrategyPlugin<OneShotSearchOptions> {
  return {
    name,
    description,
    options: options as unknown as z.ZodType<OneShotSearchOptions>,
    flags: {
      epochs: { takesCommonFlag: true },
      batchSize: { name: 'search-batch-size' },
      lr: { name: 'supernet-lr' },
      weightDecay: { name: 'supernet-weight-decay' },
      limitTrain: { name: 'search-limit-train' },
      threads: { name: 'search-threads' },
      mutationRate: { value: 'p' },
    },
    create: (o) => new OneShotSearch(name, o),
    configure(config, given) {
      let c = config;
      // The retrained networks' test accuracy is measured unless told otherwise (never selected on).
      if (c.data && given.train?.reportTest === undefined) c = { ...c, train: { ...c.train, reportTest: true } };
      if (given.trials === undefined) c = { ...c, trials: Number(c.options.retrain) };
      return c;
    },
    check: ({ config, space }) => checkOneShotConfig(config, options.parse(config.options ?? {}), space),
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
