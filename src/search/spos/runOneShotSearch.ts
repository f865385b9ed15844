// The engine side of a one-shot search (loaded lazily by the strategy's prepare): build the
// supernet over the study's layer-wise space, train it SPOS-style (src/supernet/oneShotTraining.ts),
// with ABS shrink the space round by round by the angle metric (keeping the seeded initial
// weights; short training after each round, continuing from the weights), then run SPOS's
// evolutionary search over the remaining paths with the one-shot fitness (BatchNorm recalibrated,
// validation accuracy), and store what the study retrains.
//
// Resuming: each training phase has its own checkpoint directory (supernet, supernet-round-R) that
// its run resumes; a finished round is read back from the state rather than recomputed; the
// fitness of every measured path is in the state after each generation, and the evolution, seeded,
// replays to where it stopped without measuring a path twice. The initial weights ABS's angle
// needs are the supernet's seeded initialisation, rebuilt by constructing it under the same seed.
import * as path from 'node:path';
import { manualSeed } from '../../engine/creation';
import { setNumThreads } from '../../engine/runtime';
import { BatchLoader } from '../../data/loader';
import { stratifiedSplit } from '../../data/split';
import { deriveSeed, hashString, rngFor } from '../../random/seeds';
import type { Rng } from '../../random/rng';
import { formatIndicesArch } from '../../supernet/layout';
import { SupernetNetwork } from '../../supernet/supernetNetwork';
import { allOps, describeActiveOps, pathCount, type ActiveOps } from '../../supernet/activeOps';
import { macsInUnit } from '../../supernet/candidateCosts';
import { constraintFilter, constraintMax, PathSampler } from '../../supernet/pathSampler';
import { supernetSetup } from '../../supernet/supernetSetup';
import { trainOneShot } from '../../supernet/oneShotTraining';
import { OneShotAccuracy } from '../../supernet/oneShotAccuracy';
import { angleStats, disposeSnapshot, pathAngle, snapshotWeights } from '../../supernet/pathAngle';
import { opsToDrop, scoreOps, withoutOps } from '../../supernet/angleShrinking';
import { archOfIndices } from '../../supernet/layout';
import type { StudyContext } from '../../study/strategy';
import { evolve, type GenomeOps } from '../genetic';
import { REPORT_SECTIONS } from '../strategyPlugin';
import type { OneShotSearchOptions } from './options';
import { oneShotSections } from './report';
import { ONE_SHOT_STATE, type EvaluatedPath, type ShrinkRound, type TrainingPhase } from './state';

const pathKey = (indices: readonly number[]) => indices.join('-');

/**
 * The genome operations of paths within the active ops (SPOS: uniform random, per-layer
 * resampling, uniform crossover). With a sampler, random paths are its draws (within the
 * constraints even where uniform draws rarely meet them), uniform ones when it finds none.
 */
export function pathGenome(active: ActiveOps, sampler?: PathSampler): GenomeOps<number[]> {
  const draw = (l: number, rng: Rng) => active[l]![rng.int(active[l]!.length)]!;
  return {
    random: (rng) => sampler?.draw(rng) ?? active.map((_, l) => draw(l, rng)),
    mutate: (p, rng, rate) => p.map((i, l) => (rng.next() < rate ? draw(l, rng) : i)),
    crossover: (a, b, rng, rate) => a.map((i, l) => (rng.next() < rate ? b[l]! : i)),
    key: pathKey,
  };
}

/** The default ops dropped per ABS round: the most candidates of a layer + 1 (the authors'). */
export function defaultDropPerRound(active: ActiveOps): number {
  return Math.max(...active.map((a) => a.length)) + 1;
}

