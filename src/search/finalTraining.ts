// Final training: what a study ends with when it asks for it (`final` in its configuration,
// `final.epochs`). The search's result (its best complete trial by the objective, whatever the
// strategy) and the study's reference architectures (the space's named ones, e.g.
// fbnet-s-baseline, or architecture strings) are each trained with the same final recipe: the
// study's recipe (with the result's searched recipe fields), for the final epochs, on the whole
// training set (no validation split: selection is over), with an EMA of the weights and, when a
// teacher is given, distillation from it. Then each gets its test accuracy, FLOPs, table latency
// and measured latency (timed as the final network is), and the result is stated against each
// reference (referenceComparison.ts). Stored in the study's state under FINAL_TRAINING.
//
// Resumable like any training: each network trains in its own checkpoint directory under the
// study directory (an artifact of the study), written at every epoch end; a killed run resumed
// (a study resumed) continues the network it was training from its last epoch, and a
// network already done is read back from the state. The engine loads only when a network trains.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatCost } from '../cost/constraints';
import type { CostModel } from '../cost/costModel';
import { loadDataSource } from '../data/dataSource';
import type { Evaluator } from '../evaluate/evaluator';
import type { LatencyTable } from '../latency/latencyTable';
import { parseArch, parseNamedArch } from '../space/archFormat';
import { spaceFingerprint } from '../space/fingerprint';
import type { Arch, Space } from '../space/types';
import { stateKey } from '../study/stateKey';
import { bestTrial, type StudyStore } from '../study/store';
import type { StudyRecord } from '../study/types';
import { recipeOverridesFromArch } from '../train/archRecipe';
import { loadRecipe, parseRecipe, type Recipe } from '../train/recipe';
import type { FinalTrainingConfig, SearchConfig } from './config';
import { studyConfig } from './studyConfig';
import { timeNetwork } from './finalNetwork';
import { compareToReference } from './referenceComparison';

/** One network of the final training. */
export interface FinalTrainedNetwork {
  role: 'result' | 'reference';
  /** 'searched #3' for the result, the reference as the study names it. */
  name: string;
  /** The search's trial (the result), or null (a reference). */
  trial: number | null;
  arch: string;
  source: string | null;
  /** The checkpoint directory, relative to the study directory. */
  checkpoint: string;
  epochs: number;
  trainImages: number;
  emaDecay: number | null;
  testAcc: number | null;
  /** The trial's validation accuracy in the search (the result only). */
  searchValAcc: number | null;
  trainAcc: number | null;
  flops: number | null;
  params: number | null;
  tableLatencyUs: number | null;
  measuredLatencyUs: number | null;
  measuredP25Us: number | null;
  measuredP75Us: number | null;
  measuredWith: string | null;
  /** Wall seconds of its training (this run's; a resumed one's epochs before are not counted). */
  seconds: number;
}

export interface FinalComparison {
  reference: string;
  /** On the table latency when both have one, else the measured latency. */
  text: string;
  beats: boolean;
  speedup: number | null;
  accuracyPoints: number | null;
  /** The same on the measured latency. */
  measuredText: string;
}

/** State 'final.training'. */
export interface FinalTrainingState {
  /** The final recipe, in words. */
  recipe: string;
  networks: FinalTrainedNetwork[];
  comparisons: FinalComparison[];
}

export const FINAL_TRAINING = stateKey<FinalTrainingState>('final.training');

/** Where the checkpoints live in a study directory. */
export const FINAL_DIR = 'final';

/** A reference of a study: a named architecture of the space, or an architecture string; errors list the names. */
export function resolveReference(space: Space, text: string): Arch {
  return parseNamedArch(space, text, '`final.references`');
}

/** Checks a study's final training up front (setupSearch): references, teacher, recipe fields. */
export function checkFinalTraining(config: SearchConfig, space: Space): void {
  const f = config.final;
  if (!f) return;
  for (const r of f.references) resolveReference(space, r);
  if (
    f.teacher &&
    !(
      fs.existsSync(f.teacher) &&
      (fs.statSync(f.teacher).isFile() || fs.existsSync(path.join(f.teacher, 'checkpoint.json')))
    )
  )
    throw new Error(
      `\`final.teacher\` ${f.teacher}: no training checkpoint there (checkpoint.json); give the run directory of a finished \`tsnas train\``,
    );
  try {
    parseRecipe({ ...f.recipe, ...(f.emaDecay !== null ? { ema: f.emaDecay } : {}) });
  } catch (err) {
    throw new Error(`final.recipe: ${(err as Error).message}`, { cause: err });
  }
}

/** EMA decay for a run of `steps` optimizer steps: the average forgets the first weights (1 - 10 / steps, in [0.9, 0.9998]). */
export function emaDecayFor(steps: number): number {
  return Math.min(0.9998, Math.max(0.9, 1 - 10 / Math.max(1, steps)));
}

