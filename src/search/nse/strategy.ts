// NSE as a study strategy ('nse'): `prepare` runs the rounds of search-space evolution
// (rounds.ts; resumable at the round and epoch reached), records every round in the study's
// state (NSE_STATE.rounds: subset, scores, dropped, added; the report's sections) and the rounds
// file and checkpoints as artifacts, then stores what to train: the final architecture (the last
// round's choice, within the constraints), and with `roundTrials` every round's choice too. `ask`
// proposes them one by one, each with the space it was chosen from (Proposal.space: the rounds
// file and the round); the training evaluator retrains each from scratch; finalize times the
// study's best network (finalNetwork.ts). The engine loads only when the supernet trains.
import * as path from 'node:path';
import { violations } from '../../cost/constraints';
import { parseArch } from '../../space/archFormat';
import type { Space } from '../../space/types';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../study/strategy';
import { trialKey } from '../../study/types';
import { supernetLayout, type SupernetLayout } from '../../supernet/layout';
import { supernetSetup } from '../../supernet/supernetSetup';
import type { SearchConfig } from '../config';
import { REPORT_SECTIONS, type PluginStudy } from '../strategyPlugin';
import type { NseOptions } from './options';
import { plannedRounds } from './pool';
import { nseSections, type NseReportLayer } from './report';
import { NSE_STATE, type NseProposal, type NseSearchInfo } from './state';
import type { NseRoundRecord, NseRunResult } from './rounds';
import { FieldError } from '../../io/fieldError';
import { MissingLatencyTableError } from '../../cost/missingLatencyTable';

/** The rounds' work directory inside the study directory. */
export const NSE_DIR = 'nse';

/** Checks a study configuration for NSE before anything runs; throws with what to change. */
export function checkNseConfig(
  config: Pick<SearchConfig, 'evaluator' | 'data' | 'lut' | 'space'>,
  o: NseOptions,
  space?: Space,
): void {
  if (config.evaluator !== 'train' || !config.data)
    throw new FieldError(
      'data',
      config.data,
      `the nse strategy trains a supernet on the data each round and then its final network: give \`data\` D (the training evaluator), not \`evaluator\` ${config.evaluator}`,
    );
  if (o.cost === 'latency' && !config.lut)
    throw new MissingLatencyTableError('nse with a latency penalty', {
      space: config.space,
      input: 'CxHxW',
      or: 'penalise FLOPs with `options.cost` flops',
    });
  if (space) supernetLayout(space); // refuses stage-wise spaces and candidates that do not fit their layer
}

function layerDetail(layout: SupernetLayout): NseReportLayer[] {
  return layout.layers.map((l) => ({
    key: l.key,
    name: l.name,
    detail: `${l.cin}→${l.cout}${l.stride > 1 ? ` s${l.stride}` : ''}, ${l.input[1]}x${l.input[2]}, pool ${l.candidates.length}`,
  }));
}

/** The rounds NSE plans over a space with these options. */
export function roundsOf(space: Space, o: NseOptions): number {
  return plannedRounds(
    supernetLayout(space).layers.map((l) => l.candidates.length),
    o.subsetSize,
    o.keep,
    o.rounds,
  );
}

export class NseSearch implements Strategy {
  readonly name = 'nse';
  constructor(
    readonly options: NseOptions,
    /** The study's configuration and latency table, as the set-up has them. */
    readonly study: Omit<PluginStudy, 'options'>,
  ) {}

