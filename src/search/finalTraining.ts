// Final training: what a study ends with when it asks for it (`final` in its configuration,
// `final.epochs`). The search's result (its best complete trial by the objective, whatever the
// strategy) and the study's reference architectures (the space's named ones, e.g.
// fbnet-s-baseline, or architecture strings) are each trained with the same final recipe: the
// study's recipe (with the result's searched recipe fields), for the final epochs, on the whole
// training set (no validation split: selection is over), with an EMA of the weights and, when a
// teacher is given, distillation from it. With `final.seeds` K each network trains K times, run k
// with a seed of (the study's seed, k, the network's name: src/random/studySeeds.ts). Then each
// run gets its test accuracy, FLOPs, table latency and measured latency (timed as the final
// network is, once per network), and the result is stated against each reference on the mean
// test accuracies, with their spread and whether the difference is larger than the noise
// (finalComparison.ts). Stored in the study's state under FINAL_TRAINING, each run with its seed.
//
// Resumable like any training: each run trains in its own checkpoint directory under the
// study directory (an artifact of the study), written at every epoch end; a killed run resumed
// (a study resumed) continues the run it was training from its last epoch, and a
// run already done is read back from the state. The engine loads only when a network trains.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatCost } from '../cost/constraints';
import { FieldError } from '../io/fieldError';
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
import { loadRecipe, parseRecipe, recipeSetsSeed, type Recipe } from '../train/recipe';
import type { FinalTrainingConfig, SearchConfig } from './config';
import { studyConfig } from './studyConfig';
import { timeNetwork } from './finalNetwork';
import {
  compareFinalNetworks,
  spreadText,
  summarizeFinalNetworks,
  type FinalComparison,
  type FinalNetworkSummary,
  type FinalTrainedNetwork,
} from './finalComparison';
import { finalSplitSeed, finalTrainingSeed, pinnedReplicaSeed } from '../random/studySeeds';

export type { FinalComparison, FinalNetworkSummary, FinalTest, FinalTrainedNetwork } from './finalComparison';
export { compareFinalNetworks, spreadText, summarizeFinalNetworks } from './finalComparison';

/** State 'final.training'. */
export interface FinalTrainingState {
  /** The final recipe, in words. */
  recipe: string;
  /** Every run of every network (K runs each with `final.seeds` K). */
  networks: FinalTrainedNetwork[];
  /** Each network over its runs (absent in states made before). */
  summaries?: FinalNetworkSummary[];
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
  if (f.distillFrom !== undefined) {
    if (!f.references.includes(f.distillFrom))
      throw new FieldError(
        'final.distillFrom',
        f.distillFrom,
        `\`final.distillFrom\` '${f.distillFrom}' is not one of the study's references (\`final.references\`: ${f.references.length ? f.references.join(', ') : 'none'}); the result distils from a reference trained beside it`,
      );
    if (f.teacher)
      throw new FieldError(
        'final.distillFrom',
        f.distillFrom,
        '`final.distillFrom` and `final.teacher` both name a teacher: give a teacher checkpoint or a reference to distil from, not both',
      );
  }
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
  /** The reference it distils from (`final.distillFrom`), run k from run k; null: none. */
  teacherName: string | null;
  /** Which of the network's runs (0-based). */
  replica: number;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);

/**
 * The seeds of final run `replica` of the network `name` (src/random/studySeeds.ts): of the study's
 * seed, or of a seed the final recipe or the study's recipe sets itself (pinned). A study made
 * before training seeds came from its seed is pinned to its recipe's seed (`recipeSeed`): its
 * first run keeps its recipe as it recorded (null), and runs a resume adds derive from that seed.
 */
export function finalRunSeeds(
  config: SearchConfig,
  name: string,
  replica: number,
  recipeSeed: number,
): { seed: number; splitSeed: number } | null {
  if (config.trainingSeeds !== 'study')
    return replica === 0 ? null : { seed: pinnedReplicaSeed(recipeSeed, replica), splitSeed: recipeSeed };
  const pinned = pinnedFinalSeed(config);
  return pinned !== null
    ? { seed: pinnedReplicaSeed(pinned, replica), splitSeed: pinned }
    : { seed: finalTrainingSeed(config.seed, replica, name), splitSeed: finalSplitSeed(config.seed) };
}

/** The seed the final recipe (`final.recipe`) or the study's recipe sets itself, or null. */
function pinnedFinalSeed(config: SearchConfig): number | null {
  const f = config.final;
  if (f?.recipe.seed !== undefined) return f.recipe.seed as number;
  return recipeSetsSeed(config.train.recipeFile, config.train.recipe)
    ? loadRecipe(config.train.recipeFile ?? undefined, config.train.recipe).seed
    : null;
}

/** How many times a study's final training trains each network (`final.seeds`; 1 for studies made before it). */
export function finalRuns(config: SearchConfig): number {
  return config.final?.seeds ?? 1;
}