/** The final recipe of one network: its study recipe, the final epochs, no validation split, EMA, the teacher, the final fields. */
export function finalRecipe(base: Recipe, f: FinalTrainingConfig, trainImages: number): Recipe {
  const steps = f.epochs * Math.max(1, trainImages > base.batchSize ? Math.floor(trainImages / base.batchSize) : 1);
  return parseRecipe({
    ...base,
    epochs: f.epochs,
    valFraction: 0,
    ema: f.emaDecay ?? emaDecayFor(steps),
    ...(f.teacher ? { distill: { teacher: f.teacher } } : {}),
    ...f.recipe,
  });
}

export interface FinalTrainingContext {
  store: StudyStore;
  study: StudyRecord;
  space: Space;
  evaluator: Pick<Evaluator, 'decode'>;
  costs: Pick<CostModel, 'costs'>;
  /** The study's latency table as the set-up read it (absent: read from `lut` when a network is timed). */
  latencyTable?: LatencyTable | null;
  log: (line: string) => void;
  /** Called as training goes (every batch; the caller throttles): a claim on the work stays alive. */
  heartbeat?: () => void;
}

interface Planned {
  role: FinalTrainedNetwork['role'];
  name: string;
  trial: number | null;
  arch: Arch;
  archText: string;
  source: string | null;
  recipe: Recipe;
  searchValAcc: number | null;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);

/**
 * Trains (or continues, or reads back) the study's final networks; null when the study asks for
 * none or has no complete trial. Throws when a network fails to train (the checkpoints stay:
 * resuming the study continues).
 */
export async function trainFinalNetworks(ctx: FinalTrainingContext): Promise<FinalTrainingState | null> {
  const { store, study, space, log } = ctx;
  const config = studyConfig(study);
  const f = config.final;
  if (!f || !config.data) return null;
  const best = bestTrial(store.trials(study.id), study.objective.metric, study.objective.direction);
  if (!best) {
    log('final training: no complete trial, nothing to train');
    return null;
  }
  const data = loadDataSource(config.data, { input: space.input });
  const trainImages = Math.min(f.limitTrain ?? data.train.count, data.train.count);
  const studyRecipe = (arch: Arch) =>
    loadRecipe(config.train.recipeFile ?? undefined, { ...config.train.recipe, ...recipeOverridesFromArch(arch) });
  const bestArch = parseArch(space, best.arch);
  const planned: Planned[] = [
    {
      role: 'result',
      name: `searched #${best.number}`,
      trial: best.number,
      arch: bestArch,
      archText: best.arch,
      source: best.source,
      // The trial's own recipe carries what a joint search chose with it.
      recipe: finalRecipe(best.recipe ? parseRecipe(best.recipe) : studyRecipe(bestArch), f, trainImages),
      searchValAcc: Number.isFinite(best.metrics.accuracy) ? best.metrics.accuracy! : null,
    },
    ...f.references.map((text, i): Planned => {
      const arch = resolveReference(space, text);
      return {
        role: 'reference',
        name: space.architectures[text] ? text : `reference ${i + 1}`,
        trial: null,
        arch,
        archText: text in space.architectures ? space.architectures[text]! : text,
        source: 'reference',
        recipe: finalRecipe(studyRecipe(arch), f, trainImages),
        searchValAcc: null,
      };
    }),
  ];
  const r0 = planned[0]!.recipe;
  const recipeText =
    `${f.epochs} epoch${f.epochs === 1 ? '' : 's'} on ${f.limitTrain ? `${trainImages} training images (a reduced run)` : `all ${trainImages} training images`}, ` +
    `${r0.optimizer} lr ${r0.lr} ${r0.schedule}, batch ${r0.batchSize}, EMA ${r0.ema === null ? 'none' : +r0.ema.toPrecision(4)}` +
    `${f.teacher ? `, distilled from ${f.teacher}` : ''}; test accuracy on the ${data.test.count} test images`;
  const studyDir = store.studyDir(study.name);
  // Where the study keeps its files (the store: studyDir is then this machine's cache of them).
  const files = store.files(study.name);
  const known = store.getState(study.id, FINAL_TRAINING);
  const networks: FinalTrainedNetwork[] = [];
  const fingerprint = spaceFingerprint(space);
  log(`final training: ${planned.map((p) => p.name).join(', ')}; ${recipeText}`);
  for (const p of planned) {
    const key = crypto
      .createHash('sha1')
      .update(
        JSON.stringify({
          arch: p.archText,
          space: space.name,
          fingerprint,
          data: config.data,
          limitTrain: f.limitTrain,
          recipe: p.recipe,
        }),
      )
      .digest('hex')
      .slice(0, 12);
    const checkpoint = path.join(FINAL_DIR, `${p.role}-${slug(p.name)}-${key}`);
    const done = known?.networks.find((n) => n.checkpoint === checkpoint && n.testAcc !== null);
    if (done) {
      networks.push(done);
      continue;
    }
    const dir = path.join(studyDir, checkpoint);
    if (!store.artifacts(study.id, { kind: 'final-checkpoint' }).some((a) => store.artifactPath(a) === dir))
      store.addArtifact(study.id, null, 'final-checkpoint', dir);
    files.pull(dir);
    const { trainArchitecture } = await import('../train/trainArchitecture');
    const t0 = performance.now();
    const r = trainArchitecture({
      space,
      spaceRef: config.space,
      arch: p.arch,
      recipe: p.recipe,
      data,
      limitTrain: f.limitTrain ?? undefined,
      test: true,
      checkpointDir: dir,
      threads: config.train.threads,
      ...(ctx.heartbeat ? { onProgress: ctx.heartbeat } : {}),
      onEpoch: (m) => {
        files.push(dir);
        log(
          `final training: ${p.name} epoch ${m.epoch}/${p.recipe.epochs}: loss ${m.loss.toFixed(4)}, training accuracy ${(m.trainAcc * 100).toFixed(2)}%, ` +
            `${m.seconds.toFixed(0)} s (${m.imgPerSec.toFixed(0)} img/s)`,
        );
      },
    });
    files.push(dir);
    if (r.status === 'failed')
      throw new Error(
        `final training of ${p.name} failed: ${r.error}; its checkpoint is in ${dir} (resume the study to continue)`,
      );
    if (r.resumedFrom > 0) log(`final training: ${p.name} continued from its checkpoint after epoch ${r.resumedFrom}`);
    const costs = ctx.costs.costs(p.arch);
    const timing = await timeNetwork({
      space,
      arch: p.arch,
      config,
      latencyTable: ctx.latencyTable,
      evaluator: ctx.evaluator,
    });
    const net: FinalTrainedNetwork = {
      role: p.role,
      name: p.name,
      trial: p.trial,
      arch: p.archText,
      source: p.source,
      checkpoint,
      epochs: r.epochs.length,
      trainImages,
      emaDecay: p.recipe.ema,
      testAcc: r.testAcc,
      searchValAcc: p.searchValAcc,
      trainAcc: r.epochs.at(-1)?.trainAcc ?? null,
      flops: costs.flops,
      params: costs.params,
      tableLatencyUs: costs.latencyUs,
      measuredLatencyUs: timing.medianUs,
      measuredP25Us: timing.p25Us,
      measuredP75Us: timing.p75Us,
      measuredWith: timing.measuredWith,
      seconds: (performance.now() - t0) / 1000,
    };
    networks.push(net);
    log(`final training: ${networkLine(net)}`);
    // Kept after each network: a run killed later reads this one back.
    store.setState(study.id, FINAL_TRAINING, { recipe: recipeText, networks: [...networks], comparisons: [] });
  }
  const state: FinalTrainingState = { recipe: recipeText, networks, comparisons: compareFinalNetworks(networks) };
  store.setState(study.id, FINAL_TRAINING, state);
  return state;
}