export async function runOneShotSearch(
  ctx: StudyContext,
  o: OneShotSearchOptions,
  study: { threads?: number; limitTrain?: number } = {},
): Promise<void> {
  const data = ctx.data();
  const set = data.train;
  // FLOPs costs: the bins of `options.flopsBins`.
  const { layout, costs: flops } = supernetSetup({ space: ctx.space, data, cost: 'flops' });
  const threads = o.threads ?? study.threads;
  if (threads) setNumThreads(threads);
  const limitTrain = o.limitTrain ?? study.limitTrain;
  const split = stratifiedSplit(set, o.valFraction, ctx.seed, limitTrain);
  if (!split.train.length || !split.val.length)
    throw new Error(
      `one-shot search: ${set.name} leaves ${split.train.length} training and ${split.val.length} validation images (limit ${limitTrain ?? 'none'}, ` +
        `validation fraction ${o.valFraction}); both need some: raise \`options.limitTrain\` or change \`options.valFraction\``,
    );
  const memoryFormat = 'channels_last' as const;
  const common = { mean: data.mean, std: data.std, memoryFormat };
  const trainLoader = new BatchLoader(set, split.train, {
    ...common,
    batchSize: o.batchSize,
    shuffle: true,
    seed: ctx.seed,
    dropLast: split.train.length > o.batchSize,
  });
  const recalLoader = new BatchLoader(set, split.train, {
    ...common,
    batchSize: o.batchSize,
    shuffle: true,
    seed: deriveSeed(ctx.seed, hashString('bn-recalibration')),
  });
  const valLoader = new BatchLoader(set, split.val, { ...common, batchSize: 256, shuffle: false, seed: 0 });
  manualSeed(ctx.seed);
  const supernet = new SupernetNetwork(layout);
  supernet.to({ memoryFormat });
  const initial = o.shrink ? snapshotWeights(supernet) : null;
  let accuracy: OneShotAccuracy | null = null;
  try {
    const feasible = constraintFilter(layout, ctx.costs, ctx.constraints);
    const flopsMax = constraintMax(ctx.constraints, 'flops');
    const sampler = new PathSampler({
      layout,
      feasible,
      bins: o.flopsBins ? { costs: flops, count: o.flopsBins } : undefined,
      within:
        flopsMax !== null && flops.unit !== 'us' ? { costs: flops, max: macsInUnit(flopsMax, flops.unit) } : undefined,
    });
    const identity = {
      space: ctx.space.name,
      layers: layout.layers.map((l) => `${l.key}:${l.candidates.map((c) => c.op).join(',')}`),
      data: data.spec,
      limitTrain: limitTrain ?? null,
      valFraction: o.valFraction,
      batchSize: o.batchSize,
      weightDecay: o.weightDecay,
      flopsBins: o.flopsBins,
      constraints: ctx.constraints.map((c) => c.text),
    };
    const phases: TrainingPhase[] = [...(ctx.state.get(ONE_SHOT_STATE.training) ?? [])];
    const rounds: ShrinkRound[] = [...(ctx.state.get(ONE_SHOT_STATE.rounds) ?? [])];
    const saveSections = () =>
      ctx.state.set(
        REPORT_SECTIONS,
        oneShotSections({
          phases,
          rounds,
          evolution: ctx.state.get(ONE_SHOT_STATE.evolution) ?? null,
          layout: layout.layers.map((l) => ({ key: l.key, candidates: l.candidates.map((c) => c.op) })),
          options: o,
        }),
      );
    const train = (phase: number, epochs: number, lr: number, active: ActiveOps) => {
      const dir = phase === 0 ? 'supernet' : `supernet-round-${phase}`;
      const abs = path.join(ctx.studyDir, dir);
      if (!ctx.artifacts.list('supernet').some((a) => ctx.artifacts.path(a) === abs))
        ctx.artifacts.add('supernet', abs);
      sampler.setActive(active);
      let last = Date.now();
      const res = trainOneShot({
        supernet,
        loader: trainLoader,
        sampler,
        epochs,
        lr,
        weightDecay: o.weightDecay,
        seed: deriveSeed(ctx.seed, phase),
        checkpointDir: abs,
        identity: { ...identity, phase, active },
        onProgress: (p) => {
          ctx.heartbeat();
          if (Date.now() - last > 30_000) {
            last = Date.now();
            ctx.log(
              `${ctx.study.strategy}: supernet phase ${phase} epoch ${p.epoch}/${p.epochs}, batch ${p.batch}/${p.batches}, loss ${p.loss.toFixed(4)}`,
            );
          }
        },
        onEpoch: (r, all) => {
          phases[phase] = { phase, epochs, records: [...all], checkpoint: dir };
          ctx.state.set(ONE_SHOT_STATE.training, phases);
          saveSections();
          ctx.heartbeat();
          ctx.log(
            `${ctx.study.strategy}: supernet ${phase === 0 ? '' : `round ${phase} `}epoch ${r.epoch}/${epochs} loss ${r.loss.toFixed(4)} ` +
              `acc ${(r.accuracy * 100).toFixed(1)}% lr ${r.lr.toPrecision(3)} ${r.seconds.toFixed(1)}s`,
          );
        },
      });
      phases[phase] = { phase, epochs, records: res.records, checkpoint: dir };
      ctx.state.set(ONE_SHOT_STATE.training, phases);
      if (res.resumedFrom > 0)
        ctx.log(`${ctx.study.strategy}: supernet phase ${phase} resumed after epoch ${res.resumedFrom}`);
    };

    let active = allOps(layout);
    ctx.log(
      `${ctx.study.strategy}: supernet over ${layout.layers.length} layers (${pathCount(active).toPrecision(4)} paths), ${o.epochs} epochs, ` +
        `${split.train.length} training / ${split.val.length} validation images, batch ${o.batchSize}, lr ${o.lr}, seed ${ctx.seed}` +
        `${o.flopsBins ? `, paths sampled in ${o.flopsBins} FLOPs bins` : ''}${ctx.constraints.length ? `, within ${ctx.constraints.map((c) => c.text).join(', ')}` : ''}`,
    );
    train(0, o.epochs, o.lr, active);

    if (o.shrink) {
      const roundEpochs = o.roundEpochs ?? Math.max(1, Math.round(o.epochs / 10));
      for (let r = 1; pathCount(active) > o.targetPaths && (o.shrinkRounds === null || r <= o.shrinkRounds); r++) {
        let round = rounds[r - 1];
        if (!round) {
          const t0 = performance.now();
          const stats = angleStats(supernet, initial!);
          const scores = scoreOps({
            layout,
            sampler,
            pathScore: (p) => pathAngle(stats, p),
            pathsPerOp: o.anglePaths,
            rng: rngFor(ctx.seed, hashString('abs-round'), r),
          });
          const drop = opsToDrop(active, scores, o.dropPerRound ?? defaultDropPerRound(active));
          if (!drop.length) {
            ctx.log(`${ctx.study.strategy}: ABS round ${r}: every layer is down to one op; nothing to drop`);
            break;
          }
          const after = withoutOps(active, drop);
          round = {
            round: r,
            scores,
            dropped: drop.map((d) => ({ layer: d.layer, key: d.key, name: d.name, score: d.score })),
            pathsBefore: pathCount(active),
            pathsAfter: pathCount(after),
            active: after,
            paths: scores.reduce((s, x) => s + x.paths, 0),
            seconds: (performance.now() - t0) / 1000,
          };
          rounds.push(round);
          ctx.state.set(ONE_SHOT_STATE.rounds, rounds);
          saveSections();
        }
        ctx.log(
          `${ctx.study.strategy}: ABS round ${r}: dropped ${round.dropped.map((d) => `${d.key}:${d.name} (${d.score.toFixed(4)})`).join(', ')}; ` +
            `${round.pathsBefore.toPrecision(4)} -> ${round.pathsAfter.toPrecision(4)} paths`,
        );
        active = round.active;
        train(r, roundEpochs, o.lr, active);
      }
      ctx.log(
        `${ctx.study.strategy}: the shrunk space: ${describeActiveOps(layout, active)
          .map((s, l) => `${layout.layers[l]!.key} [${s}]`)
          .join('; ')}`,
      );
    }
    if (initial) disposeSnapshot(initial);
    sampler.setActive(active);

    // SPOS's evolutionary search over the remaining paths.
    const t0 = performance.now();
    accuracy = new OneShotAccuracy(supernet, { train: recalLoader, val: valLoader, recalBatches: o.recalBatches });
    const cache: Record<string, number> = { ...(ctx.state.get(ONE_SHOT_STATE.fitness) ?? {}) };
    const acc = accuracy;
    let generation = 0;
    const result = evolve<number[]>({
      ops: pathGenome(active, sampler),
      feasible,
      rng: deriveSeed(ctx.seed, hashString('spos-evolution')),
      population: o.population,
      generations: o.generations,
      parents: o.parents,
      mutants: o.mutants,
      crossovers: o.crossovers,
      fillRandom: true,
      mutationRate: o.mutationRate,
      crossoverRate: 0.5,
      fitness: (genomes) => {
        const out = genomes.map((g) => {
          const k = pathKey(g);
          if (cache[k] === undefined) {
            cache[k] = acc.accuracy(g, { recalibrate: o.recalBatches > 0 });
            ctx.heartbeat();
          }
          return cache[k];
        });
        ctx.state.set(ONE_SHOT_STATE.fitness, cache);
        const best = Math.max(...out);
        ctx.log(
          `${ctx.study.strategy}: generation ${generation++}: ${genomes.length} paths, best one-shot accuracy ${(best * 100).toFixed(2)}%`,
        );
        return out;
      },
    });
    const evaluated: EvaluatedPath[] = result.evaluated.map((e) => ({
      arch: formatIndicesArch(layout, e.genome),
      indices: e.genome,
      fitness: e.fitness,
      generation: e.generation,
      origin: e.origin,
      flops: ctx.costs.costs(archOfIndices(layout, e.genome)).flops,
    }));
    ctx.state.set(ONE_SHOT_STATE.evolution, {
      history: result.history,
      evaluated,
      space: describeActiveOps(layout, active),
      stopped: result.stopped,
      recalBatches: accuracy.recalBatches,
      valImages: split.val.length,
      seconds: (performance.now() - t0) / 1000,
    });
    const ranked = [...evaluated].sort((a, b) => b.fitness - a.fitness).slice(0, o.retrain);
    ctx.log(
      `${ctx.study.strategy}: evolution done (${evaluated.length} paths measured, ${result.history.length} generations); ` +
        `best one-shot accuracy ${(ranked[0]!.fitness * 100).toFixed(2)}%: ${ranked[0]!.arch}`,
    );
    saveSections();
    ctx.state.set(
      ONE_SHOT_STATE.proposals,
      ranked.map((e, i) => ({ arch: e.arch, fitness: e.fitness, rank: i + 1 })),
    );
  } finally {
    if (initial) disposeSnapshot(initial);
    accuracy?.dispose();
    trainLoader.dispose();
    recalLoader.dispose();
    valLoader.dispose();
    supernet.dispose();
  }
}