  async prepare(ctx: StudyContext): Promise<void> {
    if (ctx.state.get(NSE_STATE.proposals)) return; // the rounds are done
    const o = this.options;
    const { config } = this.study;
    checkNseConfig(config, o, ctx.space);
    const data = ctx.data();
    // The table is read only for a latency penalty (a `lut` beside `options.cost` flops is not needed).
    const { input, classes, costs, layout } = supernetSetup({
      space: ctx.space,
      data,
      cost: o.cost,
      table: o.cost === 'latency' ? this.study.latencyTable : null,
    });
    const dir = path.join(ctx.studyDir, NSE_DIR);
    if (!ctx.artifacts.list('nse-rounds').length) {
      ctx.artifacts.add('nse-rounds', path.join(dir, 'rounds.json'));
      ctx.artifacts.add('supernet', dir);
    }
    const planned = roundsOf(ctx.space, o);
    const limitTrain = o.limitTrain ?? config.train?.limitTrain ?? undefined;
    const settings =
      `${planned} round${planned === 1 ? '' : 's'} of ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}; ${o.subsetSize} ops per layer per round, ${o.keep} kept; ` +
      `gates learned by REINFORCE (Adam, lr ${o.alphaLr}) with penalty ${o.penalty} x E[${o.cost === 'latency' ? 'table latency' : 'MACs'}] / mean path; ` +
      `ops kept by ${o.score === 'mixed' ? 'the mean rank of probability and angle' : o.score}${o.score === 'probability' ? '' : ` (angle: ${o.anglePaths} paths per op)`}; ` +
      `threshold ${o.threshold}; weights SGD lr ${o.lr}, batch ${o.batchSize}; ${limitTrain ? `${limitTrain} training images` : 'all training images'} ` +
      `(${Math.round((1 - o.valFraction) * 100)}% weights / ${Math.round(o.valFraction * 100)}% alpha), seed ${ctx.seed}`;
    const info: NseSearchInfo = {
      layers: layerDetail(layout),
      settings,
      plannedRounds: planned,
      threshold: o.threshold,
    };
    ctx.state.set(NSE_STATE.search, info);
    const storeSections = (rounds: readonly NseRoundRecord[]) =>
      ctx.state.set(
        REPORT_SECTIONS,
        nseSections({ rounds, layers: info.layers, settings, threshold: o.threshold, plannedRounds: planned }),
      );
    ctx.log(`nse: ${settings}`);
    const { runNseRounds, roundEpochsDone } = await import('./rounds');
    const known = ctx.state.get(NSE_STATE.rounds)?.length ?? 0;
    if (known)
      ctx.log(
        `nse: resuming after round ${known} of ${planned} (epoch ${roundEpochsDone(dir, known)} of round ${known + 1} done)`,
      );
    let lastLog = Date.now();
    const res: NseRunResult = runNseRounds({
      space: ctx.space,
      data,
      costs,
      input,
      classes,
      options: o,
      seed: ctx.seed,
      dir,
      fits: (arch) => violations(ctx.constraints, ctx.costs.costs(arch)).length === 0,
      limitTrain,
      threads: config.train?.threads ?? undefined,
      onProgress: (p) => {
        ctx.heartbeat();
        if (Date.now() - lastLog > 30_000) {
          lastLog = Date.now();
          ctx.log(
            `nse: round ${p.round + 1}/${planned} epoch ${p.epoch}/${p.epochs} ${p.pass} pass, batch ${p.batch}/${p.batches}`,
          );
        }
      },
      onEpoch: (round, e) => {
        ctx.heartbeat();
        ctx.state.set(NSE_STATE.progress, {
          round,
          epochsDone: e.epoch,
          epochs: o.epochs,
          roundsDone: round,
          plannedRounds: planned,
        });
        ctx.log(
          `nse round ${round + 1}/${planned} epoch ${e.epoch}/${o.epochs}: weights CE ${e.weightLoss.toFixed(3)} acc ${(e.weightAcc * 100).toFixed(1)}%, ` +
            `alpha-pass acc ${(e.valAcc * 100).toFixed(1)}%, ${e.branches.toFixed(2)} branches per layer, E[cost] ${e.expectedCost.toPrecision(4)} ${costs.unit}, ${e.seconds.toFixed(1)}s`,
        );
      },
      onRound: (r, all) => {
        ctx.state.set(NSE_STATE.rounds, all);
        storeSections(all);
        ctx.log(
          `nse round ${r.round + 1}: chosen ${r.selected} (one-shot ${(r.oneShotAcc * 100).toFixed(1)}%, ${(r.flops / 1e6).toFixed(2)}M MACs)` +
            (r.next
              ? `; left: ${r.dropped.flat().length} op(s), entered: ${r.added
                  .map((a, l) => (a.length ? `${info.layers[l]!.key} ${a.join(',')}` : ''))
                  .filter(Boolean)
                  .join('; ')}`
              : `; ${r.end}`),
        );
      },
    });
    ctx.state.set(NSE_STATE.rounds, res.rounds);
    storeSections(res.rounds);
    const label = (r: number) => `${NSE_DIR}/rounds.json#round-${r}`;
    const last = res.rounds.at(-1)!;
    const proposals: NseProposal[] = [];
    if (o.roundTrials)
      for (const r of res.rounds.slice(0, -1))
        proposals.push({ arch: r.selected, source: `nse-round-${r.round}`, space: label(r.round), round: r.round });
    proposals.push({ arch: res.final.arch, source: 'nse-final', space: label(last.round), round: last.round });
    ctx.log(
      `nse: final architecture ${res.final.arch} (round ${last.round + 1}); ${proposals.length} network(s) to train from scratch`,
    );
    if (!last.withinConstraints)
      ctx.log(
        `nse: note: the final architecture breaks the constraints even with one branch per layer (the last round's most probable ops); ` +
          'its trial will fail: relax the `constraints`, raise `options.penalty` (more pressure towards cheap ops), or use a space with cheaper candidates',
      );
    ctx.state.set(NSE_STATE.proposals, proposals); // last: its presence means the rounds are done
  }

  ask(ctx: AskContext): Proposal | null {
    const proposals = ctx.state.get(NSE_STATE.proposals);
    if (!proposals) throw new Error('nse: no proposals in the study state (the rounds have not finished)');
    for (const p of proposals)
      if (!ctx.seen.has(trialKey({ arch: p.arch, space: p.space })))
        return { arch: parseArch(ctx.space, p.arch), source: p.source, space: p.space };
    return null;
  }

  tell(): void {}
}