/** The result against every reference: on table latency when both have it, else measured; and on measured latency. */
export function compareFinalNetworks(networks: readonly FinalTrainedNetwork[]): FinalComparison[] {
  const result = networks.find((n) => n.role === 'result');
  if (!result) return [];
  return networks
    .filter((n) => n.role === 'reference')
    .map((ref) => {
      const table = result.tableLatencyUs !== null && ref.tableLatencyUs !== null;
      const main = compareToReference(
        {
          name: result.name,
          testAcc: result.testAcc,
          latencyUs: table ? result.tableLatencyUs : result.measuredLatencyUs,
        },
        { name: ref.name, testAcc: ref.testAcc, latencyUs: table ? ref.tableLatencyUs : ref.measuredLatencyUs },
        { latencyKind: table ? 'table latency' : 'measured latency' },
      );
      const measured = compareToReference(
        { name: result.name, testAcc: result.testAcc, latencyUs: result.measuredLatencyUs },
        { name: ref.name, testAcc: ref.testAcc, latencyUs: ref.measuredLatencyUs },
        { latencyKind: 'measured latency' },
      );
      return {
        reference: ref.name,
        text: main.text,
        beats: main.beats,
        speedup: main.speedup,
        accuracyPoints: main.accuracyPoints,
        measuredText: measured.text,
      };
    });
}

/** One network in a line: test accuracy, latencies, MACs, architecture. */
export function networkLine(n: FinalTrainedNetwork): string {
  return (
    `${n.name}: test accuracy ${n.testAcc === null ? '?' : `${(n.testAcc * 100).toFixed(2)}%`} after ${n.epochs} epoch${n.epochs === 1 ? '' : 's'}, ` +
    `table latency ${formatCost('latency', n.tableLatencyUs)}, measured latency ${formatCost('latency', n.measuredLatencyUs)}, ` +
    `${formatCost('flops', n.flops)} MACs: ${n.arch}`
  );
}

/** The lines a search ends with: each network, then the result against each reference. */
export function finalTrainingLines(s: FinalTrainingState): string[] {
  return [
    ...s.networks.map((n) => `final: ${networkLine(n)}`),
    ...s.comparisons.map((c) => `final: ${c.text}`),
    ...s.comparisons.map((c) => `final: (measured) ${c.measuredText}`),
  ];
}
