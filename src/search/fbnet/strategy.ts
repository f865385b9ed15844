// FBNet's DNAS as a study strategy ('dnas'): `prepare` trains the stochastic supernet (runDnas,
// resumable per epoch from a checkpoint in the study directory), then draws K architectures
// from the learned distribution plus the per-layer argmax ONCE (seeded) and stores them in the
// study's state (under a latency budget: the argmax, or the most probable architecture within the
// budget when the argmax is over it, and K samples conditioned on the budget); `ask` proposes them one by one; the training evaluator trains each from scratch
// with the recipe; the best by validation accuracy (the study's objective) is the result. After
// the search, the plug-in's finalize hook (measureFinalNetwork) times that network end to end on the engine (the latency table's
// thread count) and records it with its table latency, FLOPs and test accuracy (state 'final').
//
// Resuming: runDnas continues after the last checkpointed epoch (its records are those of an
// uninterrupted run); once the proposals are stored, prepare does nothing and ask continues with
// the first proposal not yet settled, so a killed study trains exactly the proposals an
// uninterrupted one trains.
//
// The engine is loaded only when the supernet trains or a network is timed (dynamic imports), so
// registering this strategy costs `tsnas` nothing at start-up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatArch, parseArch } from '../../space/archFormat';
import { predictLatency, type LatencyTable } from '../../latency/latencyTable';
import type { Space } from '../../space/types';
import type { SearchConfig } from '../config';
import { deriveSeed, hashString } from '../../random/seeds';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../study/strategy';
import { REPORT_SECTIONS, type PluginStudy, type SetupForCheck } from '../strategyPlugin';
import { formatCost, violations, type Constraint } from '../../cost/constraints';
import type { CostModel } from '../../cost/costModel';
import { architectureCost, costRange, flopsCandidateCosts, type CandidateCosts } from '../../supernet/candidateCosts';
import type { DnasEpochRecord, DnasResult } from './dnas';
import type { DnasStrategyOptions } from './options';
import { DNAS_STATE, type DnasBudgetOutcome, type DnasSearchInfo, type DnasStoredProposals } from './state';
import { supernetLayout, type SupernetLayout } from '../../supernet/layout';
import { latencyCandidateCosts } from '../../supernet/latencyCosts';
import { supernetSetup } from '../../supernet/supernetSetup';
import { checkCandidateCosts } from './lossCosts';
import { dnasSearchSections, type DnasProposalRecord, type DnasProposals, type ReportLayer } from './report';
import { argmaxArchitecture, sampleArchitectures, type SampledArchitecture } from '../../supernet/pathSampling';
import { budgetArgmaxArchitecture, sampleWithinBudget, type BudgetSamples } from '../../supernet/budgetSampling';
import { FBNET_TEMPERATURE, temperatureAt } from './temperature';
import { FieldError } from '../../io/fieldError';
import { MissingLatencyTableError } from '../../cost/missingLatencyTable';

/** Where the supernet's checkpoint lives in a study directory. */
export const SUPERNET_DIR = 'supernet';

/** Checks a study configuration for a DNAS search before anything runs; throws with what to change. */
export function checkDnasConfig(
  config: Pick<SearchConfig, 'evaluator' | 'data' | 'lut' | 'space'>,
  o: DnasStrategyOptions,
  space?: Space,
): void {
  if (config.evaluator !== 'train' || !config.data) {
    throw new FieldError(
      'data',
      config.data,
      `the dnas strategy trains a supernet on the data and then its samples: give \`data\` D (the training evaluator), not \`evaluator\` ${config.evaluator}`,
    );
  }
  if (o.cost === 'latency' && !config.lut) {
    throw new MissingLatencyTableError('dnas with a latency cost', {
      space: config.space,
      input: 'CxHxW',
      or: 'search on FLOPs with `options.cost` flops',
    });
  }
  if (o.targetLatency !== null && !config.lut) {
    throw new MissingLatencyTableError(
      `\`options.targetLatency\` ${o.targetLatency} (a budget in microseconds of table latency)`,
      { space: config.space, input: 'CxHxW' },
    );
  }
  if (o.targetLatencyFloor !== undefined && o.targetLatency === null)
    throw new FieldError(
      'options.targetLatencyFloor',
      o.targetLatencyFloor,
      `\`options.targetLatencyFloor\` ${o.targetLatencyFloor} is a share of the target latency: give \`options.targetLatency\` too`,
    );
  if (space) supernetLayout(space); // refuses stage-wise spaces and candidates that do not fit their layer
}

