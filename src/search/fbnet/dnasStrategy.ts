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
import { z } from 'zod';
import { formatArch, parseArch } from '../../space/archFormat';
import { predictLatency, type LatencyTable } from '../../latency/latencyTable';
import type { Space } from '../../space/types';
import type { SearchConfig } from '../config';
import { deriveSeed, hashString } from '../../random/seeds';
import { stateKey } from '../../study/stateKey';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../study/strategy';
import { FINAL_NETWORK, measureFinalNetwork } from '../finalNetwork';
import { REPORT_SECTIONS, type SetupForCheck, type StrategyPlugin } from '../strategyPlugin';
import { formatCost, violations, type Constraint } from '../../cost/constraints';
import type { CostModel } from '../../cost/costModel';
import { architectureCost, costRange, flopsCandidateCosts, type CandidateCosts } from '../../supernet/candidateCosts';
import type { DnasEpochRecord, DnasResult } from './dnas';
import { supernetLayout, type SupernetLayout } from '../../supernet/layout';
import { latencyCandidateCosts } from '../../supernet/latencyCosts';
import { supernetSetup } from '../../supernet/supernetSetup';
import { checkCandidateCosts } from './loss';
import {
  dnasResultSection,
  dnasSearchSections,
  type DnasProposalRecord,
  type DnasProposals,
  type ReportLayer,
} from './report';
import { argmaxArchitecture, sampleArchitectures, type SampledArchitecture } from '../../supernet/pathSampling';
import { budgetArgmaxArchitecture, sampleWithinBudget, type BudgetSamples } from '../../supernet/budgetSampling';
import { FBNET_TEMPERATURE, temperatureAt } from './temperature';
import { FieldError } from '../../io/fieldError';
import { MissingLatencyTableError } from '../../cost/missingLatencyTable';

export const DNAS_STATE = {
  /** The finished epochs' records (also in the checkpoint). */
  records: stateKey<readonly DnasEpochRecord[]>('dnas.records'),
  /** The search's epoch counter. */
  progress: stateKey<{ epochsDone: number; epochs: number; resumedFrom?: number }>('dnas.progress'),
  /** The supernet's layers, the cost unit and source. */
  search: stateKey<SearchInfo>('dnas.search'),
  /** What ask proposes, what was dropped, and what a latency budget did. */
  proposals: stateKey<DnasStoredProposals>('dnas.proposals'),
} as const;

const posInt = z.number().int().positive();

export const dnasOptions = z
  .strictObject({
    /** What the loss's LAT is: the study's latency table (`lut`, microseconds) or FLOPs (MACs). */
    cost: z
      .enum(['latency', 'flops'])
      .default('latency')
      .describe("the loss's cost term: latency (the `lut` table, microseconds) or flops (MACs, no table needed)"),
    /** Loss CE * alpha * (log LAT)^beta. */
    alpha: z.number().positive().default(0.2).describe('alpha of the loss CE * alpha * (ln LAT)^beta'),
    beta: z.number().positive().default(0.6).describe('beta of the loss (larger = more latency pressure)'),
    /** Search epochs of the supernet (warm-up included). */
    epochs: posInt
      .default(10)
      .describe("the supernet's SEARCH epochs (the candidates' epochs come from `train.epochs` or the recipe)"),
    /** Warm-up epochs training only the weights (null: round(epochs / 9)). */
    warmup: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(null)
      .describe('search epochs that train only the weights (default round(epochs / 9))'),
    /** K: architectures sampled from the learned distribution (distinct), besides the argmax. */
    samples: z
      .number()
      .int()
      .min(0)
      .default(6)
      .describe(
        'architectures sampled from the learned distribution and trained, besides the argmax; with `trials` unset, the study trains samples + 1',
      ),
    /** Straight-through hard sampling (one candidate per layer runs) instead of the soft sum. */
    hard: z
      .boolean()
      .default(false)
      .describe(
        'straight-through supernet (one candidate per layer runs; faster, see docs/fbnet.md) instead of the soft sum',
      ),
    /**
     * A hard latency budget in microseconds (table latency): the argmax if it is within it, else the
     * most probable architecture within it, and K samples conditioned on it.
     */
    targetLatency: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe(
        "hard budget on the proposals' table latency, microseconds or with a unit (1500, 1.5ms): the argmax if within it, " +
          'else the most probable architecture within it, and samples drawn conditioned on it',
      ),
    batchSize: posInt.default(64).describe('batch size of the supernet search'),
    weightLr: z
      .number()
      .positive()
      .default(0.05)
      .describe("base learning rate of the supernet's weights (SGD, cosine)"),
    thetaLr: z
      .number()
      .positive()
      .default(0.01)
      .describe(
        "Adam learning rate of the architecture logits theta (the paper's, for ~12k steps: raise it for short searches)",
      ),
    /**
     * Gumbel-softmax temperature of the first epoch (absent: 5.0, the paper's) and its per-epoch decay
     * rate (absent: 0.045, the paper's over 90 epochs). No schema default, so the stored options of
     * studies that do not set them stay as they were (resume and benchmark keys compare them).
     */
    tau0: z
      .number()
      .positive()
      .optional()
      .describe('Gumbel-softmax temperature of the first search epoch (default 5.0)'),
    tauDecay: z
      .number()
      .min(0)
      .optional()
      .describe(
        "per-epoch decay of the Gumbel-softmax temperature, tau = tau0 * exp(-d * epoch) (default 0.045, the paper's over 90 epochs; " +
          "for an N-epoch search 4/N ends at the paper's final temperature)",
      ),
    /** Training images of the supernet search (null: the study's train.limitTrain, else all). */
    limitTrain: posInt
      .nullable()
      .default(null)
      .describe('training images of the supernet search (default: `train.limitTrain`, else all)'),
    /** Engine threads of the supernet search (null: the study's train.threads). */
    threads: posInt
      .nullable()
      .default(null)
      .describe('engine threads of the supernet search (default: `train.threads`)'),
  })
  .refine((o) => o.warmup === null || o.warmup < o.epochs, {
    message: 'warmup must be less than epochs (at least one epoch must train the architecture logits)',
    path: ['warmup'],
  });