/**
 * Trains (or continues, or reads back) the study's final networks, each `final.seeds` times with
 * its own seeds; null when the study asks for none or has no complete trial. Throws when a
 * network fails to train (the checkpoints stay: resuming the study continues).
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
  const runs = finalRuns(config);
  // Each network's recipe with the seeds of its run k; a study made before keeps its recipe's seed.
  const withSeeds = (recipe: Recipe, name: string, replica: number): Recipe => {
    const seeds = finalRunSeeds(config, name, replica, recipe.seed);
    return seeds ? parseRecipe({ ...recipe, ...seeds }) : recipe;
  };
  const networksToTrain: Array<Omit<Planned, 'replica'>> = [
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
      teacherName: f.distillFrom ?? null,
    },
    ...f.references.map((text, i): Omit<Planned, 'replica'> => {
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
        teacherName: null,
      };
    }),
  ];
  // A reference the result distils from trains first in each round: run k teaches the result's run k.
  if (f.distillFrom !== undefined) {
    const i = networksToTrain.findIndex((p) => p.role === 'reference' && p.name === f.distillFrom);
    if (i < 0) throw new Error(`\`final.distillFrom\` ${f.distillFrom}: not among the study's references`);
    networksToTrain.unshift(...networksToTrain.splice(i, 1));
  }
  // Run by run: after the first round every network has one run, so an interrupted final training
  // already states the result against each reference.
  const planned: Planned[] = [];
  for (let k = 0; k < runs; k++)
    for (const p of networksToTrain) planned.push({ ...p, replica: k, recipe: withSeeds(p.recipe, p.name, k) });
  const r0 = planned[0]!.recipe;
  const pinned = config.trainingSeeds === 'study' ? pinnedFinalSeed(config) : r0.seed;
  const seedText =
    pinned === null
      ? `seeds derived from the study's seed ${config.seed}`
      : runs === 1
        ? `seed ${pinned}`
        : `seeds from the recipe's seed ${pinned}`;
  const recipeText =
    `${f.epochs} epoch${f.epochs === 1 ? '' : 's'} on ${f.limitTrain ? `${trainImages} training images (a reduced run)` : `all ${trainImages} training images`}, ` +
    `${r0.optimizer} lr ${r0.lr} ${r0.schedule}, batch ${r0.batchSize}, EMA ${r0.ema === null ? 'none' : +r0.ema.toPrecision(4)}` +
    `${f.teacher ? `, distilled from ${f.teacher}` : ''}` +
    `${f.distillFrom !== undefined ? `, the result distilled from ${f.distillFrom}${runs > 1 ? ' (run k from its run k)' : ''}` : ''}; ${runs === 1 ? 'each network trained once' : `each network trained ${runs} times`} (${seedText}); ` +
    `test accuracy on the ${data.test.count} test images`;
  const studyDir = store.studyDir(study.name);
  // Where the study keeps its files (the store: studyDir is then this machine's cache of them).
  const files = store.files(study.name);
  const known = store.getState(study.id, FINAL_TRAINING);
  const networks: FinalTrainedNetwork[] = [];
  const fingerprint = spaceFingerprint(space);
  log(
    `final training: ${networksToTrain.map((p) => p.name).join(', ')}${runs > 1 ? `, ${runs} runs each` : ''}; ${recipeText}`,
  );
  const teacherOf = (p: Planned) =>
    p.teacherName === null
      ? null
      : planned.find((q) => q.role === 'reference' && q.name === p.teacherName && q.replica === p.replica)!;
  // The checkpoint directory of a run, relative to the study directory: named by what it trains (a
  // distilled run by its teacher's checkpoint, so the key holds wherever the study directory is).
  const checkpointOf = (p: Planned): string => {
    const teacher = teacherOf(p);
    const recipe = teacher ? { ...p.recipe, distill: { teacher: checkpointOf(teacher) } } : p.recipe;
    const key = crypto
      .createHash('sha1')
      .update(
        JSON.stringify({
          arch: p.archText,
          space: space.name,
          fingerprint,
          data: config.data,
          limitTrain: f.limitTrain,
          recipe,
        }),
      )
      .digest('hex')
      .slice(0, 12);
    // The first run's directory is named as before runs were repeated (a study made before resumes into it).
    return path.join(FINAL_DIR, `${p.role}-${slug(p.name)}${p.replica ? `-run${p.replica + 1}` : ''}-${key}`);
  };
  for (const p of planned) {
    const checkpoint = checkpointOf(p);
    const done = known?.networks.find((n) => n.checkpoint === checkpoint && n.testAcc !== null);
    if (done) {
      networks.push(done);
      continue;
    }
    const label = runs > 1 ? `${p.name} (run ${p.replica + 1} of ${runs}, seed ${p.recipe.seed})` : p.name;
    const dir = path.join(studyDir, checkpoint);
    if (!store.artifacts(study.id, { kind: 'final-checkpoint' }).some((a) => store.artifactPath(a) === dir))
      store.addArtifact(study.id, null, 'final-checkpoint', dir);
    files.pull(dir);
    const teacher = teacherOf(p);
    let recipe = p.recipe;
    if (teacher) {
      // Trained earlier in this round (or read back, its checkpoint then fetched from the study's files).
      const teacherDir = path.join(studyDir, checkpointOf(teacher));
      files.pull(teacherDir);
      recipe = parseRecipe({ ...p.recipe, distill: { teacher: teacherDir } });
    }
    const { trainArchitecture } = await import('../train/trainArchitecture');
    const t0 = performance.now();
    const r = trainArchitecture({
      space,
      spaceRef: config.space,
      arch: p.arch,
      recipe,
      data,
      limitTrain: f.limitTrain ?? undefined,
      test: true,
      checkpointDir: dir,
      threads: config.train.threads,
      ...(ctx.heartbeat ? { onProgress: ctx.heartbeat } : {}),
      onEpoch: (m) => {
        files.push(dir);
        log(
          `final training: ${label} epoch ${m.epoch}/${p.recipe.epochs}: loss ${m.loss.toFixed(4)}, training accuracy ${(m.trainAcc * 100).toFixed(2)}%, ` +
            `${m.seconds.toFixed(0)} s (${m.imgPerSec.toFixed(0)} img/s)`,
        );
      },
    });
    files.push(dir);
    if (r.status === 'failed')
      throw new Error(
        `final training of ${label} failed: ${r.error}; its checkpoint is in ${dir} (resume the study to continue)`,
      );
    if (r.resumedFrom > 0) log(`final training: ${label} continued from its checkpoint after epoch ${r.resumedFrom}`);
    const costs = ctx.costs.costs(p.arch);
    // The same network times alike whatever its seed: another run's measurement is reused.
    const timed = networks.find((n) => n.role === p.role && n.name === p.name && n.measuredWith !== null);
    const timing = timed
      ? {
          medianUs: timed.measuredLatencyUs,
          p25Us: timed.measuredP25Us,
          p75Us: timed.measuredP75Us,
          measuredWith: timed.measuredWith,
        }
      : await timeNetwork({ space, arch: p.arch, config, latencyTable: ctx.latencyTable, evaluator: ctx.evaluator });
    const net: FinalTrainedNetwork = {
      role: p.role,
      name: p.name,
      trial: p.trial,
      arch: p.archText,
      source: p.source,
      checkpoint,
      replica: p.replica,
      seed: p.recipe.seed,
      epochs: r.epochs.length,
      trainImages,
      emaDecay: p.recipe.ema,
      testAcc: r.testAcc,
      searchValAcc: p.searchValAcc,
      ...(teacher ? { distilledFrom: { name: teacher.name, replica: teacher.replica } } : {}),
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
    // Kept after each run: a run killed later reads this one back.
    store.setState(study.id, FINAL_TRAINING, { recipe: recipeText, networks: [...networks], comparisons: [] });
  }
  const state: FinalTrainingState = {
    recipe: recipeText,
    networks,
    summaries: summarizeFinalNetworks(networks),
    comparisons: compareFinalNetworks(networks, { classes: data.test.classes }),
  };
  store.setState(study.id, FINAL_TRAINING, state);
  return state;
}

/** One run of a network in a line: test accuracy, latencies, MACs, architecture (and its run and seed when recorded). */
export function networkLine(n: FinalTrainedNetwork): string {
  const run = n.seed !== undefined ? ` (run ${(n.replica ?? 0) + 1}, seed ${n.seed})` : '';
  return (
    `${n.name}${run}: test accuracy ${n.testAcc === null ? '?' : `${(n.testAcc * 100).toFixed(2)}%`} after ${n.epochs} epoch${n.epochs === 1 ? '' : 's'}, ` +
    `table latency ${formatCost('latency', n.tableLatencyUs)}, measured latency ${formatCost('latency', n.measuredLatencyUs)}, ` +
    `${formatCost('flops', n.flops)} MACs: ${n.arch}`
  );
}

/**
 * The lines a search ends with: each run, each network over its runs (when trained more than
 * once), then the result against each reference (on the means, with the spread and the test).
 */
export function finalTrainingLines(s: FinalTrainingState): string[] {
  const summaries = s.summaries ?? summarizeFinalNetworks(s.networks);
  return [
    ...s.networks.map((n) => `final: ${networkLine(n)}`),
    ...summaries.filter((n) => n.seeds.length > 1).map((n) => `final: ${n.name}: mean test accuracy ${spreadText(n)}`),
    ...s.comparisons.map((c) => `final: ${c.text}`),
    ...s.comparisons.map((c) => `final: (measured) ${c.measuredText}`),
  ];
}