/** FLOPs in kMAC for small spaces (the cheapest network under 10 MMAC), else MMAC: keeps log LAT well above 0. */
export function flopsCostsFor(space: Space, input: readonly [number, number, number], classes: number): CandidateCosts {
  const m = flopsCandidateCosts(space, input, classes, { unit: 'MMAC' });
  return costRange(m).min >= 10 ? m : flopsCandidateCosts(space, input, classes, { unit: 'kMAC' });
}

function layerDetail(layout: SupernetLayout): ReportLayer[] {
  return layout.layers.map((l) => ({
    key: l.key,
    name: l.name,
    candidates: l.candidates.map((c) => c.op),
    detail: `${l.cin}→${l.cout}${l.stride > 1 ? ` s${l.stride}` : ''}, ${l.input[1]}x${l.input[2]}`,
  }));
}

const fmtCost = (v: number, unit: string) =>
  unit === 'us' ? formatCost('latency', v) : `${+v.toPrecision(4)} ${unit}`;

export class DnasSearch implements Strategy {
  readonly name = 'dnas';
  constructor(
    readonly options: DnasStrategyOptions,
    /** The study's configuration and latency table, as the set-up has them. */
    readonly study: Omit<PluginStudy, 'options'>,
  ) {}

  async prepare(ctx: StudyContext): Promise<void> {
    if (ctx.state.get(DNAS_STATE.proposals)) return; // searched and sampled already
    const o = this.options;
    const { config } = this.study;
    checkDnasConfig(config, o, ctx.space);
    const data = ctx.data();
    const { input, classes, table, costs, layout } = supernetSetup({
      space: ctx.space,
      data,
      cost: o.cost,
      table: this.study.latencyTable,
      flopsCosts: flopsCostsFor,
    });
    checkCandidateCosts(costs, layout);
    const checkpoint = path.join(ctx.studyDir, SUPERNET_DIR);
    if (!ctx.artifacts.list('supernet').length) ctx.artifacts.add('supernet', checkpoint);
    const limitTrain = o.limitTrain ?? config.train?.limitTrain ?? undefined;
    const threads = o.threads ?? config.train?.threads ?? undefined;
    const warmupEpochs = o.warmup ?? Math.round(o.epochs / 9);
    const unit = costs.unit;
    const range = costRange(costs);
    const tau0 = o.tau0 ?? FBNET_TEMPERATURE.tau0;
    const tauDecay = o.tauDecay ?? FBNET_TEMPERATURE.decay;
    const settings =
      `${o.hard ? 'hard (straight-through)' : 'soft'} supernet, ${layout.layers.filter((l) => l.searchable).length} searchable layers; ` +
      `loss CE · ${o.alpha} · (ln LAT)^${o.beta}, LAT in ${unit} (${costs.source}; ${fmtCost(range.min, unit)} - ${fmtCost(range.max, unit)}); ` +
      `${o.epochs} epochs (${warmupEpochs} warm-up), batch ${o.batchSize}, weight lr ${o.lr}, theta lr ${o.thetaLr}, tau ${tau0} · exp(-${tauDecay} · epoch), ` +
      `${limitTrain ? `${limitTrain} training images` : 'all training images'} (${Math.round((1 - o.valFraction) * 100)}% weights / ${Math.round(o.valFraction * 100)}% theta), seed ${ctx.seed}` +
      `${o.targetLatency !== null ? `; target latency ${formatCost('latency', o.targetLatency)}` : ''}`;
    const info: DnasSearchInfo = {
      layers: layerDetail(layout),
      costUnit: unit,
      costSource: costs.source ?? unit,
      costRange: range,
      epochs: o.epochs,
      warmupEpochs,
      settings,
      checkpoint: SUPERNET_DIR,
    };
    ctx.state.set(DNAS_STATE.search, info);
    const storeSections = (records: readonly DnasEpochRecord[]) =>
      ctx.state.set(
        REPORT_SECTIONS,
        dnasSearchSections({
          records,
          layers: info.layers,
          epochs: o.epochs,
          warmupEpochs,
          costUnit: unit,
          costSource: info.costSource,
          targetLatencyUs: o.targetLatency,
          settings,
          tau0,
          tauDecay,
        }),
      );

    const done = checkpointEpoch(checkpoint);
    ctx.log(`dnas: ${settings}`);
    const tauEnd = temperatureAt(o.epochs - 1, { tau0, decay: tauDecay });
    if (tauEnd > 1) {
      // The paper anneals 5.0 -> 0.09 over 90 epochs; a short search at its rate ends nearly uniform.
      ctx.log(
        `dnas: note: the temperature ends at ${tauEnd.toFixed(2)} after ${o.epochs} epochs (the paper's ends at 0.09 after 90); ` +
          `\`options.tauDecay\` ${+(4 / o.epochs).toPrecision(2)} would end near the paper's, and a larger \`options.thetaLr\` moves the logits further in few steps; ` +
          `but a short search should end where its supernet still trains (docs/fbnet.md, "What a short search does")`,
      );
    }
    ctx.log(
      done
        ? `dnas: resuming the supernet search after epoch ${done} of ${o.epochs} (checkpoint ${checkpoint})`
        : `dnas: supernet checkpoint in ${checkpoint}`,
    );
    const { runDnas } = await import('./dnas');
    let lastLog = Date.now();
    let collapseNoted = false;
    const res: DnasResult = runDnas({
      space: ctx.space,
      data,
      costs,
      input,
      classes,
      epochs: o.epochs,
      warmupEpochs,
      batchSize: o.batchSize,
      alpha: o.alpha,
      beta: o.beta,
      hard: o.hard,
      seed: ctx.seed,
      threads,
      limitTrain,
      weightLr: o.lr,
      thetaFraction: o.valFraction,
      thetaLr: o.thetaLr,
      tau0,
      tauDecay,
      checkpointPath: checkpoint,
      onProgress: (p) => {
        ctx.heartbeat();
        if (Date.now() - lastLog > 30_000) {
          lastLog = Date.now();
          ctx.log(
            `dnas: epoch ${p.epoch}/${p.epochs} ${p.pass} pass, batch ${p.batch}/${p.batches}, loss ${p.loss.toFixed(4)}`,
          );
        }
      },
      onEpoch: (r, all) => {
        ctx.state.set(DNAS_STATE.records, all);
        ctx.state.set(DNAS_STATE.progress, { epochsDone: r.epoch, epochs: o.epochs });
        storeSections(all);
        ctx.heartbeat();
        lastLog = Date.now();
        ctx.log(epochLine(r, o.epochs, unit, o.targetLatency));
        const peak = 1 - normalizedEntropy(r.distributions);
        if (!o.hard && r.tau < 1.5 && peak < 0.1 && !collapseNoted) {
          collapseNoted = true;
          ctx.log(
            `dnas: note: the temperature is ${r.tau.toFixed(2)} while the learned distribution is still near uniform ` +
              `(${(peak * 100).toFixed(1)}% below the maximum entropy): the relaxed masks are now close to one-hot random draws, so the supernet ` +
              'trains a different random network at each step and its accuracy falls; anneal less (`options.tauDecay`) or move the logits faster (`options.thetaLr`) ' +
              '(docs/fbnet.md, "What a short search does")',
          );
        }
      },
    });
    if (res.resumedFrom > 0) ctx.log(`dnas: the search resumed from its checkpoint after epoch ${res.resumedFrom}`);
    ctx.state.set(DNAS_STATE.records, res.records);
    ctx.state.set(DNAS_STATE.progress, {
      epochsDone: res.records.length,
      epochs: o.epochs,
      resumedFrom: res.resumedFrom,
    });

    // K samples + the argmax, drawn once, seeded by the study's seed.
    const seed = deriveSeed(ctx.seed, hashString('dnas-samples'));
    // The budget is table latency whatever the search's cost: with `options.cost` flops, the table's own per-candidate costs.
    const budget =
      o.targetLatency === null
        ? null
        : {
            targetUs: o.targetLatency,
            ...(o.targetLatencyFloor !== undefined ? { floorUs: o.targetLatencyFloor * o.targetLatency } : {}),
            costs: unit === 'us' ? costs : latencyCandidateCosts(table!, ctx.space, { input, classes }),
          };
    const proposals = proposeArchitectures({
      space: ctx.space,
      distributions: res.distributions,
      costs,
      samples: o.samples,
      seed,
      table,
      costModel: ctx.costs,
      constraints: ctx.constraints,
      budget,
    });
    ctx.log(`dnas: ${proposals.summary}`);
    if (!proposals.proposals.length) {
      const b = proposals.budget;
      ctx.log(
        !b
          ? 'dnas: every proposal is over the budget: nothing to train. Raise beta (more latency pressure), search longer, or relax `options.targetLatency`'
          : b.first === null
            ? `dnas: nothing fits the target latency of ${formatCost('latency', b.targetUs)}: the cheapest architecture of the space costs ` +
              `${formatCost('latency', b.cheapestUs)} (table latency); nothing to train. Give \`options.targetLatency\` of at least that`
            : 'dnas: every proposal within the target latency breaks a constraint (`constraints`): nothing to train. Relax the constraints or the target latency',
      );
    }
    storeSections(res.records);
    ctx.state.set(DNAS_STATE.proposals, proposals); // last: its presence means the search is done
  }