export type DnasStrategyOptions = z.infer<typeof dnasOptions>;

/** Where the supernet's checkpoint lives in a study directory. */
export const SUPERNET_DIR = 'supernet';

/** Checks a study configuration for a DNAS search before anything runs; throws with what to change. */
export function checkDnasConfig(
  config: Pick<SearchConfig, 'evaluator' | 'data' | 'lut' | 'space' | 'options'>,
  space?: Space,
): void {
  const o = dnasOptions.parse(config.options ?? {});
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

interface SearchInfo {
  layers: ReportLayer[];
  costUnit: CandidateCosts['unit'];
  costSource: string;
  costRange: { min: number; max: number };
  epochs: number;
  warmupEpochs: number;
  settings: string;
  checkpoint: string;
}

const fmtCost = (v: number, unit: string) =>
  unit === 'us' ? formatCost('latency', v) : `${+v.toPrecision(4)} ${unit}`;

export class DnasSearch implements Strategy {
  readonly name = 'dnas';
  constructor(readonly options: DnasStrategyOptions = dnasOptions.parse({})) {}

  async prepare(ctx: StudyContext): Promise<void> {
    if (ctx.state.get(DNAS_STATE.proposals)) return; // searched and sampled already
    const o = this.options;
    const config = ctx.study.config as unknown as SearchConfig;
    checkDnasConfig(config, ctx.space);
    const data = ctx.data();
    const { input, classes, table, costs, layout } = supernetSetup({
      space: ctx.space,
      data,
      cost: o.cost,
      lut: config.lut,
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
      `${o.epochs} epochs (${warmupEpochs} warm-up), batch ${o.batchSize}, weight lr ${o.weightLr}, theta lr ${o.thetaLr}, tau ${tau0} · exp(-${tauDecay} · epoch), ` +
      `${limitTrain ? `${limitTrain} training images` : 'all training images'} (80% weights / 20% theta), seed ${ctx.seed}` +
      `${o.targetLatency !== null ? `; target latency ${formatCost('latency', o.targetLatency)}` : ''}`;
    const info: SearchInfo = {
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
      weightLr: o.weightLr,
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

/** What a latency budget did to the proposals (state 'dnas.proposals', field `budget`). */
export interface DnasBudgetOutcome {
  targetUs: number;
  /** The per-layer argmax's table latency. */
  argmaxLatencyUs: number;
  /** The first proposal: the argmax (within the budget), the most probable architecture within it, or none (nothing fits). */
  first: 'dnas-argmax' | 'dnas-argmax-budget' | null;
  /** The cheapest architecture's table latency. */
  cheapestUs: number;
  /** The cost grid of the constrained argmax (µs); null when the argmax was within the budget. */
  gridUs: number | null;
  /** The conditional sampling: found of wanted, draws (of at most maxDraws), acceptance rate. */
  samples: { wanted: number; found: number; draws: number; maxDraws: number; accepted: number; acceptanceRate: number };
}

/** The stored proposals: with a latency budget, what it did. */
export type DnasStoredProposals = DnasProposals & { budget?: DnasBudgetOutcome };

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
  /** A latency budget (µs of table latency) with per-candidate costs in µs that predict the table's latency. */
  budget: { targetUs: number; costs: CandidateCosts } | null;
}

/**
 * What a DNAS study trains, from the learned distributions (pure; `prepare` stores it once).
 * Without a budget: the per-layer argmax and K distinct samples (other than the argmax); those
 * outside the study's constraints are dropped. With a budget: the argmax if it is within the
 * budget, else the most probable architecture within it ('dnas-argmax-budget'; the argmax is
 * dropped with its latency), and K distinct samples of the distribution conditioned on the
 * budget (rejection sampling, completed by exact draws from the restricted distribution); then the constraints filter as without a budget. The learned
 * distribution does not depend on the budget, so conditioning it is the most probable way to
 * honour the budget.
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
  const droppedText = () =>
    `dropped ${dropped.length} over the budget (${dropped.map((d) => `${d.source} ${d.reason}`).join('; ')}); ${kept.length} to train`;
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
  let first: { s: SampledArchitecture; source: 'dnas-argmax' | 'dnas-argmax-budget' } | null = null;
  let firstText: string;
  let gridUs: number | null = null;
  if (argmaxUs <= targetUs) {
    first = { s: argmax, source: 'dnas-argmax' };
    firstText = `the argmax is within the target latency of ${us(targetUs)} (${us(argmaxUs)})`;
  } else {
    dropped.push({ ...describe(argmax, 'dnas-argmax'), reason: `latency ${us(argmaxUs)} > target ${us(targetUs)}` });
    const c = budgetArgmaxArchitecture(space, dists, latency, targetUs);
    gridUs = c.step;
    if (c.arch) {
      first = { s: c.arch, source: 'dnas-argmax-budget' };
      firstText =
        `the argmax is over the target latency of ${us(targetUs)} (${us(argmaxUs)}): proposing the most probable architecture within it instead ` +
        `(${us(c.arch.cost)}, log-probability ${c.arch.logProb.toFixed(2)} against the argmax's ${argmax.logProb.toFixed(2)})`;
    } else {
      firstText = `no architecture fits the target latency of ${us(targetUs)}: the cheapest achievable is ${us(c.cheapest)} (table latency), the argmax ${us(argmaxUs)}`;
    }
  }
  const cs: BudgetSamples = sampleWithinBudget(space, dists, latency, targetUs, i.samples, seed, {
    exclude: first ? [first.s.indices] : [],
  });
  filter([...(first ? [describe(first.s, first.source)] : []), ...cs.samples.map((s) => describe(s, 'dnas-sample'))]);
  const rate = `acceptance rate ${(cs.acceptanceRate * 100).toPrecision(3)}%`;
  const n = cs.samples.length;
  const samplesText = !first
    ? 'no samples'
    : `drew ${n} sample${n === 1 ? '' : 's'} from the learned distribution conditioned on the target latency (seed ${seed}): ${cs.draws} draws, ${rate}` +
      (n < i.samples
        ? ` (only ${n} of the ${i.samples} asked: no more distinct ones within the budget in the ${cs.maxDraws} draws allowed)`
        : '');
  const summary = `${firstText}; ${samplesText}; ` + (dropped.length ? droppedText() : `${kept.length} to train`);
  const budget: DnasBudgetOutcome = {
    targetUs,
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
export function checkDnasSetup({ config, space }: SetupForCheck): void {
  checkDnasConfig(config, space);
}

export const dnasStrategy: StrategyPlugin<DnasStrategyOptions> = {
  name: 'dnas',
  description:
    'FBNet DNAS: a latency-aware stochastic supernet (Gumbel-softmax), then K samples + the argmax trained from scratch',
  options: dnasOptions as unknown as z.ZodType<DnasStrategyOptions>,
  flags: {
    cost: { value: 'kind' },
    alpha: { value: 'a' },
    beta: { value: 'b' },
    epochs: { takesCommonFlag: true },
    samples: { value: 'k' },
    targetLatency: { value: 'us', parse: parseMicroseconds },
    batchSize: { name: 'search-batch-size' },
    weightLr: { value: 'lr' },
    thetaLr: { value: 'lr' },
    tau0: { value: 't' },
    tauDecay: { value: 'd' },
    limitTrain: { name: 'search-limit-train' },
    threads: { name: 'search-threads' },
  },
  create: (o) => new DnasSearch(o),
  configure(config, given) {
    let c = config;
    // DNAS ends with trained networks: measure their test accuracy unless told otherwise (never selected on).
    if (c.data && given.train?.reportTest === undefined) c = { ...c, train: { ...c.train, reportTest: true } };
    // It trains its K samples + the argmax: that is its number of trials unless told otherwise.
    if (given.trials === undefined) c = { ...c, trials: Number(c.options.samples) + 1 };
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
