// SPOS and ABS as study strategies ('spos', 'abs'): `prepare` trains the one-shot supernet (with
// ABS, shrinking the space by the angle metric round by round first), runs SPOS's evolutionary
// search over its paths with the one-shot fitness, and stores the best paths once; `ask` proposes
// them, and the study's training evaluator retrains each from scratch with the recipe (the
// chosen network, as the other methods'); `finalize` times the best end to end
// (measureFinalNetwork). The engine loads only in prepare (a dynamic import).
import { parseArch } from '../../space/archFormat';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../study/strategy';
import { supernetLayout } from '../../supernet/layout';
import { pathCount, allOps } from '../../supernet/activeOps';
import type { SearchConfig } from '../config';
import type { PluginStudy, SetupForCheck } from '../strategyPlugin';
import type { OneShotSearchOptions } from './options';
import { ONE_SHOT_STATE } from './state';

export class OneShotSearch implements Strategy {
  constructor(
    readonly name: 'spos' | 'abs',
    readonly options: OneShotSearchOptions,
    /** The study's configuration and latency table, as the set-up has them. */
    readonly study: Omit<PluginStudy, 'options'>,
  ) {}

  async prepare(ctx: StudyContext): Promise<void> {
    if (ctx.state.get(ONE_SHOT_STATE.proposals)) return; // searched already
    const { config } = this.study;
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