  ask(ctx: AskContext): Proposal | null {
    const p = ctx.state.get(DNAS_STATE.proposals);
    if (!p) throw new Error('dnas: no proposals in the study state (the supernet search has not finished)');
    for (const q of p.proposals)
      if (!ctx.seen.has(q.arch)) return { arch: parseArch(ctx.space, q.arch), source: q.source };
    return null;
  }

  tell(): void {}
}

export interface ProposeInput {
  space: Space;
  /** softmax(theta_l) per layer after the search. */
  distributions: readonly (readonly number[])[];
  /** The search's per-candidate costs (each proposal's searchCost). */
  costs: CandidateCosts;
  /** K: samples besides the argmax. */
  samples: number;
  seed: number;
  /** The latency table (each proposal's tableLatencyUs), if the study has one. */
  table: LatencyTable | null;
  /** The study's cost model (FLOPs and params of each proposal) and constraints. */
  costModel: Pick<CostModel, 'costs'>;
  constraints: readonly Constraint[];
  /**
   * A latency budget (µs of table latency) with per-candidate costs in µs that predict the table's
   * latency, and optionally a floor: the proposals lie in [floorUs, targetUs].
   */
  budget: { targetUs: number; floorUs?: number; costs: CandidateCosts } | null;
}

/**
 * What a DNAS study trains, from the learned distributions (pure; `prepare` stores it once).
 * Without a budget: the per-layer argmax and K distinct samples (other than the argmax); those
 * outside the study's constraints are dropped. With a budget: the argmax if it is within the
 * budget, else the most probable architecture within it ('dnas-argmax-budget'; the argmax is
 * dropped with its latency), and K distinct samples of the distribution conditioned on the
 * budget (rejection sampling, completed by exact draws from the restricted distribution); then the constraints filter as without a budget. The learned
 * distribution does not depend on the budget, so conditioning it is the most probable way to
 * honour the budget. With a floor, "within the budget" is within [floor, target] (a band), and
 * when nothing the distribution allows reaches the floor, the floor is dropped and the summary says so.
 */
export function proposeArchitectures(i: ProposeInput): DnasStoredProposals {
  const { space, distributions: dists, seed } = i;
  const describe = (s: SampledArchitecture, source: DnasProposalRecord['source']): DnasProposalRecord => {
    const c = i.costModel.costs(s.arch);
    return {
      arch: formatArch(space, s.arch),
      source,
      logProb: s.logProb,
      searchCost: architectureCost(i.costs, s.indices),
      tableLatencyUs: i.table ? predictLatency(i.table, space, s.arch) : null,
      flops: c.flops,
      params: c.params,
    };
  };
  const kept: DnasProposalRecord[] = [];
  const dropped: DnasProposals['dropped'] = [];
  const filter = (all: DnasProposalRecord[]) => {
    for (const p of all) {
      const why = violations(i.constraints, i.costModel.costs(parseArch(space, p.arch)));
      if (why.length) dropped.push({ ...p, reason: why.join(', ') });
      else kept.push(p);
    }
  };
  const droppedText = (where = 'over the budget') =>
    `dropped ${dropped.length} ${where} (${dropped.map((d) => `${d.source} ${d.reason}`).join('; ')}); ${kept.length} to train`;
  const argmax = argmaxArchitecture(space, dists);
  const costUnit = i.costs.unit;

  if (!i.budget) {
    const samples = sampleArchitectures(space, dists, i.samples + 1, seed)
      .filter((s) => s.text !== argmax.text)
      .slice(0, i.samples);
    filter([describe(argmax, 'dnas-argmax'), ...samples.map((s) => describe(s, 'dnas-sample'))]);
    const fewer =
      samples.length < i.samples
        ? ` (only ${samples.length} distinct samples besides the argmax: the distribution is peaked)`
        : '';
    const summary =
      `drew ${samples.length} sample${samples.length === 1 ? '' : 's'} + the argmax from the learned distribution (seed ${seed})${fewer}; ` +
      (dropped.length
        ? droppedText()
        : `${i.constraints.length ? 'all within the budget; ' : ''}${kept.length} to train`);
    return { proposals: kept, dropped, summary, targetLatencyUs: null, seed, costUnit };
  }

  const { targetUs, costs: latency } = i.budget;
  const us = (v: number) => formatCost('latency', v);
  const argmaxUs = architectureCost(latency, argmax.indices);
  // A floor nothing the distribution allows reaches (within the target) is dropped, and said so.
  let floorUs = i.budget.floorUs;
  let floorText = '';
  // The band's most probable architecture: reused below when the argmax lies outside the band.
  let bandArgmax =
    floorUs === undefined ? null : budgetArgmaxArchitecture(space, dists, latency, targetUs, { floor: floorUs });
  if (floorUs !== undefined && !bandArgmax?.arch) {
    floorText = `no architecture reaches the floor of ${us(floorUs)} within the target latency: the floor is dropped; `;
    floorUs = undefined;
    bandArgmax = null;
  }
  const target =
    floorUs === undefined ? `the target latency of ${us(targetUs)}` : `the band of ${us(floorUs)} to ${us(targetUs)}`;
  let first: { s: SampledArchitecture; source: 'dnas-argmax' | 'dnas-argmax-budget' } | null = null;
  let firstText: string;
  let gridUs: number | null = null;
  if (argmaxUs <= targetUs && (floorUs === undefined || argmaxUs >= floorUs)) {
    first = { s: argmax, source: 'dnas-argmax' };
    firstText = `the argmax is within ${target} (${us(argmaxUs)})`;
  } else {
    dropped.push({
      ...describe(argmax, 'dnas-argmax'),
      reason:
        argmaxUs > targetUs
          ? `latency ${us(argmaxUs)} > target ${us(targetUs)}`
          : `latency ${us(argmaxUs)} < floor ${us(floorUs!)}`,
    });
    const c = bandArgmax ?? budgetArgmaxArchitecture(space, dists, latency, targetUs);
    gridUs = c.step;
    if (c.arch) {
      first = { s: c.arch, source: 'dnas-argmax-budget' };
      firstText =
        `the argmax is ${argmaxUs > targetUs ? 'over' : 'under'} ${target} (${us(argmaxUs)}): proposing the most probable architecture within it instead ` +
        `(${us(c.arch.cost)}, log-probability ${c.arch.logProb.toFixed(2)} against the argmax's ${argmax.logProb.toFixed(2)})`;
    } else {
      firstText = `no architecture fits the target latency of ${us(targetUs)}: the cheapest achievable is ${us(c.cheapest)} (table latency), the argmax ${us(argmaxUs)}`;
    }
  }
  firstText = floorText + firstText;
  const cs: BudgetSamples = sampleWithinBudget(space, dists, latency, targetUs, i.samples, seed, {
    exclude: first ? [first.s.indices] : [],
    ...(floorUs !== undefined ? { floor: floorUs } : {}),
  });
  filter([...(first ? [describe(first.s, first.source)] : []), ...cs.samples.map((s) => describe(s, 'dnas-sample'))]);
  const rate = `acceptance rate ${(cs.acceptanceRate * 100).toPrecision(3)}%`;
  const n = cs.samples.length;
  const samplesText = !first
    ? 'no samples'
    : `drew ${n} sample${n === 1 ? '' : 's'} from the learned distribution conditioned on ${floorUs === undefined ? 'the target latency' : 'the band'} (seed ${seed}): ${cs.draws} draws, ${rate}` +
      (n < i.samples
        ? ` (only ${n} of the ${i.samples} asked: no more distinct ones within the budget in the ${cs.maxDraws} draws allowed)`
        : '');
  const summary =
    `${firstText}; ${samplesText}; ` +
    (dropped.length
      ? droppedText(floorUs === undefined ? 'over the budget' : 'outside the band')
      : `${kept.length} to train`);
  const budget: DnasBudgetOutcome = {
    targetUs,
    ...(floorUs !== undefined ? { floorUs } : {}),
    argmaxLatencyUs: argmaxUs,
    first: first?.source ?? null,
    cheapestUs: cs.cheapest,
    gridUs,
    samples: {
      wanted: cs.wanted,
      found: n,
      draws: cs.draws,
      maxDraws: cs.maxDraws,
      accepted: cs.accepted,
      acceptanceRate: cs.acceptanceRate,
    },
  };
  return { proposals: kept, dropped, summary, targetLatencyUs: targetUs, seed, costUnit, budget };
}

/** Epochs done in a supernet checkpoint directory (its JSON copy of the state), 0 when there is none. */
function checkpointEpoch(dir: string): number {
  try {
    const e = (JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as { epoch?: unknown }).epoch;
    return typeof e === 'number' && Number.isInteger(e) ? e : 0;
  } catch {
    return 0;
  }
}

/** Mean over the searchable layers of entropy(p_l) / ln K_l: 1 for uniform distributions, 0 for one-hot ones. */
export function normalizedEntropy(distributions: readonly (readonly number[])[]): number {
  const layers = distributions.filter((d) => d.length > 1);
  if (!layers.length) return 0;
  const h = (d: readonly number[]) => -d.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0) / Math.log(d.length);
  return layers.reduce((s, d) => s + h(d), 0) / layers.length;
}

function epochLine(r: DnasEpochRecord, epochs: number, unit: CandidateCosts['unit'], target: number | null): string {
  const cost = (v: number) => fmtCost(v, unit);
  const t = r.thetaPass;
  return (
    `dnas epoch ${String(r.epoch).padStart(2)}/${epochs} ${r.phase.padEnd(6)} tau ${r.tau.toFixed(3)}  expected ${unit === 'us' ? 'latency' : 'cost'} ${cost(r.expectedCost)}` +
    `${target !== null && unit === 'us' ? ` (target ${cost(target)})` : ''}  acc ${(r.weightPass.accuracy * 100).toFixed(1)}%` +
    `${t ? ` / theta ${(t.accuracy * 100).toFixed(1)}%` : ''}  entropy ${normalizedEntropy(r.distributions).toFixed(3)}  argmax ${r.argmax} (${cost(r.argmaxCost)})  ${r.seconds.toFixed(1)}s`
  );
}

/** Checks a DNAS study's configuration and space up front (the plug-in's check hook, and prepare). */
export function checkDnasSetup({ config, options, space }: SetupForCheck<DnasStrategyOptions>): void {
  checkDnasConfig(config, options, space);
}

/** '1500', '1500us', '1.5ms', '0.0015s' -> microseconds. */
export function parseMicroseconds(v: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(us|µs|ms|s)?\s*$/.exec(v);
  const us = m ? Number(m[1]) * ({ us: 1, µs: 1, ms: 1e3, s: 1e6 } as Record<string, number>)[m[2] ?? 'us']! : NaN;
  if (!(us > 0))
    throw new Error(
      `--target-latency must be a positive time in microseconds, or with a unit (1500, 1500us, 1.5ms), got '${v}'`,
    );
  return us;
}
